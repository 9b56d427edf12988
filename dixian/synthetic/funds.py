"""衔接资金, projects, assets and 联农带农 of a synthetic year (docs/domain.md §22, docs/synthetic.md).

Two plan years are drawn: the demo's year (that of the feeds' period, progress as of its last day) and the
year before (finished). The city figures the draws are scaled to are the report's of issue 16: 8.08 亿元 of
central, provincial and city funds, 89.8 % arranged, 4,649 projects in the plan, 95.9 % started, 5,820
business entities linking 23,250 households and 1,671 industry bases linking 12,213. A smaller scale gets
the same figures in proportion to its persons.

The chain holds by construction, in integer fen (Decimal only when the frames are written):
- an allocation's arrangements never exceed it (each arranges a share of its amount, split to the fen);
- a project's budget by fund source is the sum of what was arranged to it from that level;
- planned (纳入计划) ≤ started ≤ completed ≤ accepted ≤ the as-of day; payments fall between the start and the
  as-of day, sum to at most the budget and use only categories off the default negative list;
- hires, assets to households, distributions and links name households and persons of the population,
  distributions only heads of households the feeds leave alive and in place (`excluded`).

Drawn from a random stream of its own (seed, 16), so the population and the feeds are unchanged by it and the
same seed gives the same frames. Never imports Django.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl
from stdnum.cn import uscc

from dixian.domain import funds as fd

from .tree import BY_CODE6

# The city's figures (issue 16; docs/synthetic.md) and the population they belong to.
CITY_PERSONS = 2_500_000
CITY_ISSUED_YUAN = 808_000_000  # 中央和省市财政衔接资金, the current year
CITY_PROJECTS = 4_649
START_RATE = 0.959
ARRANGED_RATE = (0.85, 0.95)  # the current year's per allocation; mean about 0.90
CITY_ENTITIES = 5_820
CITY_ENTITY_HOUSEHOLDS = 23_250
CITY_BASES = 1_671
CITY_BASE_HOUSEHOLDS = 12_213
PROJECT_LINKS_MEAN = 28  # households linked by a project: about 300,000 links at city scale
MIN_PROJECTS = 8  # per year, so that the village scale still has a plan
STREAM = 16

# Of the 8.08 亿 (central, province, city); the county adds its own on top.
LEVEL_SHARE = {fd.CENTRAL: 0.62, fd.PROVINCE: 0.28, fd.CITY: 0.10, fd.COUNTY: 0.06}
# How many documents a level issues in a year, and the month (and day) of each; month 0 = November before.
LEVEL_DOCS: dict[str, tuple[tuple[int, int], ...]] = {
    fd.CENTRAL: ((0, 20), (3, 18), (6, 12)),
    fd.PROVINCE: ((1, 15), (4, 22), (7, 9)),
    fd.CITY: ((3, 6), (8, 14)),
    fd.COUNTY: ((2, 25), (9, 5)),
}
# How likely a project draws on a level besides the central funds.
LEVEL_TAKE = {fd.CENTRAL: 1.0, fd.PROVINCE: 0.6, fd.CITY: 0.3, fd.COUNTY: 0.3}
PURPOSE = {
    fd.CENTRAL: "中央财政衔接推进乡村振兴补助资金",
    fd.PROVINCE: "省级财政衔接推进乡村振兴补助资金",
    fd.CITY: "市级财政衔接推进乡村振兴补助资金",
    fd.COUNTY: "县级财政衔接推进乡村振兴补助资金",
}

# Project types: share of projects, and a budget weight that puts about 60 % of the money in industry.
KIND_P = {
    fd.INDUSTRY: 0.45,
    fd.INFRASTRUCTURE: 0.25,
    fd.RURAL_CONSTRUCTION: 0.17,
    fd.EMPLOYMENT: 0.09,
    fd.OTHER: 0.04,
}
KIND_WEIGHT = {
    fd.INDUSTRY: 1.6,
    fd.INFRASTRUCTURE: 1.0,
    fd.RURAL_CONSTRUCTION: 0.8,
    fd.EMPLOYMENT: 0.5,
    fd.OTHER: 0.3,
}


@dataclass(frozen=True)
class Template:
    name: str  # after the place
    asset: str  # asset class of what it leaves, "" for none
    uses: tuple[str, ...]  # use categories of its payments (first the main one)
    payee: str
    owner: str  # owner unit: a county bureau, or "township"
    hires: bool = False
    link_forms: tuple[str, ...] = ("employment",)


TEMPLATES: dict[str, tuple[Template, ...]] = {
    fd.INDUSTRY: (
        Template(
            "茶叶加工厂建设项目",
            fd.OPERATING,
            ("construction", "equipment"),
            "contractor",
            "农业农村局",
            link_forms=("dividend", "employment"),
        ),
        Template(
            "光伏电站项目",
            fd.OPERATING,
            ("equipment", "construction"),
            "supplier",
            "农业农村局",
            link_forms=("asset_income",),
        ),
        Template(
            "蔬菜大棚基地提升项目",
            fd.OPERATING,
            ("materials", "construction"),
            "contractor",
            "农业农村局",
            link_forms=("dividend", "land_transfer"),
        ),
        Template(
            "油茶低产林改造项目",
            fd.PUBLIC,
            ("breeding_stock", "materials"),
            "cooperative",
            "林业局",
            link_forms=("employment", "land_transfer"),
        ),
        Template(
            "农产品冷链仓储项目",
            fd.OPERATING,
            ("equipment", "construction"),
            "supplier",
            "农业农村局",
            link_forms=("order", "dividend"),
        ),
        Template(
            "到户产业奖补项目",
            fd.HOUSEHOLD,
            ("household_subsidy", "breeding_stock"),
            "household",
            "农业农村局",
            link_forms=("other",),
        ),
        Template(
            "中药材种植基地项目",
            fd.OPERATING,
            ("breeding_stock", "materials"),
            "cooperative",
            "农业农村局",
            link_forms=("order", "employment"),
        ),
    ),
    fd.INFRASTRUCTURE: (
        Template(
            "通组公路硬化项目",
            fd.PUBLIC,
            ("construction", "materials", "work_relief_wages"),
            "contractor",
            "交通运输局",
            hires=True,
        ),
        Template(
            "安全饮水巩固提升工程",
            fd.PUBLIC,
            ("construction", "equipment", "work_relief_wages"),
            "contractor",
            "水利局",
            hires=True,
        ),
        Template(
            "灌溉水渠修复工程",
            fd.PUBLIC,
            ("construction", "materials", "work_relief_wages"),
            "contractor",
            "水利局",
            hires=True,
        ),
        Template(
            "产业路建设项目",
            fd.PUBLIC,
            ("construction", "materials", "work_relief_wages"),
            "contractor",
            "交通运输局",
            hires=True,
        ),
    ),
    fd.RURAL_CONSTRUCTION: (
        Template(
            "人居环境整治项目",
            fd.PUBLIC,
            ("construction", "materials", "work_relief_wages"),
            "contractor",
            "township",
            hires=True,
        ),
        Template("农村污水处理设施项目", fd.PUBLIC, ("construction", "equipment"), "contractor", "township"),
        Template("村庄亮化工程", fd.PUBLIC, ("equipment", "construction"), "supplier", "township"),
    ),
    fd.EMPLOYMENT: (
        Template(
            "就业帮扶车间项目",
            fd.OPERATING,
            ("construction", "equipment"),
            "contractor",
            "人力资源和社会保障局",
            link_forms=("employment",),
        ),
        Template(
            "以工代赈项目",
            fd.PUBLIC,
            ("work_relief_wages", "construction", "materials"),
            "contractor",
            "发展和改革委员会",
            hires=True,
        ),
        Template(
            "脱贫人口务工补助项目", "", ("employment_subsidy", "training"), "worker", "人力资源和社会保障局"
        ),
    ),
    fd.OTHER: (
        Template(
            "脱贫人口小额信贷贴息", "", ("loan_interest",), "other", "乡村振兴局", link_forms=("other",)
        ),
        Template("雨露计划职业教育补助", "", ("training",), "household", "乡村振兴局", link_forms=("other",)),
    ),
}
ASSET_NAME = {"建设项目": "", "项目": "", "工程": ""}
INDUSTRIES = ("茶叶", "蔬菜", "油茶", "蚕桑", "中药材", "生猪", "水产", "果业", "食用菌", "稻米")
ENTITY_KIND_P = {
    "cooperative": 0.45,
    "family_farm": 0.25,
    "enterprise": 0.10,
    "collective": 0.10,
    "workshop": 0.08,
    "other": 0.02,
}
# The register (登记管理部门 and 机构类别) of each kind's credit code: 9 = 市场监管; 1 企业, 2 个体工商户, 3 农民专业
# 合作社. A 村集体经济组织's own code begins N2, which the platform's check (python-stdnum) refuses, so the demo's
# collectives are the village's collective company (91).
ENTITY_REGISTER = {
    "cooperative": "93",
    "family_farm": "92",
    "enterprise": "91",
    "collective": "91",
    "workshop": "91",
    "other": "91",
}
ENTITY_FORMS = {
    "cooperative": ("dividend", "order", "trusteeship"),
    "family_farm": ("land_transfer", "employment"),
    "enterprise": ("employment", "order", "land_transfer"),
    "collective": ("dividend", "asset_income"),
    "workshop": ("employment",),
    "other": ("technical", "other"),
}
BENEFIT_YUAN = {  # a year's benefit to a household by form (低, 高), 元
    "employment": (3_000, 20_000),
    "dividend": (300, 1_500),
    "order": (1_000, 8_000),
    "land_transfer": (300, 2_000),
    "trusteeship": (200, 1_000),
    "asset_income": (200, 1_200),
    "technical": (100, 500),
    "other": (200, 3_000),
}
MAINTENANCE = ("日常巡查", "维修养护", "清淤保洁", "设备检修", "绿化补植")
SURNAMES = "陈李王张刘黄吴周徐胡朱邓熊罗余万卢冷樊匡戴"
CONTRACTOR_WORDS = ("建设", "建筑工程", "路桥", "水电安装", "市政工程", "园林")
SUPPLIER_WORDS = ("农业科技", "新能源科技", "设备", "生物科技", "农资")

Say = Callable[[str], None]


@dataclass
class FundsSet:
    allocations: pl.DataFrame
    projects: pl.DataFrame
    budgets: pl.DataFrame
    arrangements: pl.DataFrame
    payments: pl.DataFrame
    hires: pl.DataFrame
    assets: pl.DataFrame
    maintenance: pl.DataFrame
    incomes: pl.DataFrame
    distributions: pl.DataFrame
    entities: pl.DataFrame
    bases: pl.DataFrame
    links: pl.DataFrame

    def frames(self) -> dict[str, pl.DataFrame]:
        return {name: getattr(self, name) for name in FUNDS_TABLES}


FUNDS_TABLES = (
    "allocations",
    "projects",
    "budgets",
    "arrangements",
    "payments",
    "hires",
    "assets",
    "maintenance",
    "incomes",
    "distributions",
    "entities",
    "bases",
    "links",
)
FUNDS_FILES = tuple(f"funds_{name}.parquet" for name in FUNDS_TABLES)
MONEY = pl.Decimal(15, 2)


def yuan(fen: int) -> Decimal:
    """Integer fen → Decimal yuan, exact."""
    return Decimal(int(fen)).scaleb(-2)


def split_fen(total: int, weights: np.ndarray) -> list[int]:
    """`total` fen in parts proportional to `weights`, summing exactly to `total` (the rest to the largest)."""
    w = np.asarray(weights, dtype=np.float64)
    parts = np.floor(total * (w / w.sum())).astype(np.int64)
    parts[int(np.argmax(w))] += total - int(parts.sum())
    return [int(p) for p in parts]


def organization_code(body: str) -> str:
    """The 9-character 组织机构代码 (GB 11714): 8 characters and their check character."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(register: str, county6: str, body: str) -> str:
    """A 统一社会信用代码 whose check character python-stdnum computes (`uscc.calc_check_digit`)."""
    first17 = register + county6 + organization_code(body)
    return first17 + uscc.calc_check_digit(first17)


