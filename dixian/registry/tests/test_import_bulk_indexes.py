"""registry_bulk_upsert drops and rebuilds the secondary indexes of a table it mostly fills (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

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


@pytest.fixture
def rebuilt(monkeypatch) -> list[str]:
    """The statements `_rebuild_indexes` runs, in order."""
    statements: list[str] = []
    rebuild = bulk._Db._rebuild_indexes

    def spy(self, sql):
        statements.extend(sql)
        return rebuild(self, sql)

    monkeypatch.setattr(bulk._Db, "_rebuild_indexes", spy)
    return statements


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


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the lock wait of DROP INDEX is PostgreSQL's")
def test_postgresql_keeps_the_indexes_of_a_table_someone_is_reading(villages, eager, monkeypatch):  # noqa: F811
    """A reader holding the person table: DROP INDEX is not granted within LOCK_WAIT, the savepoint is
    rolled back and the COPY maintains the indexes; the other tables still get theirs rebuilt."""
    import psycopg

    monkeypatch.setattr(bulk, "LOCK_WAIT", "100ms")
    dropped: dict[str, list[str]] = {}
    drop = bulk._Db._drop_indexes_postgresql

    def spy(self, table):
        dropped[table] = drop(self, table)
        return dropped[table]

    monkeypatch.setattr(bulk._Db, "_drop_indexes_postgresql", spy)
    before = index_definitions()
    s = connection.settings_dict
    reader = psycopg.connect(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"], port=s["PORT"], password=s["PASSWORD"]
    )
    try:
        reader.execute("SELECT count(*) FROM registry_person")  # holds ACCESS SHARE until rollback
        result = upsert(*frames())
        assert result.persons_created == 2
        with connection.cursor() as cur:
            cur.execute("SHOW lock_timeout")
            assert cur.fetchone()[0] == "0"  # restored
    finally:
        reader.rollback()
        reader.close()
    assert dropped[Person._meta.db_table] == []
    assert dropped[Household._meta.db_table]  # not read by anyone: dropped and rebuilt
    assert index_definitions() == before


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="foreign keys are dropped and added back on PostgreSQL"
)
def test_postgresql_adds_the_foreign_keys_back_and_they_hold(villages, eager, rebuilt):  # noqa: F811
    """The keys to the household table are dropped with the indexes and added back after the COPY (one
    join instead of a trigger per row): same definition, validated, deferrable, and enforced after."""

    def keys():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated, "
                "condeferrable, condeferred FROM pg_constraint WHERE contype = 'f' "
                "AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
                [TABLES],
            )
            return cur.fetchall()

    before = keys()
    assert any(table == Person._meta.db_table and "registry_household" in d for table, _, d, *_ in before)
    result = upsert(*frames())
    assert result.persons_created == 2
    assert any(f"ALTER TABLE {Person._meta.db_table} ADD CONSTRAINT" in sql for sql in rebuilt)
    assert not any("accounts_user" in sql or "regions_region" in sql for sql in rebuilt)
    assert keys() == before
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute(
            "UPDATE registry_person SET household_id = -1 WHERE id = (SELECT min(id) FROM registry_person)"
        )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="foreign keys are dropped and added back on PostgreSQL"
)
def test_postgresql_keeps_the_foreign_keys_to_a_table_it_does_not_hold(villages, eager, monkeypatch):  # noqa: F811
    """A reader holds the household table: its indexes stay, so the person table's key to it stays too
    (dropping the key would lock the household table for the rest of the import)."""
    import psycopg

    monkeypatch.setattr(bulk, "LOCK_WAIT", "100ms")
    dropped: dict[str, list[str]] = {}
    drop = bulk._Db._drop_indexes_postgresql

    def spy(self, table):
        dropped[table] = drop(self, table)
        return dropped[table]

    monkeypatch.setattr(bulk._Db, "_drop_indexes_postgresql", spy)
    s = connection.settings_dict
    reader = psycopg.connect(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"], port=s["PORT"], password=s["PASSWORD"]
    )
    try:
        reader.execute("SELECT count(*) FROM registry_household")  # holds ACCESS SHARE until rollback
        assert upsert(*frames()).persons_created == 2
    finally:
        reader.rollback()
        reader.close()
    assert dropped[Household._meta.db_table] == []
    assert dropped[Person._meta.db_table]  # its indexes, not its key
    assert not any("FOREIGN KEY" in sql for sql in dropped[Person._meta.db_table])


def test_person_region_code_has_one_plain_index():
    """Scoping matches a person's region_code by range (common.access.region_range_q), never with LIKE:
    one plain B-tree, no varchar_pattern_ops twin on PostgreSQL (migration 0007)."""
    with connection.cursor() as cur:
        constraints = connection.introspection.get_constraints(cur, Person._meta.db_table)
        on_region = {
            name: c for name, c in constraints.items() if c["index"] and c["columns"] == ["region_code"]
        }
        assert list(on_region) == ["person_region_code"]
        if connection.vendor == "postgresql":
            cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'person_region_code'")
            assert "pattern_ops" not in cur.fetchone()[0]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="unique constraints are dropped and added back on PostgreSQL"
)
def test_postgresql_adds_the_unique_constraints_back_and_they_hold(villages, eager, rebuilt):  # noqa: F811
    """The persons' unique ID number goes with the indexes and comes back with the same name and definition,
    and holds afterwards."""
    before = index_definitions()
    upsert(*frames())
    assert any(
        f"ALTER TABLE {Person._meta.db_table} ADD CONSTRAINT" in sql and "UNIQUE (id_number)" in sql
        for sql in rebuilt
    )
    assert index_definitions() == before
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE registry_person SET id_number = (SELECT min(id_number) FROM registry_person) "
            "WHERE id_number <> (SELECT min(id_number) FROM registry_person)"
        )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="unique constraints are dropped and added back on PostgreSQL"
)
def test_postgresql_refuses_a_duplicate_when_the_unique_constraint_comes_back(villages, eager, monkeypatch):  # noqa: F811
    """A duplicate that got past the frames' check is refused when the constraint is added back, naming the
    key, and nothing is written."""
    before = index_definitions()
    monkeypatch.setattr(bulk, "_check_frames", lambda *frames: [])
    h, p, i = frames()
    twin = p.with_columns(
        p.get_column("id_number").head(1).extend_constant(p["id_number"][0], 1).alias("id_number")
    )
    with pytest.raises(Exception) as refused, transaction.atomic():  # noqa: PT011 - psycopg's own error
        upsert(h, twin, i)
    assert getattr(refused.value, "sqlstate", None) == "23505"  # unique_violation, naming the key
    # Refused where the constraint is built again (the COPY itself would also have refused, with another message).
    assert "could not create unique index" in str(refused.value) and "id_number" in str(refused.value)
    assert not Person.objects.exists()
    assert index_definitions() == before


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="unique constraints are dropped and added back on PostgreSQL"
)
def test_postgresql_drops_the_constraints_of_a_table_with_pending_key_checks(villages, eager):  # noqa: F811
    """Rows deleted earlier in the same transaction leave deferred key checks pending, which ALTER TABLE
    refuses: they run first, and the load goes through."""
    upsert(*frames())
    with transaction.atomic():
        ChangeLog.objects.all().delete()
        HouseholdIncome.objects.all().delete()
        Person.objects.all().delete()
        Household.objects.all().delete()
        assert upsert(*frames()).persons_created == 2
    assert Person.objects.count() == 2
