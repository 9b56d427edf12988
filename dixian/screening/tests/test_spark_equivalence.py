"""The same rule set on Spark and on DuckDB over the same data must give identical results."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from dixian.screening.engine import default_rules, screen

from .data import every_rule_world, feed, id_number


def test_every_rule_gives_identical_alerts_on_spark_and_duckdb(spark) -> None:
    registry, feeds, monitored, links = every_rule_world()
    # This period's delivery also holds a settlement before R01's window, of a person the registry lacks.
    older = feed(
        "medical",
        [
            {
                "settlement_no": "JS-OLD",
                "name": "外人",
                "id_number": " " + id_number(date(1990, 1, 1), 998) + " ",
                "visit_type": "住院",
                "settlement_date": date(2025, 3, 1),
                "total_cost": 100,
                "out_of_pocket": 50,
            }
        ],
    )
    feeds = {**feeds, "medical": pl.concat([feeds["medical"], older], how="diagonal_relaxed")}
    kwargs: dict[str, Any] = {
        "monitored_risks": monitored,
        "links": links,
        "period_feeds": {"medical": older},
    }
    duck = screen(registry, feeds, default_rules(), "2026-10", backend="duckdb", **kwargs)
    fired = {e["rule_id"] for a in duck.alerts.to_pylist() for e in a["evidence"]}
    fired |= set(duck.case_evidence.column("rule_id").to_pylist())
    assert fired == {r.rule_id for r in default_rules()}, "the data must exercise every rule"
    assert duck.unmatched.num_rows > 0 and duck.case_evidence.num_rows > 0
    assert "JS-OLD" in duck.unmatched.column("record_key").to_pylist()

    on_spark = screen(registry, feeds, default_rules(), "2026-10", backend="spark", spark=spark, **kwargs)

    assert on_spark.rules_run == duck.rules_run
    assert on_spark.alerts.schema == duck.alerts.schema
    assert on_spark.alerts.to_pylist() == duck.alerts.to_pylist()
    assert on_spark.unmatched.to_pylist() == duck.unmatched.to_pylist()
    assert on_spark.case_evidence.to_pylist() == duck.case_evidence.to_pylist()


def test_one_spark_backend_screens_twice(spark, monkeypatch) -> None:
    """close() forgets the run's views and staging directory: an incremental run screens each part with the
    same backend, and the second part must not write into the first part's deleted directory."""
    from dixian.screening.engine import backends

    monkeypatch.setattr(backends, "SPARK_STAGE_ROWS", 0)  # every in-memory input staged as Parquet
    registry, feeds, monitored, links = every_rule_world()
    be = backends.SparkBackend(spark)
    kwargs: dict[str, Any] = {"monitored_risks": monitored, "links": links}
    first = screen(registry, feeds, default_rules(), "2026-10", backend=be, **kwargs)
    assert be._staging is None and not be._views
    second = screen(registry, feeds, default_rules(), "2026-10", backend=be, **kwargs)
    assert first.alerts.num_rows > 0
    assert second.alerts.to_pylist() == first.alerts.to_pylist()


def test_staging_removes_only_dixians_own_leftovers_older_than_a_day(tmp_path) -> None:
    import os
    import time

    import pyarrow as pa

    from dixian.screening.engine.backends import STAGING_PREFIX, SparkBackend

    stale, fresh = tmp_path / f"{STAGING_PREFIX}killed", tmp_path / f"{STAGING_PREFIX}running"
    other = tmp_path / "someone-elses-old-dir"
    for path in (stale, fresh, other):
        path.mkdir()
        (path / "persons.parquet").write_bytes(b"x")
    two_days_ago = time.time() - 2 * 24 * 3600
    for path in (stale, other):
        os.utime(path, (two_days_ago, two_days_ago))

    be = SparkBackend(object(), staging_dir=tmp_path)  # staging needs no session
    written = Path(be._staged("persons", pa.table({"a": [1]})))

    assert not stale.exists() and fresh.exists() and other.exists()
    assert written.parent.name.startswith(STAGING_PREFIX) and written.exists()
    assert written.parent.stat().st_mode & 0o777 == 0o750  # the executors' group reads it
    be.close()
    assert not written.parent.exists()


def test_parquet_files_are_numbered_as_duckdb_numbers_them(spark, tmp_path) -> None:
    """One multi-path scan per schema: each row's file index found from Spark's file path (a name with
    spaces, '%', '#' and Chinese), the same row numbers as DuckDB's, a file named twice read twice."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dixian.screening.engine.backends import DuckDBBackend, SparkBackend

    folder = tmp_path / "交付 a%b#"
    folder.mkdir()
    paths = []
    for i in range(5):
        columns: dict[str, Any] = {"k": [f"r{i}-{j}" for j in range(i + 1)]}
        if i % 2:
            columns["extra"] = [f"e{i}"] * (i + 1)  # an optional column some deliveries have
        paths.append(folder / f"第{i} 批#.parquet")
        pq.write_table(pa.table(columns), paths[-1])
    paths.append(paths[1])
    sql = "SELECT k, extra, _row FROM t ORDER BY _row"
    duck, on_spark = DuckDBBackend(), SparkBackend(spark)
    try:
        for be in (duck, on_spark):
            be.register("t", paths, row_numbers=True)
        expected = duck.fetch(sql).to_pylist()
        assert len(expected) == 1 + 2 + 3 + 4 + 5 + 2
        assert on_spark.fetch(sql).to_pylist() == expected
        # Three scans (two schemas, one file named twice), not one per file.
        plan = spark.table("t")._jdf.queryExecution().analyzed().toString()
        assert plan.count("Relation [") == 3, plan
    finally:
        duck.close()
        on_spark.close()
