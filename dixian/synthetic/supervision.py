"""Organisation and supervision of a generated city (组织保障与督导, docs/domain.md §26): two 挂点 leaders per
county, a 定点帮扶 unit, a first secretary and work-team members for each key village (some with a stationing
already ended), the city's pool of 50 experts, and a year of 月调研 / 季督导 / 暗访 up to the demo day — most
recorded, some with findings (loaded into the rectification ledger through finding_raise), a few past their
date without a record — plus next month's plans. Drawn from a random stream of its own (seed, 26). Never
imports Django.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from .names import GIVEN, SURNAME_WEIGHTS, SURNAMES
from .tree import CITY_CODE

EXPERTS = 50  # the city's pool (docs/domain.md §12)
EXPERT_FIELDS = (
    "industry",
    "employment",
    "education",
    "health",
    "housing",
    "water",
    "funds",
    "governance",
    "environment",
    "policy",
)
EXPERT_UNITS = ("九江学院", "市农业科学院", "市委党校", "九江职业技术学院", "市人民医院", "市水利规划设计院")
EXPERT_TITLES = ("教授", "副教授", "高级农艺师", "研究员", "高级工程师", "主任医师", "高级经济师")
LEADER_POSTS = ("副市长", "市委常委、组织部部长", "市人大常委会副主任", "市政协副主席", "市委常委、秘书长")
COUNTY_POSTS = ("县委副书记", "县委常委、副县长", "县人大常委会主任", "县政协主席")
UNITS = (
    "市财政局",
    "市农业农村局",
    "市发展和改革委员会",
    "市自然资源局",
    "市交通运输局",
    "市水利局",
    "市卫生健康委员会",
    "市教育局",
    "国网九江供电公司",
    "中国银行九江分行",
    "市审计局",
    "市市场监督管理局",
)
TOPICS = {
    "monthly": (
        "防止返贫动态监测落实情况",
        "产业帮扶项目推进情况",
        "脱贫劳动力务工就业情况",
        "衔接资金使用情况",
    ),
    "quarterly": ("巩固拓展脱贫攻坚成果季度督导", "问题整改落实情况督导", "驻村帮扶工作督导"),
    "unannounced": ("三保障和饮水安全暗访", "帮扶政策落实暗访", "人居环境整治暗访"),
}
CHECKED = (
    "查阅村级台账和监测对象档案,入户走访{n}户,召开村干部座谈会。",
    "实地查看帮扶项目现场,核对资金拨付凭证,走访脱贫户{n}户。",
    "随机入户{n}户,核实收入和三保障情况,查看公示栏。",
)
FINDINGS = (
    "政策落实:个别监测对象识别认定超过时限",
    "工作落实:村级公示栏信息未及时更新",
    "责任落实:部分帮扶责任人对帮扶政策不熟悉",
    "成效巩固:产业项目联农带农机制不完善",
    "工作落实:监测对象帮扶措施落实不到位",
    "政策落实:个别脱贫户危房改造后未及时入住",
    "成效巩固:部分脱贫劳动力务工收入下降",
    "工作落实:驻村工作队在岗天数不足",
)
SUPERVISION_TABLES = ("leaders", "units", "staff", "experts", "visits")
SUPERVISION_FILES = tuple(f"supervision_{name}.parquet" for name in SUPERVISION_TABLES)

LEADERS_SCHEMA: dict[str, Any] = {
    "key": pl.String,
    "name": pl.String,
    "post": pl.String,
    "county_code": pl.String,
    "start_on": pl.Date,
}
UNITS_SCHEMA: dict[str, Any] = {"unit": pl.String, "village_code": pl.String, "start_on": pl.Date}
STAFF_SCHEMA: dict[str, Any] = {
    "name": pl.String,
    "phone": pl.String,
    "unit": pl.String,
    "village_code": pl.String,
    "role": pl.String,
    "start_on": pl.Date,
    "end_on": pl.Date,
}
EXPERTS_SCHEMA: dict[str, Any] = {
    "key": pl.String,
    "name": pl.String,
    "field": pl.String,
    "unit": pl.String,
    "title": pl.String,
    "region_code": pl.String,
}
VISITS_SCHEMA: dict[str, Any] = {
    "kind": pl.String,
    "region_code": pl.String,
    "topic": pl.String,
    "planned_on": pl.Date,
    "done_on": pl.Date,
    "checked": pl.String,
    "findings": pl.String,  # one finding per line, "类别:问题" (services.findings_parse)
    "leader_keys": pl.List(pl.String),
    "expert_keys": pl.List(pl.String),
}


@dataclass
class SupervisionSet:
    leaders: pl.DataFrame
    units: pl.DataFrame
    staff: pl.DataFrame
    experts: pl.DataFrame
    visits: pl.DataFrame

    def frames(self) -> dict[str, pl.DataFrame]:
        return {name: getattr(self, name) for name in SUPERVISION_TABLES}


def _name(rng: np.random.Generator) -> str:
    surname = SURNAMES[rng.choice(len(SURNAMES), p=SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum())]
    pool = GIVEN[("male" if rng.random() < 0.7 else "female", 1)]
    return surname + "".join(pool[rng.integers(len(pool))] for _ in range(1 + int(rng.random() < 0.6)))


def _phone(rng: np.random.Generator) -> str:
    return f"1{rng.choice([39, 38, 37, 58, 87]):02d}{rng.integers(10**8):08d}"


def _weekday(rng: np.random.Generator, first: dt.date, days: int) -> dt.date:
    day = first + dt.timedelta(days=int(rng.integers(days)))
    return day - dt.timedelta(days=max(0, day.weekday() - 4))  # a Saturday or Sunday moves to the Friday


def _months(as_of: dt.date, back: int, ahead: int) -> list[dt.date]:
    first = as_of.replace(day=1)
    index = first.year * 12 + first.month - 1
    return [dt.date((index + k) // 12, (index + k) % 12 + 1, 1) for k in range(-back, ahead + 1)]


def _stationed(
    villages: pl.DataFrame, rng: np.random.Generator, as_of: dt.date
) -> tuple[list[Any], list[Any]]:
    units, staff = [], []
    start = dt.date(as_of.year - 2, 6, 1)
    for code in villages["code"].to_list():
        unit = UNITS[rng.integers(len(UNITS))]
        units.append({"unit": unit, "village_code": code, "start_on": dt.date(as_of.year - 4, 7, 1)})
        # A first secretary who left last year, the one stationed now, and one or two team members.
        ended = start - dt.timedelta(days=1)
        staff.append(
            {"name": _name(rng), "phone": _phone(rng), "unit": unit, "village_code": code}
            | {"role": "first_secretary", "start_on": dt.date(as_of.year - 4, 7, 1), "end_on": ended}
        )
        staff.extend(
            {"name": _name(rng), "phone": _phone(rng), "unit": unit, "village_code": code}
            | {"role": role, "start_on": start, "end_on": None}
            for role in ("first_secretary", *["member"] * int(1 + rng.integers(2)))
        )
    return units, staff


def generate_supervision(*, tree: pl.DataFrame, seed: int, as_of: dt.date, say: Any = None) -> SupervisionSet:
    say = say or (lambda _m: None)
    rng = np.random.default_rng([seed, 26])
    counties = tree.filter(pl.col("level") == "county").sort("code")
    townships = tree.filter(pl.col("level") == "township").sort("code")
    villages = tree.filter(pl.col("level") == "village").sort("code")
    key = villages.filter(pl.col("is_key_village"))
    stationed = key if key.height else villages.head(5)

    leaders = []
    for code in counties["code"].to_list():
        for n, posts in enumerate((LEADER_POSTS, COUNTY_POSTS)):
            leaders.append(
                {"key": f"{code}-{n}", "name": _name(rng), "post": posts[rng.integers(len(posts))]}
                | {"county_code": code, "start_on": dt.date(as_of.year - 2, 1, 1)}
            )
    experts = [
        {"key": f"E{n:02d}", "name": _name(rng), "field": EXPERT_FIELDS[n % len(EXPERT_FIELDS)]}
        | {
            "unit": EXPERT_UNITS[rng.integers(len(EXPERT_UNITS))],
            "title": EXPERT_TITLES[rng.integers(len(EXPERT_TITLES))],
        }
        | {"region_code": CITY_CODE}
        for n in range(EXPERTS)
    ]
    units, staff = _stationed(stationed, rng, as_of)

    visits = []
    expert_keys = [e["key"] for e in experts]
    for county in counties["code"].to_list():
        prefix6 = county[:6]
        places = {
            "village": [c for c in stationed["code"].to_list() if c.startswith(prefix6)]
            or [c for c in villages["code"].to_list() if c.startswith(prefix6)],
            "township": [c for c in townships["code"].to_list() if c.startswith(prefix6)],
        }
        if not places["village"]:
            continue
        for month in _months(as_of, 12, 1):
            plans = [("monthly", "village")]
            if month.month in (3, 6, 9, 12):
                plans.append(("quarterly", "township" if places["township"] else "village"))
            if month.month % 2 == 0:
                plans.append(("unannounced", "village"))
            for kind, level in plans:
                choices = places[level]
                planned = _weekday(rng, month, 27)
                visits.append(
                    _visit(
                        rng, kind, choices[rng.integers(len(choices))], planned, as_of, county, expert_keys
                    )
                )
    frames = SupervisionSet(
        leaders=pl.DataFrame(leaders, schema=LEADERS_SCHEMA),
        units=pl.DataFrame(units, schema=UNITS_SCHEMA),
        staff=pl.DataFrame(staff, schema=STAFF_SCHEMA),
        experts=pl.DataFrame(experts, schema=EXPERTS_SCHEMA),
        visits=pl.DataFrame(visits, schema=VISITS_SCHEMA),
    )
    done = frames.visits.filter(pl.col("done_on").is_not_null())
    say(
        f"  组织保障与督导:挂点领导 {frames.leaders.height} 人,驻村干部 {frames.staff.height} 人次,"
        f"专家 {frames.experts.height} 人,督导调研 {frames.visits.height} 次(已实施 {done.height} 次)。"
    )
    return frames


def _visit(
    rng: np.random.Generator,
    kind: str,
    region_code: str,
    planned: dt.date,
    as_of: dt.date,
    county: str,
    expert_keys: list[str],
) -> dict[str, Any]:
    # Most visits of the past are recorded on their day; some slip a day or two; a few are never recorded
    # (逾期未记录, the dispatch page's overdue items). Visits from the demo day on are plans.
    done_on: dt.date | None = None
    if planned <= as_of and rng.random() < 0.92:
        done_on = min(planned + dt.timedelta(days=int(rng.integers(3)) if rng.random() < 0.2 else 0), as_of)
    findings = ""
    if done_on is not None and rng.random() < 0.4:
        picks = rng.choice(len(FINDINGS), size=int(1 + rng.integers(3)), replace=False)
        findings = "\n".join(FINDINGS[i] for i in sorted(picks))
    leader_keys = [f"{county}-{int(kind == 'monthly')}"]
    topics = TOPICS[kind]
    return {
        "kind": kind,
        "region_code": region_code,
        "topic": topics[rng.integers(len(topics))],
        "planned_on": planned,
        "done_on": done_on,
        "checked": CHECKED[rng.integers(len(CHECKED))].format(n=int(3 + rng.integers(8))) if done_on else "",
        "findings": findings,
        "leader_keys": leader_keys,
        "expert_keys": [
            expert_keys[i] for i in rng.choice(len(expert_keys), size=int(1 + rng.integers(3)), replace=False)
        ],
    }
