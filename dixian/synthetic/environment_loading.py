"""Loading the generated living-environment ledger (environment.py) with bulk writes, and tagging the demo's
乡村建设 projects as the environment fund: about 1000万 of them along the railway and highway corridors
(docs/domain.md §27, the city's report)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import polars as pl
from django.db import transaction
from django.utils import timezone

from dixian.environment.models import EnvironmentPlan, EnvironmentProject, WeeklyReport
from dixian.environment.sums import rebuild as rebuild_week_sums
from dixian.funds.models import Project
from dixian.regions.models import Region

from .environment import ENVIRONMENT_TABLES

CORRIDOR_FUND = Decimal("10000000")


def environment_load(directory: Path, *, say: Callable[[str], None]) -> bool:
    """Write the generated plans and weekly reports; False when they are in the database already."""
    paths = {n: directory / f"environment_{n}.parquet" for n in ENVIRONMENT_TABLES}
    if WeeklyReport.objects.exists() or not all(p.exists() for p in paths.values()):
        return False
    plans, weekly = (pl.read_parquet(paths[n]) for n in ENVIRONMENT_TABLES)
    ids = dict(Region.objects.filter(level=Region.Level.VILLAGE).values_list("code", "id"))
    filed = timezone.now()
    with transaction.atomic():
        EnvironmentPlan.objects.bulk_create(
            (
                EnvironmentPlan(village_id=ids[r["region_code"]], **r)
                for r in plans.iter_rows(named=True)
                if r["region_code"] in ids
            ),
            batch_size=5000,
        )
        WeeklyReport.objects.bulk_create(
            (
                WeeklyReport(
                    village_id=ids[r["region_code"]],
                    filed_at=filed
                    - dt.timedelta(days=(filed.date() - r["week"]).days - (9 if r["late"] else 4)),
                    **r,
                )
                for r in weekly.iter_rows(named=True)
                if r["region_code"] in ids
            ),
            batch_size=5000,
        )
        week_sums = rebuild_week_sums()  # the townships' week sums of the bulk-loaded reports (§27)
        total = Decimal(0)
        links = []
        for i, project in enumerate(
            Project.objects.filter(kind="rural_construction").exclude(state="rejected").order_by("code")
        ):
            if total >= CORRIDOR_FUND:
                break
            total += project.budget_total
            links.append(
                EnvironmentProject(
                    project=project,
                    region_code=project.region_code,
                    theme=("toilet", "garbage", "sewage", "appearance")[i % 4],
                    corridor=("railway", "highway")[i % 2],
                )
            )
        EnvironmentProject.objects.bulk_create(links)
    say(
        f"  人居环境:{plans.height:,} 个村的年度计划,{weekly.height:,} 份周报({week_sums:,} 行乡镇周汇总),"
        f"{len(links)} 个沿线项目。"
    )
    return True
