"""`generate`: write a synthetic scale (village, county or city) as Parquet files (and the workbook).

Output directory:
  regions.parquet     code, name, level, parent_code, full_name, is_key_village
  households.parquet  persons.parquet  incomes.parquet   columns named as the model fields, code values
  registry.xlsx       the county import workbook (village and county scale, when labels are given)
  feeds/<feed>.parquet  the 12 department feeds of the demo period, Chinese headers (feeds.py); at the
                      smaller scales also feeds/<feed>.csv to upload by hand
  ground_truth.parquet  what the screening of those feeds must find (feeds.GROUND_TRUTH_SCHEMA)
  cases.parquet  measures.parquet  the monitoring lifecycle (lifecycle.py: a case per monitored household,
                      eliminated and overdue ones, planted inconsistencies)
  consistency_truth.parquet  what 疑点核查 must find on them (lifecycle.TRUTH_SCHEMA)
  funds_<table>.parquet  衔接资金 of the demo year and the year before (funds.py): allocations, projects,
                      budgets, arrangements, payments, hires, assets, maintenance, incomes, distributions,
                      entities, bases, links; money as Decimal(15, 2)
  employment_<table>.parquet  the monthly survey of the labour roll (base year and the twelve months up to the
                      period), 公益性岗位, their holders and monthly pay (employment.py)
  environment_<table>.parquet  living-environment plans and weekly reports (environment.py)
  relocation_<table>.parquet  relocation sites, their households, problems and funds projects (relocation.py)
  supervision_<table>.parquet  leaders, units, stationed cadres, experts and a year of visits (supervision.py)
  rectification_<table>.parquet  findings of every source (the worked example of 22 in every county), their
                      tasks at every stage, evidence and joint reviewers (rectification.py)
  governance_<table>.parquet  四议两公开 decisions and steps, points rules, awards, redemptions, documents
                      (governance.py)
  manifest.json       scale, seed and row counts; written last, so its presence means a complete set
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from dixian.domain import catalogue

from .employment import EMPLOYMENT_FILES, generate_employment, period_check, plant_workers
from .environment import generate_environment
from .feeds import DEFAULT_PERIOD, generate_feeds, write_feeds
from .funds import FUNDS_FILES, generate_funds
from .governance import GOVERNANCE_FILES, generate_governance
from .lifecycle import as_of_for, children_plant, generate_lifecycle
from .population import INCOME_YEAR, generate_population
from .rectification import RECTIFICATION_FILES, generate_rectification
from .relocation import RELOCATION_FILES, generate_relocation
from .supervision import SUPERVISION_FILES, generate_supervision
from .tree import build_tree, single_township_tree, single_village_tree

FORMAT_VERSION = 7  # 6: the work ledgers' files (supervision, governance, environment); 7: rectification
FILES = (
    "regions.parquet",
    "households.parquet",
    "persons.parquet",
    "incomes.parquet",
    "ground_truth.parquet",
    "cases.parquet",
    "measures.parquet",
    "consistency_truth.parquet",
    *(f"feeds/{f.code}.parquet" for f in catalogue.FEEDS),
    *FUNDS_FILES,
    *EMPLOYMENT_FILES,
    *RELOCATION_FILES,
    *SUPERVISION_FILES,
    *GOVERNANCE_FILES,
    *RECTIFICATION_FILES,
)


@dataclass(frozen=True)
class Scale:
    name: str
    counties: tuple[str, ...] | None  # 6-digit codes; None = the whole city
    persons: int
    single_village: bool = False
    workbook: bool = False
    single_township: bool = False
    feed_csv: bool = True  # also write each feed as CSV, for uploading by hand


SCALES = {
    "village": Scale("village", ("360424",), 450, single_village=True, workbook=True),
    "township": Scale("township", ("360424",), 6_000, single_township=True),
    "county": Scale("county", ("360424",), 200_000, workbook=True),
    "city": Scale("city", None, 2_500_000, feed_csv=False),
}


@dataclass(frozen=True)
class Manifest:
    scale: str
    seed: int
    regions: int
    villages: int
    households: int
    persons: int
    incomes: int
    workbook: bool
    period: str = DEFAULT_PERIOD
    feed_rows: dict[str, int] | None = None
    events: dict[str, int] | None = None  # ground-truth rows by kind
    cases: int = 0
    consistency: dict[str, int] | None = None  # consistency truth rows by kind
    as_of: str = ""  # the day the lifecycle's truth holds on (YYYY-MM-DD)
    funds: dict[str, int] | None = None  # rows of each funds table
    employment: dict[str, int] | None = None  # rows of each employment table, and the story's counts
    relocation: dict[str, int] | None = None  # rows of each relocation table
    supervision: dict[str, int] | None = None  # rows of each supervision table
    governance: dict[str, int] | None = None  # rows of each governance table
    rectification: dict[str, int] | None = None  # rows of each rectification table, findings by stage
    format_version: int = FORMAT_VERSION


def read_manifest(directory: Path) -> Manifest | None:
    path = directory / "manifest.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format_version") != FORMAT_VERSION or not all((directory / f).exists() for f in FILES):
        return None
    return Manifest(**data)


def generate(
    *,
    scale: str,
    seed: int,
    out: Path,
    labels: dict[str, dict[object, str]] | None = None,
    progress: Callable[[str], None] | None = None,
    period: str = DEFAULT_PERIOD,
) -> Manifest:
    """Generate `scale` with `seed` into `out`. The workbook needs the code-list labels (Chinese)."""
    say = progress or (lambda _msg: None)
    period_check(period)  # before anything is written
    spec = SCALES[scale]
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").unlink(missing_ok=True)
    started = time.monotonic()

    def step(message: str) -> None:
        say(f"[{time.monotonic() - started:6.1f}s] {message}")

    step(f"行政区划({scale}, seed={seed})")
    tree = build_tree(seed=seed, counties=spec.counties)
    demo_village = str(single_village_tree(tree).filter(pl.col("level") == "village")["code"][0])
    if spec.single_village:
        tree = single_village_tree(tree)
    elif spec.single_township:
        tree = single_township_tree(tree)
    step("人口")
    population = generate_population(tree=tree, persons_target=spec.persons, seed=seed, progress=step)
    # A few monitored households' pupils are recorded out of school before the feeds follow the registry.
    as_of = as_of_for(period)
    persons, pupils_out = children_plant(
        households=population.households, persons=population.persons, scale=scale, seed=seed, as_of=as_of
    )
    # 弱劳动力 and the summer's 雨露计划 graduates, before the feeds follow the registry (employment.py).
    persons, graduates = plant_workers(
        households=population.households, persons=persons, seed=seed, period=period
    )
    population.persons = persons
    step("写入 Parquet")
    frames = {
        "regions": tree,
        "households": population.households,
        "persons": population.persons,
        "incomes": population.incomes,
    }
    for name, frame in frames.items():
        frame.write_parquet(out / f"{name}.parquet", compression="zstd", statistics=True)
    step(f"部门数据({period})与标准答案")
    feedset = generate_feeds(
        tree=tree,
        households=population.households,
        persons=population.persons,
        incomes=population.incomes,
        seed=seed,
        scale=scale,
        period=period,
        demo_village=demo_village,
        say=step,
    )
    step("就业信息摸排与公益性岗位")
    jobs = generate_employment(
        tree=tree,
        households=population.households,
        persons=population.persons,
        feeds=feedset.feeds,
        truth=feedset.ground_truth,
        graduates=graduates,
        seed=seed,
        scale=scale,
        period=period,
        demo_village=demo_village,
        say=step,
    )
    # The graduates' 毕业 rows replace their autumn 在读 rows; a post holder's death joins the 公安 feed.
    for code, rows in jobs.feed_rows.items():
        frame = feedset.feeds[code]
        if code in jobs.feed_drops:
            frame = frame.filter(~jobs.feed_drops[code])
        feedset.feeds[code] = pl.concat([frame, rows])
    employment_rows = {}
    for name, frame in jobs.frames().items():
        frame.write_parquet(out / f"employment_{name}.parquet", compression="zstd", statistics=True)
        employment_rows[name] = frame.height
    employment_rows.update(jobs.facts)
    step("写入部门数据")
    feed_rows = write_feeds(feedset, out, csv=spec.feed_csv)
    events = dict(sorted(feedset.ground_truth.group_by("kind").len().iter_rows()))
    step("监测帮扶档案与疑点核查标准答案")
    truth = feedset.ground_truth
    lifecycle = generate_lifecycle(
        households=population.households,
        persons=population.persons,
        incomes=population.incomes,
        excluded=set(truth["household_no"].drop_nulls().to_list()),
        avoid_villages=set(truth.filter(pl.col("rule_id") == "R17")["village_code"].drop_nulls().to_list()),
        demo_village=demo_village,
        pupils_out=pupils_out,
        scale=scale,
        seed=seed,
        as_of=as_of,
        say=step,
    )
    lifecycle.cases.write_parquet(out / "cases.parquet", compression="zstd", statistics=True)
    lifecycle.measures.write_parquet(out / "measures.parquet", compression="zstd", statistics=True)
    lifecycle.truth.write_parquet(out / "consistency_truth.parquet", compression="zstd", statistics=True)
    step("衔接资金、项目、资产与联农带农")
    # Distributions and hires go to households none of whose members the 公安 feed reports dead or moved
    # away (R10 plants such deaths): a distribution to such a person would be a finding (docs/domain.md §22).
    civil = feedset.feeds["civil_registry"].filter(pl.col("change_type").is_in(["死亡", "迁出"]))
    gone = set(
        population.persons.filter(pl.col("id_number").is_in(civil["id_number"].implode()))["household_no"]
    ) | set(truth.filter(pl.col("rule_id") == "R10")["household_no"].drop_nulls())
    fundset = generate_funds(
        tree=tree,
        households=population.households,
        persons=population.persons,
        seed=seed,
        as_of=as_of,
        demo_village=demo_village,
        excluded=gone,
        say=step,
    )
    funds_rows = {}
    for name, frame in fundset.frames().items():
        frame.write_parquet(out / f"funds_{name}.parquet", compression="zstd", statistics=True)
        funds_rows[name] = frame.height
    step("易地搬迁安置点")
    sites = generate_relocation(
        tree=tree,
        households=population.households,
        persons=population.persons,
        projects=fundset.projects,
        seed=seed,
        as_of=as_of,
        say=step,
    )
    relocation_rows = {}
    for name, frame in sites.frames().items():
        frame.write_parquet(out / f"relocation_{name}.parquet", compression="zstd", statistics=True)
        relocation_rows[name] = frame.height
    step("组织保障与督导")
    supervision_rows = {}
    for name, frame in generate_supervision(tree=tree, seed=seed, as_of=as_of, say=step).frames().items():
        frame.write_parquet(out / f"supervision_{name}.parquet", compression="zstd", statistics=True)
        supervision_rows[name] = frame.height
    step("问题整改")
    rectification = generate_rectification(tree=tree, seed=seed, as_of=as_of, say=step)
    for name, frame in rectification.frames().items():
        frame.write_parquet(out / f"rectification_{name}.parquet", compression="zstd", statistics=True)
    step("乡村治理")
    governance = generate_governance(
        tree=tree,
        households=population.households,
        seed=seed,
        as_of=as_of,
        demo_village=demo_village,
        say=step,
    )
    governance_rows = {}
    for name, frame in governance.frames().items():
        frame.write_parquet(out / f"governance_{name}.parquet", compression="zstd", statistics=True)
        governance_rows[name] = frame.height
    step("人居环境周报")
    for name, frame in generate_environment(
        tree=tree, households=population.households, seed=seed, as_of=as_of
    ).items():
        frame.write_parquet(out / f"environment_{name}.parquet", compression="zstd", statistics=True)
    with_workbook = spec.workbook and labels is not None
    if with_workbook:
        from .workbook import write_workbook

        step("写入导入工作簿 registry.xlsx")
        write_workbook(
            out / "registry.xlsx",
            households=population.households,
            persons=population.persons,
            incomes=population.incomes,
            year=INCOME_YEAR,
            labels=labels or {},
            progress=step,
        )
    manifest = Manifest(
        scale=scale,
        seed=seed,
        regions=tree.height,
        villages=tree.filter(pl.col("level") == "village").height,
        households=population.households.height,
        persons=population.persons.height,
        incomes=population.incomes.height,
        workbook=with_workbook,
        period=period,
        feed_rows=feed_rows,
        events=events,
        cases=lifecycle.cases.height,
        consistency=dict(sorted(lifecycle.truth.group_by("kind").len().iter_rows())),
        as_of=as_of.isoformat(),
        funds=funds_rows,
        employment=employment_rows,
        relocation=relocation_rows,
        supervision=supervision_rows,
        governance=governance_rows,
        rectification=rectification.counts(),
    )
    (out / "manifest.json").write_text(
        json.dumps(asdict(manifest), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    step(
        f"完成:{manifest.households:,} 户,{manifest.persons:,} 人,"
        f"部门数据 {sum(feed_rows.values()):,} 行 → {out}"
    )
    return manifest
