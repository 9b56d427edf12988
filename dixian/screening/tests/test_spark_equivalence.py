"""The same rule set on Spark and on DuckDB over the same data must give identical results."""

from __future__ import annotations

from dixian.screening.engine import default_rules, screen

from .data import every_rule_world


def test_every_rule_gives_identical_alerts_on_spark_and_duckdb(spark) -> None:
    registry, feeds, monitored, links = every_rule_world()
    kwargs = {"monitored_risks": monitored, "links": links}
    duck = screen(registry, feeds, default_rules(), "2026-10", backend="duckdb", **kwargs)
    fired = {e["rule_id"] for a in duck.alerts.to_pylist() for e in a["evidence"]}
    fired |= set(duck.case_evidence.column("rule_id").to_pylist())
    assert fired == {r.rule_id for r in default_rules()}, "the data must exercise every rule"
    assert duck.unmatched.num_rows > 0 and duck.case_evidence.num_rows > 0

    on_spark = screen(registry, feeds, default_rules(), "2026-10", backend="spark", spark=spark, **kwargs)

    assert on_spark.rules_run == duck.rules_run
    assert on_spark.alerts.schema == duck.alerts.schema
    assert on_spark.alerts.to_pylist() == duck.alerts.to_pylist()
    assert on_spark.unmatched.to_pylist() == duck.unmatched.to_pylist()
    assert on_spark.case_evidence.to_pylist() == duck.case_evidence.to_pylist()
