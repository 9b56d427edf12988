"""`generate`: write a synthetic scale (village, county or city) as Parquet files (and the workbook).

Output directory:
  regions.parquet     code, name, level, parent_code, full_name, is_key_village
  households.parquet  persons.parquet  incomes.parquet   columns named as the model fields, code values
  registry.xlsx       the county import workbook (village and county scale, when labels are given)
  feeds/<feed>.parquet  the 12 department feeds of the demo period, Chinese headers (feeds.py); at the
                      smaller scales also feeds/<feed>.csv to upload by hand
  ground_truth.parquet  what the screening of those feeds must find (feeds.GROUND_TRUTH_SCHEMA)
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

from .feeds import DEFAULT_PERIOD, generate_feeds, write_feeds
from .population import INCOME_YEAR, generate_population
from .tree import build_tree, single_township_tree, single_village_tree

FORMAT_VERSION = 2
FILES = (
    "regions.parquet",
    "households.parquet",
    "persons.parquet",
    "incomes.parquet",
    "ground_truth.parquet",
    *(f"feeds/{f.code}.parquet" for f in catalogue.FEEDS),
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
    step("写入部门数据")
    feed_rows = write_feeds(feedset, out, csv=spec.feed_csv)
    events = dict(sorted(feedset.ground_truth.group_by("kind").len().iter_rows()))
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
    )
    (out / "manifest.json").write_text(
        json.dumps(asdict(manifest), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    step(
        f"完成:{manifest.households:,} 户,{manifest.persons:,} 人,"
        f"部门数据 {sum(feed_rows.values()):,} 行 → {out}"
    )
    return manifest
