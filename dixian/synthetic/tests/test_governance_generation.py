"""The generated village governance (governance.py, governance_loading.py) at the village scale: decisions
whose steps are in order and whose derived facts are the app's, some missing a step; redemptions within the
balance; the load writes every row once, files the missing steps as findings, and writes nothing again."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from dixian.governance import rules
from dixian.governance.models import Decision, DecisionStep, PointsAward, PointsRedemption, VillageDocument
from dixian.governance.services import balance_of
from dixian.rectification.models import Finding
from dixian.synthetic.generate import Manifest, generate
from dixian.synthetic.governance_loading import governance_load
from dixian.synthetic.loading import regions_load, registry_load_directory

SEED = 7


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    out = tmp_path_factory.mktemp("village")
    return out, generate(scale="village", seed=SEED, out=out)


def test_the_generated_steps_are_in_order_and_some_decisions_miss_one(generated) -> None:
    directory, manifest = generated
    decisions = pl.read_parquet(directory / "governance_decisions.parquet")
    steps = pl.read_parquet(directory / "governance_steps.parquet")
    assert manifest.governance is not None and manifest.governance["decisions"] == decisions.height > 0
    assert decisions.filter(pl.col("missing") != "").height >= 1  # the demo village's first, at least
    for key, group in steps.group_by("decision_key"):
        held = dict(zip(group["step"].to_list(), group["held_on"].to_list(), strict=True))
        ordered = [held[c] for c in rules.STEP_CODES if c in held]
        assert ordered == sorted(ordered), key
        row = decisions.filter(pl.col("key") == key[0]).row(0, named=True)
        assert row["missing"] == ",".join(rules.missing_steps(held, row["status"]))
    redemptions = pl.read_parquet(directory / "governance_redemptions.parquet")
    awards = pl.read_parquet(directory / "governance_awards.parquet")
    balance = awards.group_by("household_no").agg(pl.col("points").sum().alias("earned"))
    spent = redemptions.group_by("household_no").agg(pl.col("points").sum().alias("spent"))
    assert spent.join(balance, on="household_no").filter(pl.col("spent") > pl.col("earned")).height == 0


@pytest.mark.django_db
def test_loading_writes_every_row_once_and_files_the_missing_steps(generated) -> None:
    directory, manifest = generated
    regions_load(pl.read_parquet(directory / "regions.parquet"))
    registry_load_directory(directory, actor=None, reference="test")
    rows = governance_load(directory)
    assert rows is not None and manifest.governance is not None
    assert Decision.objects.count() == manifest.governance["decisions"]
    assert DecisionStep.objects.count() == manifest.governance["steps"]
    assert PointsAward.objects.count() == manifest.governance["awards"]
    assert PointsRedemption.objects.count() == manifest.governance["redemptions"]
    assert VillageDocument.objects.exclude(file="").count() == manifest.governance["documents"]
    flagged = Decision.objects.exclude(status="open").exclude(missing="")
    expected = sum(len(d.missing.split(",")) for d in flagged)
    assert Finding.objects.filter(origin_key__startswith="governance.decision:").count() == expected > 0
    household = PointsRedemption.objects.order_by("pk").first()
    assert household is None or balance_of(household.household_id) >= 0
    assert governance_load(directory) is None
    assert Decision.objects.count() == manifest.governance["decisions"]
