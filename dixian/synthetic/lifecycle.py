"""The monitoring lifecycle of the synthetic population (docs/synthetic.md "Cases and planted
inconsistencies"): a case for every monitored household, a few eliminated and overdue ones, and the
inconsistencies that 疑点核查 must find (docs/domain.md §20.1), with their ground truth.

Generated column-wise from the registry frames and a random stream of its own (seed), written as Parquet
next to the registry; `lifecycle_load` writes it into the database with bulk inserts (the history of a
national import, not a walk through the services). Every monitored household gets a clean baseline (a
case identified in 2022, risk 因病, a helper, a health measure and, when someone can work, an applied job
measure), so that the checks raise nothing on it; the planted households each break one rule (one
breaks two: 综合保障 only also means no development measure). Children of compulsory-school age whom the
population left out of school in a monitored household are found too: they are derived into the truth
(kind `registry`), as the screening's registry rules are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl
from polars.datatypes import DataType, DataTypeClass

from dixian.domain import dictionaries as d

CASES_SCHEMA: dict[str, DataType | DataTypeClass] = {
    "household_no": pl.String,
    "state": pl.String,  # monitoring / eliminated / home_check
    "category": pl.String,
    "risk_codes": pl.List(pl.String),
    "first_clue_on": pl.Date,
    "due_on": pl.Date,
    "identified_on": pl.Date,
    "eliminated_on": pl.Date,
    "elimination_method": pl.String,
    "helper": pl.Boolean,  # pair the household with a helper
}
MEASURES_SCHEMA = {
    "household_no": pl.String,
    "category": pl.String,
    "item": pl.String,
    "status": pl.String,
    "start_on": pl.Date,
}
TRUTH_SCHEMA = {"household_no": pl.String, "code": pl.String, "kind": pl.String}  # kind: planted / registry

# Planted households per rule, by scale.
PLANTS_PER_RULE = {"village": 1, "township": 2, "county": 5, "city": 20}
CLEAN_ELIMINATED = {"village": 1, "township": 3, "county": 20, "city": 200}
LINE_2025 = 8200  # the demo line (docs/domain.md §2); a margin keeps rounding out of the picks
MARGIN = 100
HIGH_INCOME = 20000
ITEMS = {
    "health": "医疗救助和大病保险倾斜",
    "employment": "就业岗位推荐和务工交通补贴",
    "social_security": "纳入低保",
}
IN_SCHOOL = [c for stage in d.IN_SCHOOL_STAGES for c in d.STAGE_CODES[stage]]
EXCUSED_HEALTH = [d.CHRONIC, d.MAJOR_ILLNESS, d.DISABLED]


@dataclass
class Lifecycle:
    cases: pl.DataFrame
    measures: pl.DataFrame
    truth: pl.DataFrame


def as_of_for(period: str) -> dt.date:
    """The day the generated lifecycle is true on: the last day of the demo period."""
    year, month = (int(p) for p in period.split("-"))
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def compulsory_births(today: dt.date) -> tuple[dt.date, dt.date]:
    """Born 1 September of Y-15 to 31 August of Y-6, Y the school year's start (docs/domain.md §8)."""
    start = today.year if today.month >= 9 else today.year - 1
    return dt.date(start - 15, 9, 1), dt.date(start - 6, 8, 31)