@dataclass
class _Village:
    code: str
    households: list[str]  # every household_no of the village
    poor: list[str]  # 脱贫户 and monitored households
    recipients: list[str]  # poor households the feeds leave alone (distributions)
    workers: list[tuple[str, str]]  # (id_number, household_no) of poor households, aged 18 to 60
    region_of: dict[str, str]  # household_no → the household's region code (its village or group)


def _villages(
    households: pl.DataFrame, persons: pl.DataFrame, excluded: set[str], as_of: dt.date
) -> dict[str, _Village]:
    frame = households.select(
        "household_no",
        "region_code",
        pl.col("household_no").str.slice(0, 12).alias("village"),
        ((pl.col("kind") == "ex_poor") | (pl.col("monitoring_category") != "")).alias("poor"),
    ).sort("household_no")
    villages: dict[str, _Village] = {}
    for village, nos, codes, poor in (
        frame.group_by("village", maintain_order=True)
        .agg(pl.col("household_no"), pl.col("region_code"), pl.col("poor"))
        .iter_rows()
    ):
        poor_nos = [n for n, p in zip(nos, poor, strict=True) if p]
        villages[village] = _Village(
            village,
            list(nos),
            poor_nos,
            [n for n in poor_nos if n not in excluded],
            [],
            dict(zip(nos, codes, strict=True)),
        )
    lo, hi = dt.date(as_of.year - 60, 1, 1), dt.date(as_of.year - 18, 12, 31)
    poor_set = frame.filter(pl.col("poor"))["household_no"]
    workers = (
        persons.filter(
            pl.col("household_no").is_in(poor_set.implode())
            & pl.col("birth_date").is_between(lo, hi)
            & ~pl.col("household_no").is_in(sorted(excluded))
        )
        .select("id_number", "household_no")
        .sort("household_no", "id_number")
    )
    for id_number, no in workers.iter_rows():
        villages[no[:12]].workers.append((id_number, no))
    return villages


