"""Village governance of a generated city (乡村治理, docs/domain.md §13 and §28, docs/synthetic.md
"Village governance"): each village's 四议两公开 decisions with their steps (most complete, some missing a
step — findings once the demo's check runs), its points rules (积分制), the points awarded to some of its
households and their redemptions in the points shop (积分超市, never beyond the balance), and its 村规民约 and
红白理事会 charter.

Drawn from a random stream of its own (seed, 28), after everything else, so nothing else changes. The
decisions' derived facts (steps done, missing steps, next step and its due date) are computed here with the
app's own pure rules (dixian/governance/rules.py), so the loader writes rows as the app would. Never imports
Django.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from dixian.governance import rules

DECISIONS_PER_VILLAGE = 4.0  # Poisson mean, at least one
# What becomes of a decision: most done in full; some missing a step (the village forgot a meeting or never
# published); some still being deliberated or implemented and not yet closed.
FATES = {"complete": 0.6, "missing": 0.12, "implemented": 0.13, "open": 0.15}
SHARE_IN_POINTS = 0.3  # households of a village with points
ATTACH_SHARE = 0.02  # steps with minutes attached outside the demo village (the demo village: every one)
TITLES: dict[str, tuple[str, ...]] = {
    "project": ("修建{g}通组公路", "{g}安全饮水巩固提升工程", "村文化广场建设", "产业路硬化", "村组路灯安装"),
    "assets": ("村集体山塘发包", "村集体店面出租", "光伏电站收益使用", "村集体林地流转"),
    "funds": ("村集体经济收益分配方案", "村级公益事业一事一议筹资"),
    "dibao": ("{y}年度低保对象民主评议", "{y}年度特困供养对象评议"),
    "land": ("{g}土地流转发展油茶产业", "高标准农田建设土地调整"),
    "other": ("修订村规民约", "人居环境整治红黑榜评比办法"),
}
CATEGORY_P = {"project": 0.35, "assets": 0.2, "funds": 0.15, "dibao": 0.15, "land": 0.1, "other": 0.05}
AMOUNTS = {
    "project": (50_000, 600_000),
    "assets": (5_000, 80_000),
    "funds": (10_000, 200_000),
    "land": (0, 0),
}
RULES = (
    ("环境卫生评比优秀", 10),
    ("参与义务劳动", 5),
    ("孝老爱亲", 8),
    ("移风易俗、红白事简办", 10),
    ("子女考上大学", 15),
    ("乱堆乱放", -5),
    ("大操大办、燃放烟花爆竹", -10),
)
SHOP = (("洗衣粉", 10), ("食用油", 30), ("大米(10斤)", 40), ("毛巾", 8), ("酱油", 12))

DECISIONS_SCHEMA: dict[str, Any] = {
    "key": pl.String,
    "region_code": pl.String,
    "title": pl.String,
    "category": pl.String,
    "amount": pl.Decimal(15, 2),
    "status": pl.String,
    "implemented_on": pl.Date,
    "closed_on": pl.Date,
    "steps_done": pl.Int16,
    "missing": pl.String,
    "next_step": pl.String,
    "next_due_on": pl.Date,
}
STEPS_SCHEMA: dict[str, Any] = {
    "decision_key": pl.String,
    "region_code": pl.String,
    "step": pl.String,
    "held_on": pl.Date,
    "expected": pl.Int32,
    "attending": pl.Int32,
    "votes_for": pl.Int32,
    "votes_against": pl.Int32,
    "votes_abstain": pl.Int32,
    "attached": pl.Boolean,
}
RULES_SCHEMA: dict[str, Any] = {"region_code": pl.String, "item": pl.String, "points": pl.Int32}
AWARDS_SCHEMA: dict[str, Any] = {
    "household_no": pl.String,
    "region_code": pl.String,
    "item": pl.String,
    "points": pl.Int32,
    "reason": pl.String,
    "awarded_on": pl.Date,
}
REDEMPTIONS_SCHEMA: dict[str, Any] = {
    "household_no": pl.String,
    "region_code": pl.String,
    "item": pl.String,
    "points": pl.Int32,
    "redeemed_on": pl.Date,
}
DOCUMENTS_SCHEMA: dict[str, Any] = {
    "region_code": pl.String,
    "kind": pl.String,
    "title": pl.String,
    "adopted_on": pl.Date,
}
GOVERNANCE_TABLES = ("decisions", "steps", "rules", "awards", "redemptions", "documents")
GOVERNANCE_FILES = tuple(f"governance_{name}.parquet" for name in GOVERNANCE_TABLES)
MEETING_SIZE = {"discussion": (7, 9), "members_review": (25, 60), "representatives": (30, 55)}


@dataclass
class GovernanceSet:
    decisions: pl.DataFrame
    steps: pl.DataFrame
    rules: pl.DataFrame
    awards: pl.DataFrame
    redemptions: pl.DataFrame
    documents: pl.DataFrame

    def frames(self) -> dict[str, pl.DataFrame]:
        return {name: getattr(self, name) for name in GOVERNANCE_TABLES}


def _pick(rng: np.random.Generator, options: dict[str, float]) -> str:
    keys = list(options)
    return keys[int(rng.choice(len(keys), p=np.array(list(options.values()))))]


def _decisions(
    rng: np.random.Generator, code: str, name: str, as_of: dt.date, demo: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    decisions: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    count = max(1, int(rng.poisson(DECISIONS_PER_VILLAGE)))
    for k in range(count):
        category = _pick(rng, CATEGORY_P)
        fate = "missing" if demo and k == 0 else _pick(rng, FATES)
        template = TITLES[category][int(rng.integers(0, len(TITLES[category])))]
        title = template.format(g=f"{name}{int(rng.integers(1, 9))}组", y=as_of.year)
        low, high = AMOUNTS.get(category, (0, 0))
        amount = round(float(rng.uniform(low, high)), -2) if high else None
        start = as_of - dt.timedelta(days=int(rng.integers(20, 330)))
        taken = list(rules.STEP_CODES[:5])
        if fate == "open":
            taken = taken[: int(rng.integers(1, 5))]
        if fate == "missing":
            taken.pop(int(rng.integers(1, 5)))  # a meeting or the published decision, never the proposal
        held: dict[str, dt.date] = {}
        day = start
        for code_ in taken:
            held[code_] = min(day, as_of)
            day += dt.timedelta(days=int(rng.integers(2, 15)))
        status, implemented, closed = "open", None, None
        if fate != "open":
            implemented = min(day + dt.timedelta(days=int(rng.integers(5, 60))), as_of)
            status = "implemented"
            if fate in ("complete", "missing"):
                result = min(implemented + dt.timedelta(days=int(rng.integers(3, 25))), as_of)
                if fate == "complete" or rng.random() < 0.5:
                    held["result_disclosure"] = result
                status, closed = "closed", min(result + dt.timedelta(days=2), as_of)
        key = f"{code}-D{k + 1:02d}"
        missing = rules.missing_steps(held, status)
        next_step, due = rules.next_due(held, status, implemented)
        decisions.append(
            {
                "key": key,
                "region_code": code,
                "title": title,
                "category": category,
                "amount": amount,
                "status": status,
                "implemented_on": implemented,
                "closed_on": closed,
                "steps_done": len(held),
                "missing": ",".join(missing),
                "next_step": next_step,
                "next_due_on": due,
            }
        )
        for step, on in held.items():
            size = MEETING_SIZE.get(step)
            expected = attending = votes_for = against = abstain = None
            if size:
                expected = int(rng.integers(*size))
                attending = expected - int(rng.integers(0, max(2, expected // 6)))
                against = int(rng.integers(0, 3))
                abstain = int(rng.integers(0, 2))
                votes_for = max(0, attending - against - abstain)
            steps.append(
                {
                    "decision_key": key,
                    "region_code": code,
                    "step": step,
                    "held_on": on,
                    "expected": expected,
                    "attending": attending,
                    "votes_for": votes_for,
                    "votes_against": against,
                    "votes_abstain": abstain,
                    "attached": demo or bool(rng.random() < ATTACH_SHARE),
                }
            )
    return decisions, steps


def generate_governance(
    *,
    tree: pl.DataFrame,
    households: pl.DataFrame,
    seed: int,
    as_of: dt.date,
    demo_village: str = "",
    say: Any = None,
) -> GovernanceSet:
    say = say or (lambda _m: None)
    rng = np.random.default_rng([seed, 28])
    villages = tree.filter(pl.col("level") == "village").sort("code")
    by_village: dict[str, list[str]] = {}
    for no, code in (
        households.select("household_no", pl.col("region_code").str.slice(0, 12))
        .sort("household_no")
        .iter_rows()
    ):
        by_village.setdefault(code, []).append(no)
    decisions: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    rule_rows: list[dict[str, Any]] = []
    awards: list[dict[str, Any]] = []
    redemptions: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    for code, name in villages.select("code", "name").iter_rows():
        d, s = _decisions(rng, code, name, as_of, code == demo_village)
        decisions += d
        steps += s
        chosen = [RULES[i] for i in sorted(rng.choice(len(RULES), size=5, replace=False))]
        rule_rows += [{"region_code": code, "item": item, "points": points} for item, points in chosen]
        positive = [r for r in chosen if r[1] > 0]
        negative = [r for r in chosen if r[1] < 0]
        members = by_village.get(code, [])
        if members and positive:
            take = max(1, int(len(members) * SHARE_IN_POINTS))
            picked = sorted(rng.choice(len(members), size=min(take, len(members)), replace=False))
            for j in picked:
                balance = 0
                for _ in range(int(rng.integers(1, 4))):
                    item, points = (
                        negative[0]
                        if negative and rng.random() < 0.1
                        else positive[int(rng.integers(0, len(positive)))]
                    )
                    balance += points
                    awards.append(
                        {
                            "household_no": members[j],
                            "region_code": code,
                            "item": item,
                            "points": points,
                            "reason": f"{as_of.year}年{int(rng.integers(1, as_of.month + 1))}月村民评议",
                            "awarded_on": as_of - dt.timedelta(days=int(rng.integers(30, 300))),
                        }
                    )
                shop_item, price = SHOP[int(rng.integers(0, len(SHOP)))]
                if balance >= price and rng.random() < 0.5:
                    redemptions.append(
                        {
                            "household_no": members[j],
                            "region_code": code,
                            "item": shop_item,
                            "points": price,
                            "redeemed_on": as_of - dt.timedelta(days=int(rng.integers(0, 25))),
                        }
                    )
        adopted = dt.date(int(rng.integers(2019, 2024)), int(rng.integers(1, 13)), int(rng.integers(1, 28)))
        documents.append(
            {"region_code": code, "kind": "rules", "title": f"{name}村规民约", "adopted_on": adopted}
        )
        documents.append(
            {
                "region_code": code,
                "kind": "council",
                "title": f"{name}红白理事会章程",
                "adopted_on": adopted + dt.timedelta(days=int(rng.integers(0, 90))),
            }
        )
    out = GovernanceSet(
        decisions=pl.DataFrame(decisions, schema=DECISIONS_SCHEMA),
        steps=pl.DataFrame(steps, schema=STEPS_SCHEMA),
        rules=pl.DataFrame(rule_rows, schema=RULES_SCHEMA),
        awards=pl.DataFrame(awards, schema=AWARDS_SCHEMA),
        redemptions=pl.DataFrame(redemptions, schema=REDEMPTIONS_SCHEMA),
        documents=pl.DataFrame(documents, schema=DOCUMENTS_SCHEMA),
    )
    flagged = out.decisions.filter(pl.col("missing") != "").height
    say(
        f"  乡村治理:四议两公开事项 {out.decisions.height:,} 件(缺少程序 {flagged} 件),"
        f"积分记录 {out.awards.height:,} 条,兑换 {out.redemptions.height:,} 次,文件 {out.documents.height:,} 份"
    )
    return out
