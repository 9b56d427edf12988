"""Generated living-environment ledger (docs/domain.md §27): a plan per village for the year of `as_of`, and
the 52 weekly reports up to the last week whose deadline has passed (some missing, some late), written as
`environment_plans.parquet` and `environment_weekly.parquet`; environment_loading.py loads them.

Figures grow through the year towards the plan and never exceed the village's generated households.
"""

from __future__ import annotations

import datetime as dt
import random

import polars as pl

WEEKS = 52
ENVIRONMENT_TABLES = ("plans", "weekly")


def generate_environment(
    *, tree: pl.DataFrame, households: pl.DataFrame, seed: int, as_of: dt.date
) -> dict[str, pl.DataFrame]:
    rng = random.Random(seed * 31 + 19)
    counts = dict(
        households.select(pl.col("region_code").str.slice(0, 12).alias("v")).group_by("v").len().iter_rows()
    )
    villages = tree.filter(pl.col("level") == "village")["code"].to_list()
    year = as_of.year
    last = as_of - dt.timedelta(days=as_of.weekday()) - dt.timedelta(days=14)  # deadline surely passed
    mondays = [last - dt.timedelta(days=7 * k) for k in range(WEEKS)][::-1]
    plans: list[dict[str, object]] = []
    weekly: list[dict[str, object]] = []
    for code in villages:
        hh = int(counts.get(code, 0))
        if hh == 0:
            continue
        planned = max(1, hh // rng.randint(6, 14))
        natural = rng.randint(2, 8)
        works = rng.randint(1, 5)
        plans.append(
            {
                "region_code": code,
                "year": year,
                "toilets_planned": planned,
                "natural_villages": natural,
                "works_planned": works,
            }
        )
        sanitary0 = min(hh, int(hh * rng.uniform(0.55, 0.85)))
        pace = rng.uniform(0.6, 1.2)  # some villages lag behind the schedule
        skips = rng.random() < 0.15  # a village that sometimes does not report
        for monday in mondays:
            if monday.year != year:
                continue
            done_share = min(1.0, pace * monday.timetuple().tm_yday / 365)
            upgraded = min(planned, int(planned * done_share))
            sanitary = min(hh, sanitary0 + upgraded)
            if skips and rng.random() < 0.2:
                continue
            weekly.append(
                {
                    "region_code": code,
                    "week": monday,
                    "year": year,
                    "households": hh,
                    "toilets_upgraded": upgraded,
                    "toilets_sanitary": sanitary,
                    "toilets_in_use": sanitary - int(sanitary * rng.uniform(0.0, 0.06)),
                    "garbage_covered": min(natural, 1 + int(natural * done_share)),
                    "sewage_households": min(hh, int(hh * 0.2 + hh * 0.15 * done_share)),
                    "works_done": min(works, int(works * done_share)),
                    "late": rng.random() < 0.05,
                }
            )
    return {"plans": pl.DataFrame(plans), "weekly": pl.DataFrame(weekly)}