def _heads(persons: pl.DataFrame, wanted: set[str]) -> dict[str, tuple[str, str]]:
    heads = persons.filter(
        (pl.col("relation") == "head") & pl.col("household_no").is_in(sorted(wanted))
    ).select("household_no", "id_number", "name")
    return {no: (id_number, name) for no, id_number, name in heads.iter_rows()}


def _counts(total: int, weights: dict[str, float], rng: np.random.Generator) -> dict[str, int]:
    """`total` spread over the keys in proportion to the weights (largest remainders)."""
    keys = sorted(weights)
    w = np.array([weights[k] for k in keys])
    exact = total * w / w.sum()
    base = np.floor(exact).astype(int)
    order = np.argsort(-(exact - base) + rng.random(len(keys)) * 1e-9)
    base[order[: total - int(base.sum())]] += 1
    return {k: int(n) for k, n in zip(keys, base, strict=True)}


def _date_between(rng: np.random.Generator, first: dt.date, last: dt.date) -> dt.date:
    if last <= first:
        return first
    return first + dt.timedelta(days=int(rng.integers(0, (last - first).days + 1)))


def generate_funds(
    *,
    tree: pl.DataFrame,
    households: pl.DataFrame,
    persons: pl.DataFrame,
    seed: int,
    as_of: dt.date,
    demo_village: str = "",
    excluded: set[str] | None = None,
    say: Say | None = None,
) -> FundsSet:
    """The funds chain of the years `as_of.year - 1` and `as_of.year` over the given population."""
    say = say or (lambda _msg: None)
    rng = np.random.default_rng([seed, STREAM])
    excluded = excluded or set()
    names = dict(tree.select("code", "name").iter_rows())
    villages = _villages(households, persons, excluded, as_of)
    village_codes = sorted(villages)
    by_county: dict[str, list[str]] = defaultdict(list)
    for code in village_codes:
        by_county[code[:6]].append(code)
    counties = sorted(by_county)
    key = dict(tree.select("code", "is_key_village").iter_rows())
    county_persons = dict(
        persons.group_by(pl.col("household_no").str.slice(0, 6).alias("c")).len().sort("c").iter_rows()
    )
    weight = {c: county_persons.get(c, 0) * BY_CODE6[c].poverty_factor for c in counties}
    scale = persons.height / CITY_PERSONS
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    year = as_of.year
    recipients_wanted: set[str] = set()
    for v in villages.values():
        recipients_wanted.update(v.recipients)
    heads = _heads(persons, recipients_wanted | {h for v in villages.values() for h in v.households[:1]})
    # One stream of serials per county for vouchers; the chain per year.
    for plan_year in (year - 1, year):
        say(f"  {plan_year}年:资金下达、项目、支付、资产")
        n_total = max(MIN_PROJECTS, round(CITY_PROJECTS * scale))
        per_county = _counts(n_total, weight, rng)
        for county6 in counties:
            if per_county[county6]:
                _county_year(
                    out=out,
                    rng=rng,
                    county6=county6,
                    plan_year=plan_year,
                    as_of=as_of,
                    n_projects=per_county[county6],
                    villages=[villages[c] for c in by_county[county6]],
                    key=key,
                    names=names,
                    heads=heads,
                    demo_village=demo_village if plan_year == year else "",
                )
    say("  经营主体、产业基地与联农带农")
    _entities_and_bases(
        out=out, rng=rng, scale=scale, villages=villages, weight=weight, names=names, year=year
    )
    return _frames(out)


