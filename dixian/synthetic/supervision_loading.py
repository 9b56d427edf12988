"""Loading the generated organisation and supervision (supervision.py: the `supervision_*` Parquet files): the
records in bulk, and each recorded visit's findings filed in the rectification ledger through
`finding_raise`, as the visit's record page does (docs/domain.md §26)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
from django.db import transaction

from dixian.rectification.models import Finding
from dixian.rectification.services import finding_raise
from dixian.regions.models import Region
from dixian.supervision.models import (
    AssistUnit,
    CountyLeader,
    Expert,
    StationedStaff,
    SupervisionVisit,
    VisitFinding,
)
from dixian.supervision.services import findings_parse

from .supervision import SUPERVISION_TABLES

BATCH = 2000
Say = Callable[[str], None]


def supervision_frames(directory: Path) -> dict[str, pl.DataFrame] | None:
    paths = {n: directory / f"supervision_{n}.parquet" for n in SUPERVISION_TABLES}
    if not all(p.exists() for p in paths.values()):
        return None
    return {n: pl.read_parquet(p) for n, p in paths.items()}


def supervision_loaded() -> bool:
    return SupervisionVisit.objects.exists() or StationedStaff.objects.exists()


@transaction.atomic
def supervision_load(directory: Path, *, say: Say | None = None) -> dict[str, int] | None:
    """Write the generated ledger; None when the files are missing or the ledger holds records already."""
    say = say or (lambda _msg: None)
    frames = supervision_frames(directory)
    if frames is None or supervision_loaded():
        return None
    codes = set(frames["leaders"]["county_code"]) | set(frames["experts"]["region_code"])
    codes |= set(frames["units"]["village_code"]) | set(frames["staff"]["village_code"])
    codes |= set(frames["visits"]["region_code"])
    regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
    leaders = {
        row["key"]: CountyLeader(
            name=row["name"],
            post=row["post"],
            county=regions[row["county_code"]],
            region_code=row["county_code"],
            start_on=row["start_on"],
        )
        for row in frames["leaders"].iter_rows(named=True)
    }
    CountyLeader.objects.bulk_create(leaders.values(), batch_size=BATCH)
    experts = {
        row["key"]: Expert(
            name=row["name"],
            field=row["field"],
            unit=row["unit"],
            title=row["title"],
            region=regions[row["region_code"]],
            region_code=row["region_code"],
        )
        for row in frames["experts"].iter_rows(named=True)
    }
    Expert.objects.bulk_create(experts.values(), batch_size=BATCH)
    AssistUnit.objects.bulk_create(
        (
            AssistUnit(
                unit=row["unit"],
                village=regions[row["village_code"]],
                region_code=row["village_code"],
                start_on=row["start_on"],
            )
            for row in frames["units"].iter_rows(named=True)
        ),
        batch_size=BATCH,
    )
    StationedStaff.objects.bulk_create(
        (
            StationedStaff(
                name=row["name"],
                phone=row["phone"],
                unit=row["unit"],
                village=regions[row["village_code"]],
                region_code=row["village_code"],
                role=row["role"],
                start_on=row["start_on"],
                end_on=row["end_on"],
            )
            for row in frames["staff"].iter_rows(named=True)
        ),
        batch_size=BATCH,
    )
    rows = list(frames["visits"].iter_rows(named=True))
    visits = SupervisionVisit.objects.bulk_create(
        (
            SupervisionVisit(
                kind=row["kind"],
                region=regions[row["region_code"]],
                region_code=row["region_code"],
                topic=row["topic"],
                planned_on=row["planned_on"],
                done_on=row["done_on"],
                checked=row["checked"],
            )
            for row in rows
        ),
        batch_size=BATCH,
    )
    leader_links = SupervisionVisit.leaders.through
    expert_links = SupervisionVisit.experts.through
    leader_links.objects.bulk_create(
        (
            leader_links(supervisionvisit_id=v.pk, countyleader_id=leaders[key].pk)
            for v, row in zip(visits, rows, strict=True)
            for key in row["leader_keys"]
        ),
        batch_size=BATCH,
    )
    expert_links.objects.bulk_create(
        (
            expert_links(supervisionvisit_id=v.pk, expert_id=experts[key].pk)
            for v, row in zip(visits, rows, strict=True)
            for key in row["expert_keys"]
        ),
        batch_size=BATCH,
    )
    raised = 0
    for visit, row in zip(visits, rows, strict=True):
        if not row["findings"] or visit.done_on is None:
            continue
        source = Finding.Source.UNANNOUNCED if visit.kind == "unannounced" else Finding.Source.SUPERVISION
        parsed = findings_parse(row["findings"])
        for seq, (category, title) in enumerate(parsed, 1):
            finding, _ = finding_raise(
                actor=None,
                source=source,
                category=category,
                title=title,
                region=visit.region,
                found_on=visit.done_on,
                description=f"{visit.get_kind_display()}“{visit.topic}”({visit.done_on:%Y-%m-%d})发现",
                origin_key=f"supervision.visit:{visit.pk}:{seq}",
            )
            VisitFinding.objects.create(visit=visit, seq=seq, finding=finding, region_code=visit.region_code)
            raised += 1
        SupervisionVisit.objects.filter(pk=visit.pk).update(findings_count=len(parsed))
    counts = {name: frames[name].height for name in SUPERVISION_TABLES} | {"findings": raised}
    say(
        f"  组织保障与督导:驻村干部 {counts['staff']:,} 人次,督导调研 {counts['visits']:,} 次,"
        f"发现问题 {raised:,} 个已进入问题整改台账。"
    )
    return counts
