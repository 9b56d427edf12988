"""registry_bulk_upsert on SQLite drops and rebuilds the secondary indexes of a table it mostly fills."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from dixian.common.models import ChangeLog
from dixian.registry import bulk
from dixian.registry.models import Household, HouseholdIncome, Person
from dixian.registry.tests.test_import_bulk import frames, upsert, villages  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

TABLES = [m._meta.db_table for m in (Household, Person, HouseholdIncome, ChangeLog)]


def index_definitions() -> dict[str, object]:
    """Every index of the registry tables: its SQL on SQLite, its introspected definition elsewhere."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN (%s, %s, %s, %s)",
                TABLES,
            )
            return dict(cur.fetchall())
        return {
            f"{table}.{name}": (c["columns"], c["unique"], c["index"])
            for table in TABLES
            for name, c in connection.introspection.get_constraints(cur, table).items()
        }


@pytest.fixture
def eager(monkeypatch):
    monkeypatch.setattr(bulk, "DEFERRED_INDEX_ROWS", 1)


def test_indexes_are_rebuilt_after_a_first_upsert(villages, eager):  # noqa: F811
    before = index_definitions()
    assert any("person_phone" in name for name in before)
    result = upsert(*frames())
    assert result.persons_created == 2
    assert index_definitions() == before
    assert Person.objects.filter(phone="").count() == 2  # served by the rebuilt index on SQLite


def test_indexes_come_back_when_the_upsert_fails(villages, eager, monkeypatch):  # noqa: F811
    before = index_definitions()

    def boom(*args, **kwargs):
        raise RuntimeError("after the persons were written")

    monkeypatch.setattr(bulk, "_write_incomes", boom)
    with pytest.raises(RuntimeError), transaction.atomic():
        upsert(*frames())
    assert index_definitions() == before
    assert not Person.objects.exists()
