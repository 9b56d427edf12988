"""疑点核查 against what the generator planted (docs/synthetic.md "Cases and planted inconsistencies"):
a township is generated, loaded (regions, registry, lifecycle) and checked on the day its truth holds;
every planted inconsistency must be found, and nothing else."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from dixian.domain import lifecycle as lc
from dixian.monitoring import consistency as cc
from dixian.monitoring.models import CaseTransition, Measure, MonitoringCase
from dixian.registry.models import HelperAssignment, Household
from dixian.synthetic.generate import generate, read_manifest
from dixian.synthetic.loading import lifecycle_load, regions_load, registry_load_directory

SEED = 20261129


@pytest.fixture(scope="module")
def township(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("township")
    generate(scale="township", seed=SEED, out=out)
    return out


def test_every_rule_is_planted_and_the_truth_is_reproducible(township: Path, tmp_path: Path) -> None:
    truth = pl.read_parquet(township / "consistency_truth.parquet")
    assert set(truth.filter(pl.col("kind") == "planted")["code"]) == set(cc.RULES)
    assert truth.select("household_no", "code").is_duplicated().sum() == 0
    generate(scale="village", seed=SEED, out=tmp_path / "a")
    generate(scale="village", seed=SEED, out=tmp_path / "b")
    for name in ("cases.parquet", "measures.parquet", "consistency_truth.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.django_db
def test_the_checks_find_every_planted_inconsistency_and_nothing_else(township: Path) -> None:
    manifest = read_manifest(township)
    assert manifest is not None and manifest.as_of
    regions_load(pl.read_parquet(township / "regions.parquet"))
    registry_load_directory(township, actor=None, reference="test")
    written = lifecycle_load(township)
    assert written == manifest.cases == MonitoringCase.objects.count()
    assert lifecycle_load(township) == 0  # a second run writes nothing
    assert (
        CaseTransition.objects.filter(to_state=lc.ELIMINATED).count()
        == MonitoringCase.objects.filter(state=lc.ELIMINATED).count()
    )
    monitored = MonitoringCase.objects.filter(state=lc.MONITORING)
    assert Household.objects.exclude(monitoring_category="").count() == monitored.count()
    assert Measure.objects.exists() and HelperAssignment.objects.exists()

    today = dt.date.fromisoformat(manifest.as_of)
    result = cc.consistency_check(today=today)
    numbers = dict(Household.objects.values_list("id", "household_no"))
    from dixian.monitoring.models import ConsistencyFinding

    found = {
        (numbers[hid], code)
        for hid, code in ConsistencyFinding.objects.filter(resolved_at__isnull=True).values_list(
            "household_id", "code"
        )
    }
    truth = pl.read_parquet(township / "consistency_truth.parquet")
    expected = set(truth.select("household_no", "code").iter_rows())
    assert found - expected == set(), "found but not planted"
    assert expected - found == set(), "planted but not found"
    assert sum(result.counts.values()) == truth.height
