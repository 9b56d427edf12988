"""`generate`: write a synthetic scale (village, county or city) as Parquet files (and the workbook).

Output directory:
  regions.parquet     code, name, level, parent_code, full_name, is_key_village
  households.parquet  persons.parquet  incomes.parquet   columns named as the model fields, code values
  registry.xlsx       the county import workbook (village and county scale, when labels are given)
  manifest.json       scale, seed and row counts; written last, so its presence means a complete set
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from .population import INCOME_YEAR, generate_population
from .tree import build_tree, single_village_tree

FORMAT_VERSION = 1
FILES = ("regions.parquet", "households.parquet", "persons.parquet", "incomes.parquet")


@dataclass(frozen=True)
class Scale:
    name: str
    counties: tuple[str, ...] | None  # 6-digit codes; None = the whole city
    persons: int
    single_village: bool = False
    workbook: bool = False


SCALES = {
    "village": Scale("village", ("360424",), 450, single_village=True, workbook=True),
    "county": Scale("county", ("360424",), 200_000, workbook=True),
    "city": Scale("city", None, 2_500_000),
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
    if spec.single_village:
        tree = single_village_tree(tree)
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
    )
    (out / "manifest.json").write_text(
        json.dumps(asdict(manifest), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    step(f"完成:{manifest.households:,} 户,{manifest.persons:,} 人 → {out}")
    return manifest
