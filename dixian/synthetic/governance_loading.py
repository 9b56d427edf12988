"""Loading the generated village governance (governance.py: the `governance_*` Parquet files) with bulk
writes, in funds_loading.py's manner; then the app's own check (`governance_check`) files the decisions
missing a step as rectification findings, as the nightly job would (docs/domain.md §28)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from dixian.governance.models import (
    Decision,
    DecisionStep,
    PointsAward,
    PointsRedemption,
    PointsRule,
    VillageDocument,
)
from dixian.governance.services import governance_check
from dixian.regions.models import Region
from dixian.registry.models import Household

from .employment_loading import evidence_pdf
from .funds_loading import BATCH, _ids
from .governance import GOVERNANCE_TABLES

Say = Callable[[str], None]


def governance_frames(directory: Path) -> dict[str, pl.DataFrame]:
    return {n: pl.read_parquet(directory / f"governance_{n}.parquet") for n in GOVERNANCE_TABLES}


def governance_loaded(directory: Path) -> bool:
    """True when the generated documents' first village already has its documents (the load is one
    transaction: all of it is in, or none)."""
    first = pl.read_parquet(
        directory / "governance_documents.parquet", columns=["region_code", "title"]
    ).head(1)
    if first.height == 0:
        return True
    code, title = first.row(0)
    return VillageDocument.objects.filter(region_code=code, title=title).exists()


def _stored(label: str, folder: str) -> str:
    content = evidence_pdf(label)
    path = f"{folder}/{hashlib.sha256(content).hexdigest()}.pdf"
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(content))
    return path


def governance_load(directory: Path, *, say: Say | None = None) -> dict[str, int] | None:
    """Write the generated governance records; None when they are in the database already."""
    say = say or (lambda _m: None)
    if governance_loaded(directory):
        return None
    started = time.monotonic()
    f = governance_frames(directory)
    codes = pl.concat(
        [f["decisions"]["region_code"], f["rules"]["region_code"], f["documents"]["region_code"]]
    )
    regions = _ids(Region, "code", codes.unique().to_list())
    numbers = pl.concat([f["awards"]["household_no"], f["redemptions"]["household_no"]]).unique()
    households: dict[str, Any] = _ids(Household, "household_no", numbers.to_list(), ("id", "region_code"))
    rows: dict[str, int] = {}
    with transaction.atomic():
        decisions = Decision.objects.bulk_create(
            (
                Decision(region_id=regions[r["region_code"]], **{k: v for k, v in r.items() if k != "key"})
                for r in f["decisions"].iter_rows(named=True)
            ),
            batch_size=BATCH,
        )
        ids = dict(zip(f["decisions"]["key"].to_list(), (d.pk for d in decisions), strict=True))
        DecisionStep.objects.bulk_create(
            (
                DecisionStep(
                    decision_id=ids[r["decision_key"]],
                    region_code=r["region_code"],
                    step=r["step"],
                    held_on=r["held_on"],
                    expected=r["expected"],
                    attending=r["attending"],
                    votes_for=r["votes_for"],
                    votes_against=r["votes_against"],
                    votes_abstain=r["votes_abstain"],
                    attachment=_stored(
                        f"Dixian synthetic minutes - decision {ids[r['decision_key']]} {r['step']}",
                        f"governance/decisions/{ids[r['decision_key']]}",
                    )
                    if r["attached"]
                    else "",
                )
                for r in f["steps"].iter_rows(named=True)
            ),
            batch_size=BATCH,
        )
        rules = PointsRule.objects.bulk_create(
            (PointsRule(region_id=regions[r["region_code"]], **r) for r in f["rules"].iter_rows(named=True)),
            batch_size=BATCH,
        )
        rule_ids = {(r.region_code, r.item): r.pk for r in rules}
        PointsAward.objects.bulk_create(
            (
                PointsAward(
                    household_id=households[r["household_no"]][0],
                    region_code=households[r["household_no"]][1],
                    rule_id=rule_ids[(r["region_code"], r["item"])],
                    points=r["points"],
                    reason=r["reason"],
                    awarded_on=r["awarded_on"],
                )
                for r in f["awards"].iter_rows(named=True)
            ),
            batch_size=BATCH,
        )
        PointsRedemption.objects.bulk_create(
            (
                PointsRedemption(
                    household_id=households[r["household_no"]][0],
                    region_code=households[r["household_no"]][1],
                    item=r["item"],
                    points=r["points"],
                    redeemed_on=r["redeemed_on"],
                )
                for r in f["redemptions"].iter_rows(named=True)
            ),
            batch_size=BATCH,
        )
        VillageDocument.objects.bulk_create(
            (
                VillageDocument(
                    region_id=regions[r["region_code"]],
                    file=_stored(
                        f"Dixian synthetic {r['kind']} - village {r['region_code']}",
                        f"governance/documents/{r['region_code']}",
                    ),
                    **r,
                )
                for r in f["documents"].iter_rows(named=True)
            ),
            batch_size=BATCH,
        )
        rows = {name: frame.height for name, frame in f.items()}
    flagged, filed = governance_check()
    say(
        f"乡村治理:事项 {rows['decisions']:,} 件、程序 {rows['steps']:,} 条、积分记录 {rows['awards']:,} 条、"
        f"兑换 {rows['redemptions']:,} 次、文件 {rows['documents']:,} 份;缺少程序 {flagged} 件,"
        f"列入问题整改台账 {filed} 条;用时 {time.monotonic() - started:.1f} 秒。"
    )
    return rows
