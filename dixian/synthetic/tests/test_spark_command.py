"""`dixian screen --backend spark` on the township inputs stores exactly what `--backend duckdb` stores.

The generated township (about 6,000 persons, 13,000 feed rows over the 12 feeds, with the ID damage and
strangers departments send) is loaded, delivered and linked as an operator's deliveries are; the DuckDB run
is rolled back after its results are read, then the Spark run (the test session's local Spark,
docs/scale.md §1) goes through the same command. Alerts, evidence and 应纳未纳 rows are compared row by row.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from dixian.cases.models import Alert, AlertEvidence, UnmatchedRecord
from dixian.feeds.linkage_store import deliveries_link
from dixian.feeds.models import FeedDelivery
from dixian.screening import loading
from dixian.screening.models import ScreeningRun
from dixian.synthetic.generate import generate
from dixian.synthetic.loading import regions_load, registry_load_directory
from dixian.synthetic.quality_db import feeds_deliver

SEED = 20261129


@pytest.fixture(scope="module")
def township(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("township")
    generate(scale="township", seed=SEED, out=out)
    return out


def stored() -> dict[str, list[tuple[object, ...]]]:
    """What a run stored, without ids, times or the run itself."""
    return {
        "alerts": sorted(
            Alert.objects.values_list(
                "household__household_no", "risk_code", "grade", "status", "region_code"
            ),
            key=repr,
        ),
        "evidence": sorted(
            AlertEvidence.objects.values_list(
                "household__household_no",
                "risk_code",
                "grade",
                "reason",
                "rule_version__rule__rule_id",
                "id_number",
                "record_keys",
                "feed",
                "amount",
                "threshold",
            ),
            key=repr,
        ),
        "unmatched": sorted(
            UnmatchedRecord.objects.values_list(
                "feed", "record_key", "name", "id_number", "problem", "reason", "event_date", "region_code"
            ),
            key=repr,
        ),
    }


def screen(backend: str) -> str:
    out = io.StringIO()
    call_command("screen", "--period", "2026-10", "--backend", backend, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_spark_command_stores_what_the_duckdb_command_stores(township: Path, spark, settings) -> None:
    import polars as pl

    settings.DIXIAN_SPARK = {}  # local, every core: the test session's Spark is reused
    regions_load(pl.read_parquet(township / "regions.parquet"))
    registry_load_directory(township, actor=None, reference="spark-command-test")
    feeds_deliver(township, period="2026-10", source=None)
    # Linkage (Splink, the same whichever engine screens) once, before both runs, instead of in each.
    persons = loading.registry_load("2026-10", identity=True)["persons"]
    cols = ["id_number", "name", "sex", "birth_date", "region_code", "household_no"]
    deliveries_link(deliveries=list(FeedDelivery.objects.all()), persons=persons.select(cols))

    with transaction.atomic():
        duck_out = screen("duckdb")
        duck = stored()
        transaction.set_rollback(True)
    assert not Alert.objects.exists() and not ScreeningRun.objects.exists()

    spark_out = screen("spark")

    assert "引擎:spark" in spark_out and "完成" in spark_out
    assert len(duck["alerts"]) >= 200 and duck["unmatched"], "the township must give alerts and 应纳未纳 rows"
    assert stored() == duck
    assert spark_out.split("新增预警")[1].split("\n")[0] == duck_out.split("新增预警")[1].split("\n")[0]
    run = ScreeningRun.objects.get()
    assert (run.backend, run.status) == ("spark", ScreeningRun.Status.DONE)
