"""The screening of generated feeds against their ground truth: recall, precision, 应纳未纳 coverage.

A township (about 6,000 persons, 13,000 feed rows, 60 injected events) goes through the real path: the
engine and probabilistic linkage on the generated files, and once more through the database (delivery
service, screening run, stored alerts). A bar that fails fails the test.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import polars as pl
import pytest
from django.core.management import CommandError, call_command

from dixian.domain import catalogue
from dixian.feeds import ingest
from dixian.synthetic.feeds import DAMAGES, damage_id
from dixian.synthetic.generate import generate
from dixian.synthetic.quality import evaluate, quality_direct

SEED = 20261129


@pytest.fixture(scope="module")
def township(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("township")
    generate(scale="township", seed=SEED, out=out)
    return out


def assert_bars(report) -> None:
    text = report.text_zh()
    assert report.id_recall.value == 1.0, text
    assert report.linkage_recall.value >= 0.95, text
    assert report.precision.value >= 0.95, text
    assert report.unmatched_coverage.value == 1.0, text
    assert report.passed


def test_ground_truth_covers_every_rule_every_id_damage_and_strangers(township: Path) -> None:
    truth = pl.read_parquet(township / "ground_truth.parquet")
    events = truth.filter(pl.col("kind") == "event")
    assert set(events["rule_id"]) == {f"R{i:02d}" for i in range(1, 18)} - {"R12", "R13"}
    assert set(events["id_damage"]) == set(DAMAGES)
    assert truth.filter(pl.col("kind") == "registry")["rule_id"].unique().sort().to_list() == ["R12", "R13"]
    strangers = truth.filter(pl.col("kind") == "not_in_registry")
    assert strangers.height >= 10 and strangers["household_no"].null_count() == strangers.height
    registered = set(pl.read_parquet(township / "persons.parquet")["id_number"])
    assert not set(strangers["id_number"].drop_nulls()) & registered


def test_feeds_carry_the_departments_headers_and_total_more_rows_than_persons(township: Path) -> None:
    persons = pl.read_parquet(township / "persons.parquet").height
    total = 0
    for spec in catalogue.FEEDS:
        frame = pl.read_parquet(township / "feeds" / f"{spec.code}.parquet")
        mapping = catalogue.header_map(spec.code, frame.columns)  # raises when a required header is missing
        assert set(mapping.values()) >= set(spec.required_fields)
        assert all(not h.isascii() for h in frame.columns), frame.columns  # Chinese headers, as sent
        csv = (township / "feeds" / f"{spec.code}.csv").read_bytes()
        assert csv.startswith("\ufeff".encode()) and csv.count(b"\n") == frame.height + 1
        # Both files pass the delivery check whole, as an upload (CSV) and as a table (Parquet).
        for raw in (ingest.read_delivery(spec.code, csv, f"{spec.code}.csv"), ingest.read_table(frame)):
            checked = ingest.check(spec, raw, today=dt.date(2026, 11, 29))
            assert checked.ok and checked.rows_read == frame.height, (spec.code, checked.errors[:3])
        total += frame.height
    assert total >= 2 * persons


def test_id_damage_is_what_departments_send() -> None:
    import numpy as np

    number = "360424198001011234"
    unused = np.random.default_rng(0)  # these kinds draw nothing
    assert damage_id(number, "scientific", unused) == "3.60424E+17"
    assert damage_id(number, "id15", unused) == "360424800101123"
    assert damage_id(number, "fullwidth", unused) == "３６０４２４１９８００１０１１２３４"
    assert damage_id(number, "spaces", unused) == "360424 19800101 1234"
    assert damage_id(number, "missing", unused) is None
    typo = damage_id(number, "mistyped", np.random.default_rng(1))
    assert typo is not None
    assert len(typo) == 18 and sum(a != b for a, b in zip(typo, number, strict=True)) == 1 and typo[17] == "4"


def test_engine_and_linkage_meet_the_quality_bars(township: Path) -> None:
    report = quality_direct(township)
    assert report.id_recall.total >= 40 and report.linkage_recall.total >= 10
    assert report.registry_recall.value == 1.0
    assert_bars(report)


def test_a_missed_event_or_a_stray_alert_fails_the_check(township: Path) -> None:
    truth = pl.read_parquet(township / "ground_truth.parquet")
    expected = truth.filter(pl.col("kind") != "not_in_registry")
    perfect = expected.group_by("household_no", "risk_code").agg(pl.col("rule_id").unique().alias("rule_ids"))
    strangers = truth.filter(pl.col("kind") == "not_in_registry").select(
        "feed", "name", "id_number", "event_date"
    )
    report = evaluate(truth, alerts=perfect, unmatched=strangers, period="2026-10", path="engine")
    assert report.passed and report.precision.value == 1.0

    clean = expected.filter((pl.col("kind") == "event") & (pl.col("id_damage") == "none")).row(0, named=True)
    missing_one = perfect.filter(
        ~((pl.col("household_no") == clean["household_no"]) & (pl.col("risk_code") == clean["risk_code"]))
    )
    assert not evaluate(
        truth, alerts=missing_one, unmatched=strangers, period="2026-10", path="engine"
    ).passed

    stray = pl.concat(
        [
            perfect,
            perfect.head(1).with_columns(pl.lit("05").alias("risk_code"), pl.lit(["R99"]).alias("rule_ids")),
        ]
    )
    strays = pl.concat(
        [stray] + [stray.head(1).with_columns(pl.lit(f"X{i}").alias("risk_code")) for i in range(60)]
    )
    result = evaluate(truth, alerts=strays, unmatched=strangers, period="2026-10", path="engine")
    assert result.precision.value < 0.95 and not result.passed

    result = evaluate(truth, alerts=perfect, unmatched=strangers.head(2), period="2026-10", path="engine")
    assert result.unmatched_coverage.value < 1 and not result.passed


def test_the_command_reports_in_chinese_and_json_and_fails_on_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="不是完整的生成数据目录"):
        call_command("screening_quality", "--data", str(tmp_path), stdout=StringIO())


@pytest.mark.django_db(transaction=False)
def test_through_the_database_the_stored_alerts_meet_the_bars(township: Path) -> None:
    out = StringIO()
    json_path = township / "quality.json"
    try:
        call_command(
            "screening_quality",
            "--data",
            str(township),
            "--through-database",
            "--json",
            str(json_path),
            stdout=out,
        )
    finally:
        print(out.getvalue())
    import json

    from dixian.cases.models import Alert

    assert Alert.objects.count() >= 200

    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["passed"] and data["path"] == "database"
    assert "证件号码可直接匹配的事件召回率" in out.getvalue()
