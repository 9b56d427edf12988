"""Migration 0007: the indexes a screening run would write for nothing are gone, the ones pages and deletions
read are there, on SQLite and PostgreSQL alike, forwards and backwards, without rebuilding a table."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Model

from dixian.cases.models import Alert, AlertEvidence, UnmatchedRecord

BEFORE = ("cases", "0006_lineage_keys_unconstrained")
AFTER = ("cases", "0007_index_only_what_is_read")


def _indexes() -> dict[str, dict[tuple[str, ...], int]]:
    """Per table: how many non-unique indexes cover exactly these columns."""
    found: dict[str, dict[tuple[str, ...], int]] = {}
    with connection.cursor() as cursor:
        for model in (Alert, AlertEvidence, UnmatchedRecord):
            table = model._meta.db_table
            counts: dict[tuple[str, ...], int] = {}
            for info in connection.introspection.get_constraints(cursor, table).values():
                if info["index"] and not info["unique"] and not info["primary_key"]:
                    key = tuple(info["columns"])
                    counts[key] = counts.get(key, 0) + 1
            found[table] = counts
    return found


def _names(model: type[Model]) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, model._meta.db_table))


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


def _migrate_to_latest() -> None:
    # Every app's latest, not only cases': migrating cases back unapplies the apps that depend on it
    # (monitoring), whose tables the tests after this one need.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_migration_0007_drops_the_unread_indexes_and_gives_them_back() -> None:
    alert, evidence, unmatched = (m._meta.db_table for m in (Alert, AlertEvidence, UnmatchedRecord))
    pattern_indexes = 2 if connection.vendor == "postgresql" else 1  # plain + varchar_pattern_ops
    try:
        _migrate(BEFORE)
        old = _indexes()
        assert old[alert][("region_code",)] == pattern_indexes
        assert old[unmatched][("region_code",)] == pattern_indexes
        assert old[alert][("closed_by_id",)] == 1
        assert old[evidence][("declaration_id",)] == 1 and old[evidence][("visit_id",)] == 1

        _migrate(AFTER)
        new = _indexes()
        # alert_queue (region_code, status, grade_rank, due_date) serves the range scans by region.
        assert ("region_code",) not in new[alert]
        assert ("region_code", "status", "grade_rank", "due_date") in new[alert]
        assert new[unmatched][("region_code",)] == 1
        assert {"alert_closed_by"} <= _names(Alert)
        assert {"unmatched_region", "unmatched_closed_by"} <= _names(UnmatchedRecord)
        assert {"evidence_declaration", "evidence_visit"} <= _names(AlertEvidence)
        for table, column in ((alert, "closed_by_id"), (evidence, "declaration_id"), (evidence, "visit_id")):
            assert new[table][(column,)] == 1, (table, column)

        _migrate(BEFORE)
        assert _indexes() == old
    finally:
        _migrate_to_latest()
    assert _indexes() == new


@pytest.mark.django_db
def test_the_partial_indexes_serve_a_lookup_by_a_closing_user() -> None:
    """SQLite and PostgreSQL both use an index `WHERE closed_by_id IS NOT NULL` for `closed_by_id = 5`
    (what deleting an account asks): the plan names the index."""
    sql, params = Alert.objects.filter(closed_by_id=5).only("id").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "alert_closed_by" in plan