def _healthy_pupils(persons: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    born_from, born_to = compulsory_births(as_of)
    return persons.filter(
        pl.col("birth_date").is_between(born_from, born_to)
        & pl.col("student_status").is_in(IN_SCHOOL)
        & ~pl.col("health_status").is_in(EXCUSED_HEALTH)
        & (pl.col("disability_category").fill_null("") == "")
    )


def children_plant(
    *, households: pl.DataFrame, persons: pl.DataFrame, scale: str, seed: int, as_of: dt.date
) -> tuple[pl.DataFrame, list[str]]:
    """Before the feeds are drawn (they follow the registry): in a few monitored households, one healthy
    pupil of compulsory-school age is recorded as not at school, with no reason. Returns the persons and
    those households."""
    rng = np.random.default_rng([seed, 15])
    pupils = _healthy_pupils(persons, as_of).sort("household_no", "id_number")
    monitored = households.filter(pl.col("monitoring_category") != "").sort("household_no")
    candidates = monitored.filter(pl.col("household_no").is_in(pupils["household_no"].unique().to_list()))
    order = rng.permutation(candidates.height)[: PLANTS_PER_RULE[scale]]
    chosen = sorted(candidates["household_no"].gather(order).to_list()) if order.size else []
    out = (
        pupils.filter(pl.col("household_no").is_in(chosen))
        .group_by("household_no", maintain_order=True)
        .first()
    )
    persons = persons.with_columns(
        pl.when(pl.col("id_number").is_in(out["id_number"].to_list()))
        .then(pl.lit(""))
        .otherwise(pl.col("student_status"))
        .alias("student_status")
    )
    return persons, chosen


def _per_capita(households: pl.DataFrame, incomes: pl.DataFrame) -> pl.DataFrame:
    net = (
        pl.col("wages")
        + pl.col("business")
        + pl.col("property")
        + pl.col("transfers")
        - pl.col("production_costs")
    ).cast(pl.Float64)
    latest = incomes.sort("year").group_by("household_no").last().select("household_no", net.alias("net"))
    return households.join(latest, on="household_no", how="left").with_columns(
        (pl.col("net") / pl.col("member_count")).fill_null(0).alias("per_capita")
    )


def generate_lifecycle(
    *,
    households: pl.DataFrame,
    persons: pl.DataFrame,
    incomes: pl.DataFrame,
    excluded: set[str],
    avoid_villages: set[str],
    demo_village: str,
    pupils_out: list[str],
    scale: str,
    seed: int,
    as_of: dt.date,
    say: Callable[[str], None] | None = None,
) -> Lifecycle:
    """Cases, measures and the consistency truth. `excluded`: households the screening's ground truth
    names (never promoted to monitored, so that truth stays as it is); `avoid_villages`: villages where
    being monitored would raise an alert (R17), left alone for the same reason."""
    rng = np.random.default_rng([seed, 14])
    n_plant = PLANTS_PER_RULE[scale]
    labour = persons.group_by("household_no").agg(
        pl.col("labour_skill").is_in(d.LABOURER_SKILLS).any().alias("has_labour")
    )
    born_from, born_to = compulsory_births(as_of)
    in_range = pl.col("birth_date").is_between(born_from, born_to)
    frame = (
        _per_capita(households, incomes)
        .join(labour, on="household_no", how="left")
        .with_columns(pl.col("has_labour").fill_null(False))
        .sort("household_no")
    )
    frame = frame.with_columns(pl.Series("draw", rng.random(frame.height))).sort("draw")
    used: set[str] = set(pupils_out)  # planted before the feeds (children_plant)
    village = pl.col("region_code").str.slice(0, 12)
    monitored = frame.filter(pl.col("monitoring_category") != "")
    free = frame.filter(
        (pl.col("monitoring_category") == "")
        & ~pl.col("household_no").is_in(sorted(excluded))
        & ~village.is_in(sorted(avoid_villages))
    )
    not_monitored = frame.filter(pl.col("monitoring_category") == "")

    def take(pool: pl.DataFrame, condition: pl.Expr, n: int) -> list[dict[str, object]]:
        rows = pool.filter(condition & ~pl.col("household_no").is_in(sorted(used))).head(n).to_dicts()
        used.update(str(r["household_no"]) for r in rows)
        return rows

    def take_monitored(condition: pl.Expr, n: int) -> list[dict[str, object]]:
        rows = take(monitored, condition, n)
        return rows + take(free, condition, n - len(rows))

    cases: list[dict[str, object]] = []
    measures: list[dict[str, object]] = []
    truth: list[tuple[str, str]] = []

    def day(year: int, month: int) -> dt.date:
        return dt.date(year, month, int(rng.integers(1, 29)))

    def category(row: dict[str, object]) -> str:
        given = str(row["monitoring_category"] or "")
        return given or ("unstable_ex_poor" if row["kind"] == d.EX_POOR else "edge")

    def monitored_case(
        row: dict[str, object],
        *,
        identified: dt.date,
        risks: list[str],
        plan: list[tuple[str, str]],
        helper: bool = True,
    ) -> None:
        no = str(row["household_no"])
        cases.append(
            {
                "household_no": no,
                "state": "monitoring",
                "category": category(row),
                "risk_codes": risks,
                "first_clue_on": identified,
                "due_on": identified,
                "identified_on": identified,
                "eliminated_on": None,
                "elimination_method": "",
                "helper": helper,
            }
        )
        for cat, status in plan:
            measures.append(
                {
                    "household_no": no,
                    "category": cat,
                    "item": ITEMS[cat],
                    "status": status,
                    "start_on": identified,
                }
            )

    def baseline_plan(row: dict[str, object]) -> list[tuple[str, str]]:
        return [("health", "applied"), *([("employment", "applied")] if row["has_labour"] else [])]

    # --- planted inconsistencies (docs/domain.md §20.1), each on a household of its own -------------------
    for row in take_monitored(~pl.col("has_labour"), n_plant):
        monitored_case(row, identified=day(2022, 6), risks=["07"], plan=[("employment", "applied")])
        truth.append((str(row["household_no"]), "risk07_no_labour"))
    for row in take(free, pl.col("per_capita") > HIGH_INCOME + MARGIN, n_plant):
        monitored_case(row, identified=day(2024, 5), risks=["01"], plan=baseline_plan(row))
        truth.append((str(row["household_no"]), "income_too_high"))
    for row in monitored.filter(pl.col("household_no").is_in(pupils_out)).sort("household_no").to_dicts():
        monitored_case(row, identified=day(2022, 3), risks=["01"], plan=baseline_plan(row))
        truth.append((str(row["household_no"]), "child_out_of_school"))
    no_demo = village != demo_village  # the demo pairs its helper with households of its village
    for row in take_monitored(no_demo, n_plant):
        monitored_case(row, identified=day(2022, 4), risks=["01"], plan=baseline_plan(row), helper=False)
        truth.append((str(row["household_no"]), "no_helper"))
    for row in take_monitored(pl.col("has_labour"), n_plant):
        monitored_case(row, identified=day(2022, 5), risks=["01", "09"], plan=baseline_plan(row))
        truth.append((str(row["household_no"]), "measures_mismatch"))
    for row in take_monitored(pl.col("has_labour"), n_plant):
        monitored_case(row, identified=day(2022, 7), risks=["03"], plan=[("social_security", "applied")])
        truth.append((str(row["household_no"]), "safety_net_only"))
        truth.append((str(row["household_no"]), "no_development_measure"))
    for row in take_monitored(pl.col("has_labour"), n_plant):
        monitored_case(
            row,
            identified=day(2022, 8),
            risks=["01"],
            plan=[("health", "applied"), ("employment", "planned")],
        )
        truth.append((str(row["household_no"]), "no_development_measure"))

    def eliminated_case(row: dict[str, object], identified: dt.date, eliminated: dt.date) -> None:
        cases.append(
            {
                "household_no": str(row["household_no"]),
                "state": "eliminated",
                "category": category(row),
                "risk_codes": ["01"],
                "first_clue_on": identified,
                "due_on": identified,
                "identified_on": identified,
                "eliminated_on": eliminated,
                "elimination_method": "assisted",
                "helper": False,
            }
        )
        measures.append(
            {
                "household_no": str(row["household_no"]),
                "category": "health",
                "item": ITEMS["health"],
                "status": "finished",
                "start_on": identified,
            }
        )

    above = pl.col("per_capita") >= LINE_2025 + MARGIN
    for row in take(not_monitored, above, n_plant):
        identified = day(2025, 3)
        eliminated_case(row, identified, dt.date(2025, 4, int(rng.integers(1, 29))))
        truth.append((str(row["household_no"]), "elim_same_month"))
    for row in take(not_monitored, above, n_plant):
        identified = day(2025, 1)
        eliminated_case(row, identified, dt.date(2025, 5, int(rng.integers(1, 29))))
        truth.append((str(row["household_no"]), "elim_before_6_months"))
    for row in take(not_monitored, pl.col("per_capita") < LINE_2025 - MARGIN, n_plant):
        eliminated_case(row, day(2024, 1), day(2024, 9))
        truth.append((str(row["household_no"]), "below_line_eliminated"))
    for row in take(not_monitored, above, CLEAN_ELIMINATED[scale]):  # clean: nothing to find
        eliminated_case(row, day(2023, 1), day(2023, 10))
    for row in take(not_monitored, pl.lit(True), n_plant):
        clue = as_of - dt.timedelta(days=int(rng.integers(20, 60)))
        cases.append(
            {
                "household_no": str(row["household_no"]),
                "state": "home_check",
                "category": "",
                "risk_codes": [],
                "first_clue_on": clue,
                "due_on": clue + dt.timedelta(days=15),
                "identified_on": None,
                "eliminated_on": None,
                "elimination_method": "",
                "helper": False,
            }
        )
        truth.append((str(row["household_no"]), "identification_overdue"))

    # --- the clean baseline: every other monitored household -----------------------------------------------
    for row in monitored.filter(~pl.col("household_no").is_in(sorted(used))).sort("household_no").to_dicts():
        monitored_case(
            row, identified=day(2022, int(rng.integers(1, 13))), risks=["01"], plan=baseline_plan(row)
        )

    cases_frame = pl.DataFrame(cases, schema=CASES_SCHEMA).sort("household_no")
    # Derived: children out of school without a reason in any monitored household (the population's own).
    watched = cases_frame.filter(pl.col("state") == "monitoring")["household_no"]
    natural = (
        persons.filter(
            pl.col("household_no").is_in(watched.to_list())
            & ~pl.col("household_no").is_in(pupils_out)
            & in_range
            & ~pl.col("student_status").is_in(IN_SCHOOL)
            & ~pl.col("health_status").is_in(EXCUSED_HEALTH)
            & (pl.col("disability_category").fill_null("") == "")
        )["household_no"]
        .unique()
        .sort()
        .to_list()
    )
    truth_frame = pl.concat(
        [
            pl.DataFrame([(no, code, "planted") for no, code in truth], schema=TRUTH_SCHEMA, orient="row"),
            pl.DataFrame(
                [(no, "child_out_of_school", "registry") for no in natural], schema=TRUTH_SCHEMA, orient="row"
            ),
        ]
    ).sort("household_no", "code")
    if say is not None:
        say(
            f"  监测帮扶档案 {cases_frame.height:,} 份,预置疑点 {len(truth):,} 条,另有人口数据自带疑点 {len(natural):,} 条"
        )
    return Lifecycle(
        cases=cases_frame,
        measures=pl.DataFrame(measures, schema=MEASURES_SCHEMA).sort("household_no", "category"),
        truth=truth_frame,
    )
