"""The rectification ledger of a generated city (问题整改, docs/domain.md §12 and §25, docs/synthetic.md
"Rectification"): in every county the city's worked example — the 2022 national and provincial assessments' 3
categories / 14 problems and the city's own inspections' 8 common problems, one plan of 22 items (`PLAN`, which
the demo's walkthrough in demo_rectification.py files through the services) — and findings of every source in
its villages, with tasks at every stage: not started, running, due within three days (orange), past the deadline
(red), with evidence, under joint review (one reviewer signed), sent back with a reason, and closed.

The derived fields are set as dixian/rectification/services.py would leave them: a done task has evidence and a
date between the finding's and the demo day; a finding under review has every task done and its reviewers
named; a sent-back one has its tasks reopened (no done date) and the other signatures cleared; a closed one has
every task done and every reviewer signed, and `next_due` is the earliest of the finding's deadline and its open
tasks' (None once closed) — services.due_refresh. Reviewers are named by level ("county", "city"); the loader
maps them to accounts. Drawn from a random stream of its own (seed, 25). Never imports Django.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from .supervision import FINDINGS as SUPERVISION_FINDINGS

# Sources (the values of rectification.models.Finding.Source).
NATIONAL, PROVINCIAL, SUPERVISION = "national", "provincial", "supervision"
SOURCES = (
    NATIONAL,
    PROVINCIAL,
    "post_assessment",
    SUPERVISION,
    "unannounced",
    "audit",
    "petition",
    "fund_review",
    "platform",
)
# Stages of a finding (what the walkthrough and the generator take it through).
NEW, RUNNING, NEAR, LATE, EVIDENCED, REVIEW, SENT_BACK, CLOSED = (
    "new",
    "running",
    "near",
    "late",
    "evidenced",
    "review",
    "sent_back",
    "closed",
)
STAGES = (NEW, RUNNING, NEAR, LATE, EVIDENCED, REVIEW, SENT_BACK, CLOSED)
STAGE_P = {NEW: 0.08, RUNNING: 0.2, NEAR: 0.08, LATE: 0.12, EVIDENCED: 0.1, REVIEW: 0.1, SENT_BACK: 0.05}
STAGE_P[CLOSED] = 1 - sum(STAGE_P.values())
SEND_BACK_REASON = "佐证材料只有照片,缺少整改台账和群众满意度回访记录"
TASK_LABELS = (
    ("制定整改方案并部署", "整改方案、会议纪要扫描件"),
    ("逐项整改到位", "整改前后对比照片"),
    ("建立长效机制", "制度文件扫描件"),
)
FINDINGS_PER_VILLAGE = 1.5  # Poisson mean of the findings beyond the worked example
OWNERS = ("县乡村振兴局", "县农业农村局", "县人社局", "县住建局", "县水利局", "县医保局", "乡镇人民政府")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗"


@dataclass(frozen=True)
class Item:
    source: str
    category: str
    title: str
    stage: str
    unit: str  # the owning unit's name
    check: str = ""


# 14 problems of the 2022 national and provincial assessments in 3 categories, then the city's 8 common ones.
PLAN: tuple[Item, ...] = (
    Item(NATIONAL, "责任落实", "部分乡镇防止返贫监测帮扶工作专题研究不足", CLOSED, "县乡村振兴局"),
    Item(NATIONAL, "责任落实", "驻村工作队在岗履职不到位", REVIEW, "县委组织部"),
    Item(NATIONAL, "责任落实", "行业部门数据比对推送不及时", SENT_BACK, "县数据局"),
    Item(PROVINCIAL, "责任落实", "帮扶干部对结对户情况不熟悉", RUNNING, "县乡村振兴局"),
    Item(PROVINCIAL, "责任落实", "村级防返贫监测信息员培训不到位", LATE, "乡镇人民政府"),
    Item(NATIONAL, "政策落实", "部分监测户帮扶措施与风险类型不匹配", REVIEW, "县乡村振兴局"),
    Item(
        NATIONAL,
        "政策落实",
        "农户住房为C级或D级危房未及时改造",
        EVIDENCED,
        "县住建局",
        check="unsafe_housing",
    ),
    Item(NATIONAL, "政策落实", "脱贫人口小额信贷续贷展期政策落实不到位", CLOSED, "县金融办"),
    Item(PROVINCIAL, "政策落实", "雨露计划补助发放不及时", LATE, "县教育局"),
    Item(PROVINCIAL, "政策落实", "医疗保障政策知晓率不高", RUNNING, "县医保局"),
    Item(NATIONAL, "工作落实", "监测对象识别认定超期", CLOSED, "乡镇人民政府"),
    Item(NATIONAL, "工作落实", "帮扶项目资产管护责任不明确", NEW, "县农业农村局"),
    Item(PROVINCIAL, "工作落实", "扶贫车间带动就业人数统计不准", EVIDENCED, "县人社局"),
    Item(PROVINCIAL, "工作落实", "信息系统数据与实际不一致", RUNNING, "县乡村振兴局"),
    Item(SUPERVISION, "工作落实", "部分村“三务”公开不及时", CLOSED, "乡镇人民政府"),
    Item(SUPERVISION, "成效巩固", "产业帮扶项目联农带农机制不健全", RUNNING, "县农业农村局"),
    Item(SUPERVISION, "成效巩固", "脱贫劳动力务工就业稳定性不够", LATE, "县人社局"),
    Item(SUPERVISION, "政策落实", "饮水安全水质检测不全面", REVIEW, "县水利局"),
    Item(SUPERVISION, "责任落实", "档案资料不规范、佐证不全", NEW, "乡镇人民政府"),
    Item(SUPERVISION, "成效巩固", "村级集体经济收入来源单一", RUNNING, "乡镇人民政府"),
    Item(SUPERVISION, "工作落实", "监测对象“回头看”不及时", EVIDENCED, "县乡村振兴局"),
    Item(SUPERVISION, "成效巩固", "易地搬迁安置点后续扶持产业就业不足", SENT_BACK, "县发改委"),
)
# Findings of the other sources, "类别:问题" as the supervision ledger writes them.
EXTRA_FINDINGS: dict[str, tuple[str, ...]] = {
    "post_assessment": ("成效巩固:脱贫户收入增幅低于全县平均", "工作落实:后评估发现帮扶台账前后不一致"),
    "audit": ("政策落实:衔接资金支付进度滞后", "工作落实:项目资产未及时确权登记"),
    "petition": ("政策落实:群众反映低保评议不公开", "工作落实:群众反映饮水设施损坏未维修"),
    "fund_review": ("成效巩固:产业项目绩效目标未达成", "政策落实:衔接资金项目未按计划开工"),
    "platform": ("工作落实:监测对象无帮扶联系人", "政策落实:识别满1个月未落实开发式帮扶措施"),
    NATIONAL: ("成效巩固:脱贫人口务工规模下降",),
    PROVINCIAL: ("工作落实:防返贫监测排查不全面",),
    "unannounced": SUPERVISION_FINDINGS,
    SUPERVISION: SUPERVISION_FINDINGS,
}
RECTIFICATION_TABLES = ("findings", "tasks", "evidence", "reviewers")
RECTIFICATION_FILES = tuple(f"rectification_{name}.parquet" for name in RECTIFICATION_TABLES)
ORIGIN = "synthetic.rectification:"

FINDINGS_SCHEMA: dict[str, Any] = {
    "key": pl.String,
    "source": pl.String,
    "category": pl.String,
    "title": pl.String,
    "description": pl.String,
    "region_code": pl.String,
    "found_on": pl.Date,
    "deadline": pl.Date,
    "measures": pl.String,
    "plan_no": pl.String,
    "check_code": pl.String,
    "stage": pl.String,
    "status": pl.String,  # open / review / closed
    "closed_on": pl.Date,
    "next_due": pl.Date,
    "worked_example": pl.Boolean,
}
TASKS_SCHEMA: dict[str, Any] = {
    "finding_key": pl.String,
    "seq": pl.Int16,
    "title": pl.String,
    "region_code": pl.String,  # the owner unit
    "owner_unit": pl.String,
    "owner_name": pl.String,
    "deadline": pl.Date,
    "evidence_required": pl.String,
    "status": pl.String,  # open / done
    "done_on": pl.Date,
    "done_note": pl.String,
}
EVIDENCE_SCHEMA: dict[str, Any] = {
    "finding_key": pl.String,
    "task_seq": pl.Int16,
    "name": pl.String,
    "note": pl.String,
}
REVIEWERS_SCHEMA: dict[str, Any] = {
    "finding_key": pl.String,
    "level": pl.String,  # county / city: the loader's accounts
    "unit": pl.String,
    "decision": pl.String,  # pending / signed / sent_back
    "reason": pl.String,
    "decided_on": pl.Date,
}


@dataclass
class RectificationSet:
    findings: pl.DataFrame
    tasks: pl.DataFrame
    evidence: pl.DataFrame
    reviewers: pl.DataFrame

    def frames(self) -> dict[str, pl.DataFrame]:
        return {name: getattr(self, name) for name in RECTIFICATION_TABLES}

    def counts(self) -> dict[str, int]:
        by_stage = dict(self.findings.group_by("stage").len().iter_rows())
        return (
            {name: frame.height for name, frame in self.frames().items()}
            | {"worked_example": int(self.findings["worked_example"].sum())}
            | {f"stage_{s}": int(by_stage.get(s, 0)) for s in STAGES}
        )


def next_due(deadline: dt.date | None, open_deadlines: list[dt.date], closed: bool) -> dt.date | None:
    """services.due_refresh: the earliest of the finding's deadline and its open tasks', None once closed."""
    if closed:
        return None
    dates = ([deadline] if deadline else []) + open_deadlines
    return min(dates) if dates else None


class _Builder:
    def __init__(self, rng: np.random.Generator, as_of: dt.date) -> None:
        self.rng, self.as_of = rng, as_of
        self.findings: list[dict[str, Any]] = []
        self.tasks: list[dict[str, Any]] = []
        self.evidence: list[dict[str, Any]] = []
        self.reviewers: list[dict[str, Any]] = []

    def _between(self, first: dt.date, last: dt.date) -> dt.date:
        span = max(0, (last - first).days)
        return first + dt.timedelta(days=int(self.rng.integers(span + 1)))

    def add(
        self,
        *,
        key: str,
        source: str,
        category: str,
        title: str,
        region_code: str,
        found_on: dt.date,
        stage: str,
        unit: str,
        owner_code: str,
        owner_unit: str,
        tasks: int,
        plan_no: str = "",
        check_code: str = "",
        worked_example: bool = False,
    ) -> None:
        today = self.as_of
        deadline = max(found_on, today + dt.timedelta(days={LATE: -10, NEW: 60}.get(stage, 30)))
        task_days = {LATE: -5, NEAR: 2}.get(stage, 20)
        task_rows: list[dict[str, Any]] = []
        for seq in range(1, (0 if stage == NEW else tasks) + 1):
            label, evidence = TASK_LABELS[(seq - 1) % len(TASK_LABELS)]
            # Only the first task of a "near" finding is due within three days (orange); the rest run.
            days = task_days if stage != NEAR or seq == 1 else 20
            task_rows.append(
                {
                    "finding_key": key,
                    "seq": seq,
                    "title": f"{unit}:{label}",
                    "region_code": owner_code,
                    "owner_unit": owner_unit,
                    "owner_name": SURNAMES[int(self.rng.integers(len(SURNAMES)))] + "同志",
                    "deadline": max(found_on, today + dt.timedelta(days=days)),
                    "evidence_required": evidence,
                    "status": "open",
                    "done_on": None,
                    "done_note": "",
                }
            )
        evidenced = stage in (EVIDENCED, REVIEW, SENT_BACK, CLOSED)
        done = {EVIDENCED: 1, REVIEW: len(task_rows), CLOSED: len(task_rows)}.get(stage, 0)
        first_done = max(found_on, today - dt.timedelta(days=60))
        for n, task in enumerate(task_rows):
            if evidenced:
                for k in range(1 + int(self.rng.random() < 0.3)):
                    self.evidence.append(
                        {
                            "finding_key": key,
                            "task_seq": task["seq"],
                            "name": ("整改佐证.pdf", "整改前后对比照片.pdf")[k],
                            "note": f"{task['evidence_required']}({owner_unit}提供)",
                        }
                    )
            if n < done:
                task["status"], task["done_on"] = "done", self._between(first_done, today)
                task["done_note"] = "已按整改方案完成"
            elif stage == SENT_BACK:
                # Done once, then reopened by the send-back: the note stays, the date is cleared.
                task["done_note"] = "已按整改方案完成"
        last_done = max((t["done_on"] for t in task_rows if t["done_on"]), default=found_on)
        status = {REVIEW: "review", CLOSED: "closed"}.get(stage, "open")
        closed_on = self._between(last_done, today) if stage == CLOSED else None
        if stage in (EVIDENCED, REVIEW, SENT_BACK, CLOSED):
            decided = {
                REVIEW: ("signed", "pending"),
                CLOSED: ("signed", "signed"),
                SENT_BACK: ("pending", "sent_back"),
            }.get(stage, ("pending", "pending"))
            for level, decision in zip(("county", "city"), decided, strict=True):
                on = None
                if decision != "pending":
                    on = closed_on if closed_on else self._between(last_done, today)
                self.reviewers.append(
                    {
                        "finding_key": key,
                        "level": level,
                        "unit": "县乡村振兴局" if level == "county" else "市乡村振兴局",
                        "decision": decision,
                        "reason": SEND_BACK_REASON if decision == "sent_back" else "",
                        "decided_on": on,
                    }
                )
        self.tasks += task_rows
        open_deadlines = [t["deadline"] for t in task_rows if t["status"] == "open"]
        self.findings.append(
            {
                "key": key,
                "source": source,
                "category": category,
                "title": title,
                "description": (
                    f"2022年度考核评估反馈及市级督导发现:{title}。"
                    if worked_example
                    else f"{found_on:%Y年%m月}发现:{title}。"
                ),
                "region_code": region_code,
                "found_on": found_on,
                "deadline": deadline,
                "measures": f"{unit}牵头,建立问题、任务、责任清单,逐项整改、逐项销号。",
                "plan_no": plan_no,
                "check_code": check_code,
                "stage": stage,
                "status": status,
                "closed_on": closed_on,
                "next_due": next_due(deadline, open_deadlines, status == "closed"),
                "worked_example": worked_example,
            }
        )


def generate_rectification(
    *, tree: pl.DataFrame, seed: int, as_of: dt.date, say: Any = None
) -> RectificationSet:
    say = say or (lambda _m: None)
    rng = np.random.default_rng([seed, 25])
    build = _Builder(rng, as_of)
    counties = tree.filter(pl.col("level") == "county").sort("code")["code"].to_list()
    villages = tree.filter(pl.col("level") == "village").sort("code")
    names = dict(villages.select("code", "name").iter_rows())
    plan_found = dt.date(as_of.year - 1, 1, 15) if as_of.month < 6 else dt.date(as_of.year, 1, 15)
    stages, weights = list(STAGE_P), np.array(list(STAGE_P.values()))
    for county in counties:
        mine = villages.filter(pl.col("code").str.starts_with(county[:6]))
        if mine.height == 0:
            continue
        key_villages = mine.filter(pl.col("is_key_village"))
        village = str((key_villages if key_villages.height else mine)["code"][0])
        places = (village, village[:9] + "000", county)
        # The worked example (as demo_rectification.py files it): in the village, its township and the county.
        for n, item in enumerate(PLAN, start=1):
            region = places[n % 3] if not item.check else village
            stage = NEAR if item.stage == RUNNING and n % 2 else item.stage
            build.add(
                key=f"{county[:6]}-P{n:02d}",
                source=item.source,
                category=item.category,
                title=item.title,
                region_code=region,
                found_on=plan_found,
                stage=stage,
                unit=item.unit,
                owner_code=region,
                owner_unit=item.unit if region != village else f"{names[village]}村委会",
                tasks=2,
                plan_no=str(n),
                check_code=item.check,
                worked_example=True,
            )
        # Findings of every source in the county's villages: the first of each source and each stage in turn
        # (so every scale has them all), the rest drawn.
        codes = mine["code"].to_list()
        total = max(len(SOURCES), len(STAGES), int(rng.poisson(FINDINGS_PER_VILLAGE * len(codes))))
        for n in range(total):
            source = SOURCES[n] if n < len(SOURCES) else SOURCES[int(rng.integers(len(SOURCES)))]
            stage = STAGES[n] if n < len(STAGES) else stages[int(rng.choice(len(stages), p=weights))]
            pool = EXTRA_FINDINGS[source]
            category, title = pool[int(rng.integers(len(pool)))].split(":", 1)
            code = codes[int(rng.integers(len(codes)))]
            unit = OWNERS[int(rng.integers(len(OWNERS)))]
            build.add(
                key=f"{county[:6]}-F{n:05d}",
                source=source,
                category=category,
                title=title,
                region_code=code,
                found_on=as_of - dt.timedelta(days=int(rng.integers(20, 300))),
                stage=stage,
                unit=unit,
                owner_code=code,
                owner_unit=f"{names[code]}村委会",
                tasks=int(1 + rng.integers(3)),
            )
    out = RectificationSet(
        findings=pl.DataFrame(build.findings, schema=FINDINGS_SCHEMA),
        tasks=pl.DataFrame(build.tasks, schema=TASKS_SCHEMA),
        evidence=pl.DataFrame(build.evidence, schema=EVIDENCE_SCHEMA),
        reviewers=pl.DataFrame(build.reviewers, schema=REVIEWERS_SCHEMA),
    )
    closed = out.findings.filter(pl.col("status") == "closed").height
    say(
        f"  问题整改:问题 {out.findings.height:,} 个(其中整改方案示例 {int(out.findings['worked_example'].sum())}"
        f" 个,已销号 {closed:,} 个),整改任务 {out.tasks.height:,} 项,佐证材料 {out.evidence.height:,} 份"
    )
    return out
