"""The demo's rectification ledger (docs/domain.md §12, §25): the city's worked example — the 2022 national and
provincial assessments fed back 3 categories / 14 problems, and the city's own inspections 8 common problems,
merged into one plan of 22 items — filed in the demo county with tasks at every stage: not started (some due
soon, orange; some past their deadline, red), with evidence, done and under joint review (one reviewer signed,
one not), sent back with a reason, and closed. One finding of the demo village carries the 举一反三 check of
C/D-grade houses, run once over the county, so the ledger shows the same problem found in other villages.

Everything is written through dixian.rectification.services (the rules and the history as the pages write
them), by the demo accounts that own each step; `demo_rectification_loaded` makes it run once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from dixian.accounts.models import User
from dixian.rectification import services
from dixian.rectification.models import Finding
from dixian.regions.models import Region

Say = Callable[[str], None]
ORIGIN = "demo.rectification:"
# A one-page scanned "photo" as the evidence of the demo's done tasks (checked like an upload).
EVIDENCE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
NATIONAL, PROVINCIAL, SUPERVISION = (
    Finding.Source.NATIONAL,
    Finding.Source.PROVINCIAL,
    Finding.Source.SUPERVISION,
)
# Stages of the demo's findings.
NEW, RUNNING, LATE, EVIDENCED, REVIEW, SENT_BACK, CLOSED = (
    "new",
    "running",
    "late",
    "evidenced",
    "review",
    "sent_back",
    "closed",
)


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


@dataclass
class RectificationResult:
    findings: int = 0
    tasks: int = 0
    same_check: int = 0


def demo_rectification_loaded(village: str) -> bool:
    return Finding.objects.filter(origin_key__startswith=ORIGIN, region_code__startswith=village[:6]).exists()


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("整改佐证.pdf", EVIDENCE_PDF, content_type="application/pdf")


def demo_rectification(users: dict[str, User], village: str, *, say: Say) -> RectificationResult:
    """File the plan in the demo county (the village, its township, the county) once, then run 举一反三."""
    result = RectificationResult()
    if demo_rectification_loaded(village):
        return result
    county = Region.objects.get(code=village[:6] + "000000")
    township = Region.objects.get(code=village[:9] + "000")
    village_region = Region.objects.get(code=village)
    admin, reviewer, city, officer = (
        users["xs_admin"],
        users["xs_reviewer"],
        users["city_admin"],
        users["village_officer"],
    )
    today = timezone.localdate()
    found = dt.date(today.year - 1, 1, 15) if today.month < 6 else dt.date(today.year, 1, 15)
    parent: Finding | None = None
    with transaction.atomic():
        for n, item in enumerate(PLAN, start=1):
            region = (village_region, township, county)[n % 3] if not item.check else village_region
            finding, created = services.finding_raise(
                actor=admin,
                source=item.source,
                category=item.category,
                title=item.title,
                description=f"2022年度考核评估反馈及市级督导发现:{item.title}。",
                region=region,
                found_on=found,
                origin_key=f"{ORIGIN}{village[:6]}:{n}",
                deadline=today + dt.timedelta(days={LATE: -10, NEW: 60}.get(item.stage, 30)),
                measures=f"{item.unit}牵头,建立问题、任务、责任清单,逐项整改、逐项销号。",
                plan_no=str(n),
                check_code=item.check,
                imported=True,
            )
            if not created:
                continue
            result.findings += 1
            if item.check:
                parent = finding
            if item.stage == NEW:
                continue
            days = {LATE: -5, RUNNING: 2 if n % 2 else 20}.get(item.stage, 20)
            # Owned by the village (the officer does it) or by the township/county (the county admin does).
            owner = village_region if region == village_region else region
            doer = officer if owner == village_region else admin
            tasks = [
                services.task_add(
                    actor=admin,
                    finding=finding,
                    title=f"{item.unit}:{label}",
                    owner_region=owner,
                    owner_unit=item.unit if owner != village_region else f"{village_region.name}村委会",
                    owner_name="",
                    deadline=max(found, today + dt.timedelta(days=days)),
                    evidence_required=evidence,
                )
                for label, evidence in (
                    ("制定整改方案并部署", "整改方案、会议纪要扫描件"),
                    ("逐项整改到位", "整改前后对比照片"),
                )
            ]
            result.tasks += len(tasks)
            if item.stage in (RUNNING, LATE):
                continue
            services.reviewers_add(
                actor=admin, finding=finding, reviewers=[reviewer, city], unit="县乡村振兴局"
            )
            for task in tasks:
                services.evidence_add(actor=doer, task=task, upload=_pdf(), note="整改佐证")
            if item.stage == EVIDENCED:
                services.task_close(actor=doer, task=tasks[0], done_on=today)
                continue
            for task in tasks:
                services.task_close(actor=doer, task=task, done_on=today)
            if item.stage == REVIEW:
                services.review_sign(actor=reviewer, finding=finding)
            elif item.stage == SENT_BACK:
                services.review_send_back(
                    actor=city, finding=finding, reason="佐证材料只有照片,缺少整改台账和群众满意度回访记录"
                )
            elif item.stage == CLOSED:
                services.review_sign(actor=reviewer, finding=finding)
                services.review_sign(actor=city, finding=finding)
                services.finding_close(actor=admin, finding=finding)
    if parent is not None:
        same = services.same_check_run(actor=admin, finding=parent)
        result.same_check = same.filed
    say(
        f"问题整改:登记问题 {result.findings} 个(国考省考 14 个、市级督导共性问题 8 个),"
        f"整改任务 {result.tasks} 项;举一反三在其他村新登记 {result.same_check} 个同类问题。"
    )
    return result