def _doc_no(level: str, county6: str, plan_year: int, month: int, serial: int) -> str:
    issued_year = plan_year - 1 if month == 0 else plan_year
    if level in (fd.CENTRAL, fd.PROVINCE):
        # The province passes the central funds on: both come by its documents (赣财农指).
        return f"赣财农指〔{issued_year}〕{serial}号"
    if level == fd.CITY:
        return f"九财农指〔{issued_year}〕{serial}号"
    return f"{BY_CODE6[county6].name[0]}财农指〔{issued_year}〕{serial}号"


def _county_year(
    *,
    out: dict[str, list[dict[str, Any]]],
    rng: np.random.Generator,
    county6: str,
    plan_year: int,
    as_of: dt.date,
    n_projects: int,
    villages: list[_Village],
    key: dict[str, bool],
    names: dict[str, str],
    heads: dict[str, tuple[str, str]],
    demo_village: str,
) -> None:
    county = BY_CODE6[county6]
    county_code = county.code
    current = plan_year == as_of.year
    # ---- allocations: the county's share, by level and document, in whole 元 ---------------------------
    issued_yuan = n_projects * CITY_ISSUED_YUAN / CITY_PROJECTS * float(rng.lognormal(0, 0.05))
    allocations: list[dict[str, Any]] = []
    for level, docs in LEVEL_DOCS.items():
        level_fen = int(issued_yuan * LEVEL_SHARE[level]) * 100
        parts = split_fen(level_fen, rng.dirichlet(np.full(len(docs), 4.0)))
        for i, ((month, day), fen) in enumerate(zip(docs, parts, strict=True)):
            fen = fen // 100 * 100  # whole 元, as the documents write them
            if fen <= 0:
                continue
            doc_date = dt.date(plan_year - 1, 11, day) if month == 0 else dt.date(plan_year, month, day)
            if doc_date > as_of:
                continue
            serial = (
                3
                + 7 * i
                + (ord(county6[-1]) % 3 if level == fd.COUNTY else 0)
                + {fd.CENTRAL: 0, fd.PROVINCE: 30, fd.CITY: 0, fd.COUNTY: 0}[level]
            )
            row = {
                "key": f"{county6}-{plan_year}-{level}-{i}",
                "year": plan_year,
                "level": level,
                "doc_no": _doc_no(level, county6, plan_year, month, serial),
                "doc_date": doc_date,
                "region_code": county_code,
                "amount_fen": fen,
                "purpose": ("提前下达" if month == 0 else "") + f"{plan_year}年" + PURPOSE[level],
                "direct": level == fd.CENTRAL,
            }
            allocations.append(row)
    # ---- projects: type, place, template, dates ------------------------------------------------------------
    kinds = list(KIND_P)
    kind_of = rng.choice(len(kinds), size=n_projects, p=np.array([KIND_P[k] for k in kinds]))
    place_w = np.array([len(v.households) * (1.6 if key.get(v.code) else 1.0) for v in villages], float)
    place_of = rng.choice(len(villages), size=n_projects, p=place_w / place_w.sum())
    weights = np.array([KIND_WEIGHT[kinds[k]] for k in kind_of]) * rng.lognormal(0, 0.6, n_projects)
    projects: list[dict[str, Any]] = []
    for i in range(n_projects):
        kind = kinds[int(kind_of[i])]
        village = villages[int(place_of[i])]
        templates = TEMPLATES[kind]
        template = templates[int(rng.integers(0, len(templates)))]
        at_township = template.asset != fd.HOUSEHOLD and rng.random() < 0.12
        if demo_village and i == 0 and demo_village[:6] == county6:
            # The demo's chain (docs/synthetic.md): an industry project of the demo village, accepted, with an
            # operating asset whose income is distributed.
            kind, template, at_township = fd.INDUSTRY, TEMPLATES[fd.INDUSTRY][0], False
            village = next((v for v in villages if v.code == demo_village), village)
            weights[i] = max(weights[i], float(np.median(weights)) * 1.5)
        region_code = village.code[:9] + "000" if at_township else village.code
        planned_on = dt.date(plan_year, 1, 5) + dt.timedelta(days=int(rng.integers(0, 55)))
        planned_start = planned_on + dt.timedelta(days=int(rng.integers(15, 100)))
        planned_completion = min(
            planned_start + dt.timedelta(days=int(rng.integers(60, 200))), dt.date(plan_year, 11, 30)
        )
        started = completed = accepted = None
        forced = demo_village and i == 0 and demo_village[:6] == county6
        if forced:
            started, completed, accepted = (
                dt.date(plan_year, 3, 10),
                dt.date(plan_year, 6, 20),
                dt.date(plan_year, 7, 15),
            )
            planned_start, planned_completion = dt.date(plan_year, 3, 1), dt.date(plan_year, 6, 30)
        elif not current or rng.random() < START_RATE:
            started = max(
                planned_on + dt.timedelta(days=1),
                planned_start + dt.timedelta(days=int(rng.integers(-10, 30))),
            )
            started = min(started, as_of - dt.timedelta(days=10), dt.date(plan_year, 12, 1))
            # As long as planned, give or take: a few slip past their planned completion (late).
            days = (planned_completion - started).days + int(rng.integers(-20, 25))
            if not current and rng.random() < 0.01:
                days = 10_000  # the year before's few not finished yet
            done = started + dt.timedelta(days=days)
            if done <= as_of - dt.timedelta(days=3):
                completed = done
                check = completed + dt.timedelta(days=int(rng.integers(10, 70)))
                if check <= as_of and (current or rng.random() < 0.98):
                    accepted = check
        place_name = names.get(region_code, "")
        township = names.get(region_code[:9] + "000", "")
        owner = f"{township}人民政府" if template.owner == "township" else f"{county.name}{template.owner}"
        projects.append(
            {
                "code": f"XM{county6}{plan_year}{i + 1:04d}",
                "name": f"{plan_year}年{place_name}{template.name}",
                "year": plan_year,
                "kind": kind,
                "region_code": region_code,
                "owner_unit": owner,
                "content": f"{place_name}{template.name.removesuffix('项目')},按批复的建设内容和规模实施",
                "state": fd.IN_PLAN,
                "publicity_started_on": planned_on - dt.timedelta(days=fd.DEFAULT_PUBLICITY_DAYS + 1),
                "planned_on": planned_on,
                "planned_start": planned_start,
                "planned_completion": planned_completion,
                "started_on": started,
                "completed_on": completed,
                "accepted_on": accepted,
                "work_relief_plan": "优先吸纳脱贫户和监测户劳动力务工,按时足额发放劳务报酬"
                if template.hires
                else "",
                "benefit_plan": "通过入股分红、务工就业、订单收购带动本村脱贫户和监测户增收"
                if kind == fd.INDUSTRY
                else "",
                "income_plan": "收益的70%用于脱贫户和监测户分红,30%用于村集体公益事业"
                if template.asset == fd.OPERATING
                else "",
                "_template": template,
                "_village": village,
                "_weight": float(weights[i]),
            }
        )
    # ---- arrangements: each allocation's arranged share split among the projects drawing on it ---------------
    by_level: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in allocations:
        by_level[a["level"]].append(a)
    takers: dict[str, list[int]] = {a["key"]: [] for a in allocations}
    for j in range(n_projects):
        for level, level_docs in by_level.items():
            if rng.random() < LEVEL_TAKE[level]:
                doc_w = np.array([d["amount_fen"] for d in level_docs], dtype=np.float64)
                takers[level_docs[int(rng.choice(len(level_docs), p=doc_w / doc_w.sum()))]["key"]].append(j)
    for a in allocations:
        if not takers[a["key"]]:
            takers[a["key"]].append(int(rng.integers(0, n_projects)))
    budget: list[dict[str, int]] = [defaultdict(int) for _ in range(n_projects)]
    for a in allocations:
        rate = rng.uniform(*ARRANGED_RATE) if current else rng.uniform(0.96, 1.0)
        arranged = int(a["amount_fen"] * rate)
        js = sorted(set(takers[a["key"]]))
        parts = split_fen(arranged, np.array([projects[j]["_weight"] for j in js]))
        for j, fen in zip(js, parts, strict=True):
            if fen <= 0:
                continue
            p = projects[j]
            on = max(a["doc_date"], p["planned_on"]) + dt.timedelta(days=int(rng.integers(5, 40)))
            out["arrangements"].append(
                {
                    "allocation_key": a["key"],
                    "project_code": p["code"],
                    "amount_fen": fen,
                    "arranged_on": min(on, as_of),
                    "region_code": a["region_code"],
                }
            )
            budget[j][a["level"]] += fen
    out["allocations"].extend(allocations)
    # ---- budgets, payments, hires, assets, incomes, links --------------------------------------------------
    for j, p in enumerate(projects):
        total = sum(budget[j].values())
        template = p.pop("_template")
        village = p.pop("_village")
        p.pop("_weight")
        if total <= 0:
            continue
        p["budget_fen"] = total
        out["projects"].append(p)
        for level in fd.FUND_LEVELS:
            if budget[j].get(level):
                out["budgets"].append(
                    {"project_code": p["code"], "level": level, "amount_fen": budget[j][level]}
                )
        if p["started_on"] is None:
            continue
        main_level = max(budget[j], key=lambda lv: budget[j][lv])
        _payments(out, rng, p, template, village, total, main_level, as_of, county.name)
        if p["accepted_on"] is not None and template.asset:
            _assets(out, rng, p, template, village, total, as_of, heads, names)
        _project_links(out, rng, p, template, village)


