"""Relocation sites of a generated city (易地扶贫搬迁安置点, docs/domain.md §11 and §24, docs/synthetic.md
"Employment and relocation"): the sites of each county, the 脱贫户 relocated to them, the problems the special
rectification found at them, and the funds projects that spent money on them.

Jiujiang's figures (issue 18): 168 sites housing 7,159 households and 27,351 persons, 141 of the sites in 修水县.
A county gets its share of them in proportion to its generated persons against its persons at city scale
(`tree.county_of`), at least one site. Drawn from a random stream of its own (seed, 24), after the funds, so
nothing else changes. Never imports Django.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from dixian.domain import dictionaries as d
from dixian.domain import employment as e
from dixian.domain import funds as fd

from .tree import CITY_SCALE_PERSONS, COUNTIES

CITY_SITES = 168
CITY_HOUSEHOLDS = 7_159
CITY_PERSONS = 27_351
XIUSHUI = "360424"
XIUSHUI_SITES = 141
# The special rectification: 54 problems found and solved at the city's concentrated sites; here most are
# solved with evidence, some still open, a few past their deadline.
CITY_PROBLEMS = 54
PROBLEM_STATES = {"resolved": 0.8, "overdue": 0.12, "open": 0.08}
KIND_P = {"city": 0.2, "town": 0.55, "village": 0.25}
SITE_NAMES = ("幸福家园", "安居小区", "移民新村", "和谐家园", "阳光社区", "乐居小区", "同心家园", "福源小区")
FACILITIES = ("社区服务中心", "幼儿园", "卫生室", "文化活动室", "扶贫车间", "老年活动中心", "便民超市")
PROBLEMS: dict[str, tuple[str, ...]] = {
    "facilities": ("小区排水管网堵塞,雨季积水", "安置点路灯损坏未修复", "社区卫生室未配备常用药品"),
    "employment": ("部分搬迁劳动力未实现就业", "帮扶车间用工不足,岗位空置"),
    "industry": ("配套产业基地效益不佳,带动能力弱",),
    "community": ("社区治理服务人员配备不足", "搬迁群众融入社区活动开展少"),
    "property": ("安置房不动产权证未办结", "旧房拆除复垦未完成"),
    "funds": ("后续扶持资金拨付进度滞后",),
}
OWNERS = {
    "facilities": "{county}住房和城乡建设局",
    "employment": "{county}人力资源和社会保障局",
    "industry": "{county}农业农村局",
    "community": "{township}人民政府",
    "property": "{county}自然资源局",
    "funds": "{county}发展和改革委员会",
}
RELOCATION_TABLES = ("sites", "households", "problems", "projects")
RELOCATION_FILES = tuple(f"relocation_{name}.parquet" for name in RELOCATION_TABLES)

SITES_SCHEMA: dict[str, Any] = {
    "key": pl.String,
    "name": pl.String,
    "county_code": pl.String,
    "region_code": pl.String,
    "kind": pl.String,
    "address": pl.String,
    "built_year": pl.Int16,
    "households_planned": pl.Int32,
    "persons_planned": pl.Int32,
    "chief_name": pl.String,
    "chief_phone": pl.String,
    "service_window": pl.Boolean,
    "industry_base": pl.String,
    "facilities": pl.String,
}
HOUSEHOLDS_SCHEMA: dict[str, Any] = {
    "site_key": pl.String,
    "household_no": pl.String,
    "region_code": pl.String,
    "moved_in": pl.Date,
}
PROBLEMS_SCHEMA: dict[str, Any] = {
    "site_key": pl.String,
    "region_code": pl.String,
    "category": pl.String,
    "description": pl.String,
    "found_on": pl.Date,
    "owner": pl.String,
    "deadline": pl.Date,
    "resolved_on": pl.Date,
    "resolution": pl.String,
    "evidence": pl.String,
}
PROJECTS_SCHEMA: dict[str, Any] = {"site_key": pl.String, "project_code": pl.String, "region_code": pl.String}


@dataclass
class RelocationSet:
    sites: pl.DataFrame
    households: pl.DataFrame
    problems: pl.DataFrame
    projects: pl.DataFrame

    def frames(self) -> dict[str, pl.DataFrame]:
        return {name: getattr(self, name) for name in RELOCATION_TABLES}


def _county_share(code6: str) -> tuple[float, float]:
    """(sites, households) of a county at city scale: 修水县 141 sites and its share of the households, the other
    sites and households spread over the other counties by rural persons × poverty weight."""
    others = [c for c in COUNTIES if c.code6 != XIUSHUI]
    weight = {c.code6: c.rural_persons * c.poverty_factor for c in others}
    xiushui_households = CITY_HOUSEHOLDS * XIUSHUI_SITES / CITY_SITES
    if code6 == XIUSHUI:
        return XIUSHUI_SITES, xiushui_households
    share = weight.get(code6, 0.0) / sum(weight.values())
    return (CITY_SITES - XIUSHUI_SITES) * share, (CITY_HOUSEHOLDS - xiushui_households) * share


def _city_persons(code6: str) -> float:
    total = sum(c.rural_persons for c in COUNTIES)
    county = next((c for c in COUNTIES if c.code6 == code6), None)
    return CITY_SCALE_PERSONS * (county.rural_persons / total if county else 0.0)


def generate_relocation(  # noqa: PLR0915 - sites, households, problems, projects in order
    *,
    tree: pl.DataFrame,
    households: pl.DataFrame,
    persons: pl.DataFrame,
    projects: pl.DataFrame,
    seed: int,
    as_of: dt.date,
    say: Any = None,
) -> RelocationSet:
    say = say or (lambda _m: None)
    rng = np.random.default_rng([seed, 24])
    names = dict(tree.select("code", "name").iter_rows())
    villages = tree.filter(pl.col("level") == "village").sort("code")
    members = persons.group_by("household_no").len("size")
    adults = persons.filter(pl.col("birth_date") <= dt.date(as_of.year - 30, 1, 1)).select(
        "household_no", "name"
    )
    poor = (
        households.filter(pl.col("kind") == d.EX_POOR)
        .select("household_no", "region_code")
        .join(members, on="household_no", how="left")
        .sort("household_no")
    )
    county_persons = (
        households.join(members, on="household_no")
        .group_by(pl.col("region_code").str.slice(0, 6).alias("county"))
        .agg(pl.col("size").sum())
    )
    sites: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for county6, persons_here in sorted(county_persons.iter_rows()):
        city_sites, city_households = _county_share(county6)
        factor = persons_here / max(_city_persons(county6), 1.0)
        n_sites = max(1, round(city_sites * factor))
        n_households = max(n_sites, round(city_households * factor))
        pool = poor.filter(pl.col("region_code").str.starts_with(county6))
        here = villages.filter(pl.col("code").str.starts_with(county6))
        if pool.height == 0 or here.height == 0:
            continue
        # Larger households more often (27,351 persons in 7,159 households: 3.8 a household).
        size = pool["size"].to_numpy().astype(np.float64)
        weight = size**1.3
        take = min(n_households, pool.height)
        chosen = np.sort(rng.choice(pool.height, size=take, replace=False, p=weight / weight.sum()))
        picked = pool[chosen]
        # Sites: in the townships with most relocated households; city sites in the first township (the seat).
        township_of = picked["region_code"].str.slice(0, 9).to_numpy().astype(object)
        towns, counts = np.unique(township_of, return_counts=True)
        site_town = rng.choice(towns, size=n_sites, p=counts / counts.sum())
        kinds = rng.choice(list(KIND_P), size=n_sites, p=np.array(list(KIND_P.values())))
        site_village: list[str] = []
        for town in site_town:
            options = here.filter(pl.col("code").str.starts_with(str(town)))["code"].to_list()
            site_village.append(options[int(rng.integers(0, len(options)))] if options else here["code"][0])
        keys = [f"{county6}-S{i + 1:03d}" for i in range(n_sites)]
        weight_site = rng.lognormal(0, 0.8, n_sites) * np.where(kinds == "city", 4.0, 1.0)
        # Each household to a site of its township when there is one, else to any site of the county.
        by_town: dict[str, list[int]] = {}
        for k, town in enumerate(site_town):
            by_town.setdefault(str(town), []).append(k)
        site_of = np.empty(take, dtype=np.int64)
        for j, town in enumerate(township_of):
            options = by_town.get(str(town), []) if rng.random() < 0.8 else []
            options = options or list(range(n_sites))
            w = weight_site[options]
            site_of[j] = options[int(rng.choice(len(options), p=w / w.sum()))]
        # Every site houses somebody: an empty one takes a household of the biggest.
        for k in range(n_sites):
            if not (site_of == k).any():
                biggest = int(np.bincount(site_of, minlength=n_sites).argmax())
                site_of[int(np.flatnonzero(site_of == biggest)[0])] = k
        built = rng.integers(2016, 2021, n_sites)
        for j, row in enumerate(picked.iter_rows(named=True)):
            k = int(site_of[j])
            links.append(
                {
                    "site_key": keys[k],
                    "household_no": row["household_no"],
                    "region_code": row["region_code"],
                    "moved_in": dt.date(int(built[k]), int(rng.integers(9, 13)), int(rng.integers(1, 29))),
                }
            )
        housed = np.bincount(site_of, minlength=n_sites)
        housed_persons = np.bincount(site_of, weights=picked["size"].to_numpy(), minlength=n_sites)
        county_name = names.get(county6 + "000000", "")
        for k in range(n_sites):
            code = site_village[k]
            town_name = names.get(code[:9] + "000", "")
            planned_p = int(round(housed_persons[k] * rng.uniform(1.0, 1.06)))
            chiefs = adults.filter(pl.col("household_no").str.starts_with(code[:9]))["name"]
            sites.append(
                {
                    "key": keys[k],
                    "name": f"{town_name}{SITE_NAMES[k % len(SITE_NAMES)]}{'' if k < len(SITE_NAMES) else k // len(SITE_NAMES) + 1}安置点",
                    "county_code": county6 + "000000",
                    "region_code": code,
                    "kind": str(kinds[k]),
                    "address": f"{county_name}{town_name}{names.get(code, '')}",
                    "built_year": int(built[k]),
                    "households_planned": int(round(housed[k] * rng.uniform(1.0, 1.05))),
                    "persons_planned": planned_p,
                    "chief_name": str(chiefs[int(rng.integers(0, chiefs.len()))]) if chiefs.len() else "",
                    "chief_phone": f"171{int(rng.integers(0, 100_000_000)):08d}",
                    # docs/domain.md §24: a site of 200 persons or more (the larger of housed and planned, as
                    # the figures count it) runs a service window (one of the county's lacks it below: a
                    # finding for the relocation pages).
                    "service_window": bool(max(housed_persons[k], planned_p) >= e.SERVICE_WINDOW_MIN_PERSONS),
                    "industry_base": f"{town_name}{('茶叶', '蔬菜', '中药材', '食用菌')[k % 4]}产业基地",
                    "facilities": "\n".join(
                        FACILITIES[i] for i in sorted(rng.choice(len(FACILITIES), size=3, replace=False))
                    ),
                }
            )
        # One large site of the county without its window (a finding), when the county has two or more.
        large = [k for k in range(n_sites) if sites[len(sites) - n_sites + k]["service_window"]]
        if len(large) >= 2:
            sites[len(sites) - n_sites + large[-1]]["service_window"] = False
    site_frame = pl.DataFrame(sites, schema=SITES_SCHEMA)
    link_frame = pl.DataFrame(links, schema=HOUSEHOLDS_SCHEMA).sort("site_key", "household_no")
    problems = _problems(rng, site_frame, names, as_of)
    projects_frame = _projects(site_frame, projects)
    say(
        f"  易地搬迁:安置点 {site_frame.height} 个,搬迁户 {link_frame.height:,} 户,"
        f"问题 {problems.height} 个,后续扶持项目 {projects_frame.height} 个"
    )
    return RelocationSet(sites=site_frame, households=link_frame, problems=problems, projects=projects_frame)


def _problems(
    rng: np.random.Generator, sites: pl.DataFrame, names: dict[str, str], as_of: dt.date
) -> pl.DataFrame:
    """The special rectification's problems: about 54 × the scale's share of the sites, at least two, at the
    larger sites; found from March of the year, due in one to three months."""
    if sites.height == 0:
        return pl.DataFrame(schema=PROBLEMS_SCHEMA)
    count = max(2, round(CITY_PROBLEMS * sites.height / CITY_SITES))
    order = sites.sort("persons_planned", descending=True)
    states = list(PROBLEM_STATES)
    rows = []
    categories = list(PROBLEMS)
    # From March of the year, or 120 days before `as_of` when that is earlier (a period in January or
    # February): every problem found before `as_of`.
    start = min(dt.date(as_of.year, 3, 1), as_of - dt.timedelta(days=120))
    span = max((as_of - start).days - 100, 1)
    for j in range(count):
        site = order.row(j % order.height, named=True)
        category = categories[int(rng.integers(0, len(categories)))]
        texts = PROBLEMS[category]
        found = start + dt.timedelta(days=int(rng.integers(0, span)))
        state = (
            "overdue"
            if j == 1
            else "resolved"
            if j == 0
            else states[int(rng.choice(3, p=list(PROBLEM_STATES.values())))]
        )
        if state == "open":
            found = as_of - dt.timedelta(days=int(rng.integers(5, 25)))
        deadline = found + dt.timedelta(days=int(rng.choice([30, 60, 90])))
        if state == "overdue":
            deadline = min(deadline, as_of - dt.timedelta(days=int(rng.integers(5, 40))))
            found = min(found, deadline - dt.timedelta(days=30))
        resolved = None
        if state == "resolved":
            resolved = max(found, min(found + dt.timedelta(days=int(rng.integers(10, 80))), as_of))
        county = names.get(site["county_code"], "")
        township = names.get(site["region_code"][:9] + "000", "")
        rows.append(
            {
                "site_key": site["key"],
                "region_code": site["region_code"],
                "category": category,
                "description": texts[int(rng.integers(0, len(texts)))],
                "found_on": found,
                "owner": OWNERS[category].format(county=county, township=township),
                "deadline": deadline,
                "resolved_on": resolved,
                "resolution": "已完成整改,经乡镇复核销号" if resolved else "",
                "evidence": f"整改报告及现场照片({site['name']}-{j + 1:02d}).pdf" if resolved else "",
            }
        )
    return pl.DataFrame(rows, schema=PROBLEMS_SCHEMA)


def _projects(sites: pl.DataFrame, projects: pl.DataFrame) -> pl.DataFrame:
    """A funds project of the site's township (else county) for about a third of the sites, largest first:
    infrastructure, rural construction or employment projects (后续扶持专项资金, docs/domain.md §24)."""
    kinds = (fd.INFRASTRUCTURE, fd.RURAL_CONSTRUCTION, fd.EMPLOYMENT)
    fit = projects.filter(pl.col("kind").is_in(kinds)).select("code", "region_code").sort("code")
    used: set[str] = set()
    rows = []
    order = sites.sort("persons_planned", descending=True)
    for site in order.head(max(1, sites.height // 3)).iter_rows(named=True):
        for prefix in (site["region_code"][:9], site["county_code"][:6]):
            options = [
                c
                for c, r in fit.filter(pl.col("region_code").str.starts_with(prefix)).iter_rows()
                if c not in used
            ]
            if options:
                used.add(options[0])
                rows.append(
                    {"site_key": site["key"], "project_code": options[0], "region_code": site["region_code"]}
                )
                break
    return pl.DataFrame(rows, schema=PROJECTS_SCHEMA)