def _payments(
    out: dict[str, list[dict[str, Any]]],
    rng: np.random.Generator,
    p: dict[str, Any],
    template: Template,
    village: _Village,
    total: int,
    level: str,
    as_of: dt.date,
    county_name: str,
) -> None:
    if p["accepted_on"] is not None:
        share = 1.0 - float(fd.QUALITY_BOND) if template.asset in (fd.PUBLIC, fd.OPERATING) else 1.0
    elif p["completed_on"] is not None:
        share = rng.uniform(0.6, 0.9)
    else:
        share = rng.uniform(0.15, 0.6)
    paid = int(total * share)
    last = min(as_of, (p["accepted_on"] or as_of) + dt.timedelta(days=30))
    start = p["started_on"]
    wages = 0
    if template.hires and village.workers:
        wages = int(paid * rng.uniform(0.08, 0.2))
        n = min(len(village.workers), int(rng.integers(2, 11)), max(1, wages // 300_000))
        picks = sorted(rng.choice(len(village.workers), size=n, replace=False).tolist())
        days = rng.integers(10, 61, n)
        for (id_number, no), fen in zip(
            (village.workers[k] for k in picks), split_fen(wages, days), strict=True
        ):
            out["hires"].append(
                {
                    "project_code": p["code"],
                    "id_number": id_number,
                    "household_no": no,
                    "hired_on": start + dt.timedelta(days=int(rng.integers(0, 15))),
                    "days": 0,
                    "wages_fen": fen,
                    "region_code": p["region_code"],
                }
            )
        for row, d in zip(out["hires"][-n:], days, strict=True):
            row["days"] = int(d)  # the days each was split by
        if wages > 0:
            out["payments"].append(
                _payment(
                    p,
                    _date_between(rng, start + dt.timedelta(days=20), last),
                    wages,
                    "work_relief_wages",
                    "worker",
                    f"以工代赈务工人员({n}人)",
                    level,
                )
            )
    rest = paid - wages
    k = min(max(1, rest // 500_000), int(rng.integers(2, 10)))
    if rest <= 0:
        return
    dates = sorted(_date_between(rng, start, last) for _ in range(k))
    for fen, on in zip(split_fen(rest, rng.dirichlet(np.full(k, 3.0))), dates, strict=True):
        if fen <= 0:
            continue
        use = template.uses[0] if rng.random() < 0.6 else str(rng.choice(template.uses))
        if use == "work_relief_wages":
            use = template.uses[0] if template.uses[0] != use else "construction"
        payee_category = "worker" if use == "employment_subsidy" else template.payee
        out["payments"].append(
            _payment(p, on, fen, use, payee_category, _payee(rng, payee_category, county_name), level)
        )


def _payee(rng: np.random.Generator, category: str, county_name: str) -> str:
    surname = SURNAMES[int(rng.integers(0, len(SURNAMES)))]
    if category == "contractor":
        return f"{county_name[:2]}县{surname}氏{CONTRACTOR_WORDS[int(rng.integers(0, 6))]}有限公司"
    if category == "supplier":
        return f"江西{surname}丰{SUPPLIER_WORDS[int(rng.integers(0, 5))]}有限公司"
    if category == "cooperative":
        return f"{county_name}{INDUSTRIES[int(rng.integers(0, 10))]}专业合作社"
    if category == "household":
        return "受益农户(见到户明细)"
    if category == "worker":
        return "务工人员(见发放明细)"
    return f"{county_name}农村商业银行"


def _payment(
    p: dict[str, Any], on: dt.date, fen: int, use: str, payee_category: str, payee: str, level: str
) -> dict[str, Any]:
    return {
        "project_code": p["code"],
        "paid_on": on,
        "amount_fen": fen,
        "level": level,
        "use_category": use,
        "payee_category": payee_category,
        "payee": payee,
        "voucher_no": f"记{on:%Y%m}-{p['code'][-4:]}{on.day:02d}",
        "region_code": p["region_code"],
    }


def _assets(
    out: dict[str, list[dict[str, Any]]],
    rng: np.random.Generator,
    p: dict[str, Any],
    template: Template,
    village: _Village,
    total: int,
    as_of: dt.date,
    heads: dict[str, tuple[str, str]],
    names: dict[str, str],
) -> None:
    handed = min(p["accepted_on"] + dt.timedelta(days=int(rng.integers(3, 30))), as_of)
    place = names.get(p["region_code"], "")
    collective = f"{names.get(village.code, place)}股份经济合作社"
    base_name = template.name.removesuffix("建设项目").removesuffix("项目").removesuffix("工程")
    if template.asset == fd.HOUSEHOLD:
        pool = village.poor or village.households
        n = min(len(pool), int(rng.integers(5, 21)))
        picks = sorted(rng.choice(len(pool), size=n, replace=False).tolist())
        for k, fen in zip(picks, split_fen(total, rng.uniform(0.7, 1.3, n)), strict=True):
            no = pool[k]
            out["assets"].append(
                _asset(
                    p,
                    f"{place}到户产业奖补(种苗、畜禽)",
                    fd.HOUSEHOLD,
                    fen,
                    "受益农户",
                    "受益农户",
                    "",
                    handed,
                    no,
                    village.region_of[no],
                )
            )
        return
    operator = ""
    if template.asset == fd.OPERATING:
        operator = f"{names.get(village.code, place)}{INDUSTRIES[int(rng.integers(0, 10))]}专业合作社"
    asset = _asset(
        p, f"{place}{base_name}", template.asset, total, collective, collective, operator, handed, None, ""
    )
    out["assets"].append(asset)
    for _ in range(int(rng.integers(1, 4))):
        on = _date_between(rng, handed, as_of)
        kind = MAINTENANCE[int(rng.integers(0, len(MAINTENANCE)))]
        cost = 0 if kind == "日常巡查" else int(rng.integers(200, 5_000)) * 100
        out["maintenance"].append(
            {"asset_key": asset["key"], "done_on": on, "kind": kind, "cost_fen": cost, "note": "正常"}
        )
    if template.asset != fd.OPERATING:
        return
    # Income of each year the asset worked half of, distributed to the village's poor households.
    for income_year, period, since in (
        (as_of.year - 1, f"{as_of.year}-01", dt.date(as_of.year - 1, 6, 30)),
        (as_of.year, f"{as_of.year}-{min(as_of.month, 10):02d}", dt.date(as_of.year, 8, 31)),
    ):
        if handed > since:
            continue
        income = int(total * rng.uniform(0.04, 0.08))
        recipients = village.recipients
        if income <= 0 or not recipients:
            continue
        income_key = f"{asset['key']}-{income_year}"
        out["incomes"].append(
            {
                "key": income_key,
                "asset_key": asset["key"],
                "year": income_year,
                "amount_fen": income,
                "region_code": asset["region_code"],
            }
        )
        n = min(len(recipients), int(rng.integers(10, 41)))
        picks = sorted(rng.choice(len(recipients), size=n, replace=False).tolist())
        # 70 % to the households, equal shares (the rest to the village's public welfare).
        each = int(income * 0.7) // n
        if each <= 0:
            continue
        for k in picks:
            no = recipients[k]
            if no not in heads:
                continue
            id_number, name = heads[no]
            out["distributions"].append(
                {
                    "income_key": income_key,
                    "household_no": no,
                    "id_number": id_number,
                    "recipient_name": name,
                    "period": period,
                    "amount_fen": each,
                    "region_code": village.region_of[no],
                }
            )


def _asset(
    p: dict[str, Any],
    name: str,
    asset_class: str,
    fen: int,
    owner: str,
    manager: str,
    operator: str,
    handed: dt.date,
    household_no: str | None,
    region_code: str,
) -> dict[str, Any]:
    return {
        "key": f"{p['code']}-{household_no or 'A'}",
        "project_code": p["code"],
        "name": name,
        "asset_class": asset_class,
        "value_fen": fen,
        "owner_unit": owner,
        "manager": manager,
        "operator": operator,
        "handed_over_on": handed,
        "household_no": household_no,
        "region_code": region_code or p["region_code"],
    }


def _project_links(
    out: dict[str, list[dict[str, Any]]],
    rng: np.random.Generator,
    p: dict[str, Any],
    template: Template,
    village: _Village,
) -> None:
    pool = village.poor if len(village.poor) >= 5 else village.households
    n = min(len(pool), max(1, int(rng.poisson(PROJECT_LINKS_MEAN))))
    picks = sorted(rng.choice(len(pool), size=n, replace=False).tolist())
    for k in picks:
        form = template.link_forms[int(rng.integers(0, len(template.link_forms)))]
        lo, hi = BENEFIT_YUAN[form]
        out["links"].append(
            {
                "household_no": pool[k],
                "source": "project",
                "source_key": p["code"],
                "year": p["year"],
                "form": form,
                "benefit_fen": int(rng.integers(lo, hi)) * 100,
                "region_code": village.region_of[pool[k]],
            }
        )


def _entities_and_bases(
    *,
    out: dict[str, list[dict[str, Any]]],
    rng: np.random.Generator,
    scale: float,
    villages: dict[str, _Village],
    weight: dict[str, float],
    names: dict[str, str],
    year: int,
) -> None:
    codes = sorted(villages)
    w = np.array([len(villages[c].households) for c in codes], float)
    n_entities = max(3, round(CITY_ENTITIES * scale))
    kinds = list(ENTITY_KIND_P)
    kind_of = rng.choice(len(kinds), size=n_entities, p=np.array([ENTITY_KIND_P[k] for k in kinds]))
    place_of = rng.choice(len(codes), size=n_entities, p=w / w.sum())
    bodies = rng.choice(10**8, size=n_entities * 2, replace=False)
    used: set[str] = set()
    households_target = CITY_ENTITY_HOUSEHOLDS / CITY_ENTITIES
    for i in range(n_entities):
        kind, code = kinds[int(kind_of[i])], codes[int(place_of[i])]
        county6 = code[:6]
        body = f"{int(bodies[i]):08d}"
        credit = credit_code(ENTITY_REGISTER[kind], county6, body)
        if credit in used:
            credit = credit_code(ENTITY_REGISTER[kind], county6, f"{int(bodies[n_entities + i]):08d}")
        used.add(credit)
        village_name = names.get(code, "")
        industry = INDUSTRIES[int(rng.integers(0, len(INDUSTRIES)))]
        surname = SURNAMES[int(rng.integers(0, len(SURNAMES)))]
        name = {
            "cooperative": f"{BY_CODE6[county6].name}{village_name}{industry}专业合作社",
            "family_farm": f"{BY_CODE6[county6].name}{surname}{'某甲乙丙丁'[i % 5]}{industry}家庭农场",
            "enterprise": f"江西{village_name[:2]}{industry}实业有限公司",
            "collective": f"{BY_CODE6[county6].name}{village_name}集体经济发展有限公司",
            "workshop": f"{village_name}就业帮扶车间({surname}氏服饰有限公司)",
            "other": f"{BY_CODE6[county6].name}{village_name}{industry}技术服务中心",
        }[kind]
        out["entities"].append(
            {
                "credit_code": credit,
                "name": f"{name}({i + 1})" if i % 97 == 96 else name,
                "kind": kind,
                "region_code": code,
            }
        )
        _links(
            out, rng, villages[code], villages, "entity", credit, ENTITY_FORMS[kind], households_target, year
        )
    n_bases = max(2, round(CITY_BASES * scale))
    place_of = rng.choice(len(codes), size=n_bases, p=w / w.sum())
    households_target = CITY_BASE_HOUSEHOLDS / CITY_BASES
    for i in range(n_bases):
        code = codes[int(place_of[i])]
        industry = INDUSTRIES[int(rng.integers(0, len(INDUSTRIES)))]
        key = f"{code}-{i}"
        out["bases"].append(
            {
                "key": key,
                "name": f"{names.get(code, '')}{industry}产业基地",
                "industry": industry,
                "region_code": code,
                "area_mu": Decimal(int(rng.integers(500, 8_000))).scaleb(-1),
            }
        )
        _links(
            out,
            rng,
            villages[code],
            villages,
            "base",
            key,
            ("employment", "land_transfer", "order"),
            households_target,
            year,
        )


def _links(
    out: dict[str, list[dict[str, Any]]],
    rng: np.random.Generator,
    village: _Village,
    villages: dict[str, _Village],
    source: str,
    source_key: str,
    forms: tuple[str, ...],
    mean: float,
    year: int,
) -> None:
    pool = village.poor if len(village.poor) >= 3 else village.households
    n = min(len(pool), max(1, int(rng.poisson(mean))))
    for k in sorted(rng.choice(len(pool), size=n, replace=False).tolist()):
        form = forms[int(rng.integers(0, len(forms)))]
        lo, hi = BENEFIT_YUAN[form]
        out["links"].append(
            {
                "household_no": pool[k],
                "source": source,
                "source_key": source_key,
                "year": year,
                "form": form,
                "benefit_fen": int(rng.integers(lo, hi)) * 100,
                "region_code": village.region_of[pool[k]],
            }
        )


SCHEMAS: dict[str, dict[str, Any]] = {
    "allocations": {
        "key": pl.String,
        "year": pl.Int16,
        "level": pl.String,
        "doc_no": pl.String,
        "doc_date": pl.Date,
        "region_code": pl.String,
        "amount": MONEY,
        "purpose": pl.String,
        "direct": pl.Boolean,
    },
    "projects": {
        "code": pl.String,
        "name": pl.String,
        "year": pl.Int16,
        "kind": pl.String,
        "region_code": pl.String,
        "owner_unit": pl.String,
        "content": pl.String,
        "state": pl.String,
        "publicity_started_on": pl.Date,
        "planned_on": pl.Date,
        "budget_total": MONEY,
        "planned_start": pl.Date,
        "planned_completion": pl.Date,
        "started_on": pl.Date,
        "completed_on": pl.Date,
        "accepted_on": pl.Date,
        "work_relief_plan": pl.String,
        "benefit_plan": pl.String,
        "income_plan": pl.String,
    },
    "budgets": {"project_code": pl.String, "level": pl.String, "amount": MONEY},
    "arrangements": {
        "allocation_key": pl.String,
        "project_code": pl.String,
        "amount": MONEY,
        "arranged_on": pl.Date,
        "region_code": pl.String,
    },
    "payments": {
        "project_code": pl.String,
        "paid_on": pl.Date,
        "amount": MONEY,
        "level": pl.String,
        "use_category": pl.String,
        "payee_category": pl.String,
        "payee": pl.String,
        "voucher_no": pl.String,
        "region_code": pl.String,
    },
    "hires": {
        "project_code": pl.String,
        "id_number": pl.String,
        "household_no": pl.String,
        "hired_on": pl.Date,
        "days": pl.Int16,
        "wages_paid": MONEY,
        "region_code": pl.String,
    },
    "assets": {
        "key": pl.String,
        "project_code": pl.String,
        "name": pl.String,
        "asset_class": pl.String,
        "value": MONEY,
        "owner_unit": pl.String,
        "manager": pl.String,
        "operator": pl.String,
        "handed_over_on": pl.Date,
        "household_no": pl.String,
        "region_code": pl.String,
    },
    "maintenance": {
        "asset_key": pl.String,
        "done_on": pl.Date,
        "kind": pl.String,
        "cost": MONEY,
        "note": pl.String,
    },
    "incomes": {
        "key": pl.String,
        "asset_key": pl.String,
        "year": pl.Int16,
        "amount": MONEY,
        "region_code": pl.String,
    },
    "distributions": {
        "income_key": pl.String,
        "household_no": pl.String,
        "id_number": pl.String,
        "recipient_name": pl.String,
        "period": pl.String,
        "amount": MONEY,
        "region_code": pl.String,
    },
    "entities": {"credit_code": pl.String, "name": pl.String, "kind": pl.String, "region_code": pl.String},
    "bases": {
        "key": pl.String,
        "name": pl.String,
        "industry": pl.String,
        "region_code": pl.String,
        "area_mu": pl.Decimal(10, 1),
    },
    "links": {
        "household_no": pl.String,
        "source": pl.String,
        "source_key": pl.String,
        "year": pl.Int16,
        "form": pl.String,
        "benefit": MONEY,
        "region_code": pl.String,
    },
}
# Integer fen columns of the draws → the Decimal columns of the frames.
FEN_COLUMNS = {
    "amount_fen": "amount",
    "budget_fen": "budget_total",
    "wages_fen": "wages_paid",
    "value_fen": "value",
    "cost_fen": "cost",
    "benefit_fen": "benefit",
}


def _frames(out: dict[str, list[dict[str, Any]]]) -> FundsSet:
    frames: dict[str, pl.DataFrame] = {}
    for table in FUNDS_TABLES:
        schema = SCHEMAS[table]
        rows = out.get(table, [])
        columns: dict[str, list[Any]] = {name: [] for name in schema}
        for row in rows:
            for name, value in row.items():
                target = FEN_COLUMNS.get(name, name)
                if target in columns:
                    columns[target].append(yuan(value) if name in FEN_COLUMNS else value)
        frames[table] = pl.DataFrame(columns, schema=schema)
    return FundsSet(**frames)
