"""Reading the registry, links, monitored risks and rules out of the database for the engine."""

from __future__ import annotations

import datetime as dt
from contextlib import closing
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from dixian.cases.models import Alert
from dixian.feeds.models import LinkCandidate
from dixian.registry.models import HouseholdIncome, IncomeLine, Person
from dixian.screening import loading

from .run_fixtures import deliver, head, medical_row


def income(household, year: int, per_capita: str) -> None:
    HouseholdIncome.objects.create(
        household=household,
        year=year,
        members=2,
        net_income=Decimal(per_capita) * 2,
        net_income_per_capita=Decimal(per_capita),
    )


@pytest.mark.django_db
def test_the_registry_is_read_typed_with_household_numbers_and_the_two_latest_income_years(world):
    income(world.home, 2023, "9000.10")
    income(world.home, 2024, "9500.55")  # 2025 comes from the test world
    Person.objects.filter(pk=head(world.home).pk).update(name='欧阳·娜,"小"\'娜')

    registry = loading.registry_load("2026-10", identity=True)

    households = {r["household_no"]: r for r in registry["households"].to_pylist()}
    assert set(households) == {world.home.household_no, world.neighbour.household_no, world.far.household_no}
    assert households[world.home.household_no]["region_code"] == world.village.code
    assert households[world.home.household_no]["monitoring_category"] == ""
    persons = registry["persons"]
    assert persons.schema.field("birth_date").type == pa.date32()
    me = next(p for p in persons.to_pylist() if p["id_number"] == head(world.home).id_number)
    assert me["household_no"] == world.home.household_no
    assert me["name"] == '欧阳·娜,"小"\'娜'
    assert me["birth_date"] == dt.date(1970, 1, 1) and me["sex"] == "male"
    assert persons.num_rows == Person.objects.count()
    incomes = {(r["household_no"], r["year"]): r for r in registry["incomes"].to_pylist()}
    assert (world.home.household_no, 2023) not in incomes
    assert incomes[(world.home.household_no, 2024)]["net_income_per_capita"] == Decimal("9500.55")
    assert incomes[(world.home.household_no, 2025)]["net_income"] == Decimal("23200.00")
    assert registry["incomes"].schema.field("net_income").type == pa.decimal128(18, 2)


@pytest.mark.django_db
def test_a_household_without_the_latest_year_is_read_and_screened_with_its_own_years(world):
    """The registry's latest year is 2025 (the test world); the far household's incomes of 2025 are not
    collected yet: its own latest years are read, and it is screened on them, not on no income."""
    HouseholdIncome.objects.filter(household=world.far).delete()
    income(world.far, 2022, "3100.00")
    income(world.far, 2023, "3000.00")
    income(world.home, 2023, "9000.10")  # home has 2025: its older years stay unread

    registry = loading.registry_load("2026-10")
    years = {(r["household_no"], r["year"]) for r in registry["incomes"].to_pylist()}
    assert {(world.far.household_no, 2022), (world.far.household_no, 2023)} <= years
    assert (world.home.household_no, 2023) not in years
    assert (world.home.household_no, 2025) in years

    from dixian.screening.engine import default_rules, screen

    r12 = [r for r in default_rules() if r.rule_id == "R12"]
    found = screen(registry, {}, r12, "2026-10").alerts.to_pylist()
    [far] = [a for a in found if a["household_no"] == world.far.household_no]
    assert "2023年" in far["reason"]


@pytest.mark.django_db
def test_persons_carry_sex_and_region_only_when_linkage_needs_them(world):
    names = loading.registry_load("2026-10")["persons"].column_names
    assert "sex" not in names and "region_code" not in names


@pytest.mark.django_db(transaction=True)
def test_a_sliced_read_by_several_readers_gives_every_row_once(monkeypatch):
    from dixian.registry.testing import build_world

    world = build_world()
    whole = loading.registry_load("2026-10")["persons"].sort_by("id_number")
    monkeypatch.setattr(loading, "_SQLITE_SLICE", 1)  # one slice per row: many readers' results joined
    sliced = loading.registry_load("2026-10")["persons"].sort_by("id_number")
    assert sliced.equals(whole) and sliced.num_rows == 6
    assert world.home.household_no in sliced.column("household_no").to_pylist()


@pytest.mark.django_db
def test_household_numbers_are_put_on_rows_by_household_key_and_orphans_left_out():
    households = pa.table({"household_pk": [7, 3, 9], "household_no": ["H7", "H3", "H9"]})
    persons = pa.chunked_array([[3, 7, 5], [9, 3]], pa.int64())
    table = pa.table({"household_pk": persons, "name": ["甲", "乙", "丙", "丁", "戊"]})
    out = loading._with_household_no(table, households)
    assert out.to_pylist() == [
        {"household_pk": 3, "name": "甲", "household_no": "H3"},
        {"household_pk": 7, "name": "乙", "household_no": "H7"},
        {"household_pk": 9, "name": "丁", "household_no": "H9"},
        {"household_pk": 3, "name": "戊", "household_no": "H3"},
    ]


def test_confirmed_alerts_are_the_monitored_risks(world):
    for household, status in ((world.home, Alert.Status.CONFIRMED), (world.neighbour, Alert.Status.OPEN)):
        Alert.objects.create(
            household=household,
            region=world.village,
            region_code=household.region_code,
            risk_code="03",
            grade="橙",
            grade_rank=2,
            status=status,
            reason="x",
            raised_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            due_date=dt.date(2026, 1, 8),
            last_evidence_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )
    assert loading.monitored_risks_load().to_pylist() == [
        {"household_no": world.home.household_no, "risk_code": "03"}
    ]


@pytest.mark.django_db
def test_links_that_hold_are_read_with_the_persons_id_number(world):
    person = head(world.home)
    delivery = deliver("medical", [medical_row(None, "JS1", 10, name=person.name)], region=world.county)
    for key, status in (("JS1", "auto"), ("JS2", "accepted"), ("JS3", "pending"), ("JS4", "rejected")):
        LinkCandidate.objects.create(
            delivery=delivery,
            feed="medical",
            record_key=key,
            name=person.name,
            person=person,
            region_code=person.region_code,
            match_probability=0.9,
            status=status,
        )
    links = sorted(loading.links_load().to_pylist(), key=lambda r: r["record_key"])
    assert links == [
        {"feed": "medical", "record_key": "JS1", "id_number": person.id_number},
        {"feed": "medical", "record_key": "JS2", "id_number": person.id_number},
    ]


@pytest.mark.django_db
def test_each_r12_version_screens_with_its_own_income_line(world):
    """The IncomeLine table no longer overrides the line: it is written from R12's versions, and a row put
    there by other means changes nothing a run does (nor the version an alert cites)."""
    IncomeLine.objects.update_or_create(region=None, year=2026, defaults={"amount": Decimal("8600")})
    r12 = next(r for r in loading.rules_load() if r.rule_id == "R12")
    assert r12.version == 1 and r12.params["income_line"]["2026"] == 8500


@pytest.mark.django_db(transaction=True)
def test_the_adbc_read_gives_the_same_tables_as_the_text_read(monkeypatch, tmp_path):
    """Outside a transaction the registry is read through a second (ADBC) connection; both reads must give
    identical typed tables, quotes, separators and cents included."""
    import sqlite3

    from django.db import connection

    from dixian.registry.testing import build_world

    world = build_world()
    income(world.home, 2024, "9500.55")
    me = head(world.home)
    Person.objects.filter(pk=me.pk).update(name='欧阳·娜,"小"\'娜\t|x')
    if connection.vendor == "sqlite":
        # The test database lives in memory, where a second connection would see nothing: read a copy.
        copy = tmp_path / "copy.sqlite3"
        connection.ensure_connection()
        with closing(sqlite3.connect(copy)) as target:
            connection.connection.backup(target)
        monkeypatch.setitem(connection.settings_dict, "NAME", str(copy))
        monkeypatch.setattr(loading, "_adbc_usable", lambda: True)
    assert loading._adbc_usable()
    tables = {
        "households": (loading._HOUSEHOLD_COLUMNS, "FROM registry_household h"),
        "persons": (loading._PERSON_COLUMNS + loading._PERSON_IDENTITY_COLUMNS, "FROM registry_person p"),
        "incomes": (loading._INCOME_COLUMNS, "FROM registry_householdincome i"),
    }
    for name, (columns, from_sql) in tables.items():
        via_adbc = loading.query_arrow(columns, from_sql, adbc=True).sort_by(columns[0][0])
        via_text = loading.query_arrow(columns, from_sql, adbc=False).sort_by(columns[0][0])
        assert via_adbc.schema.equals(via_text.schema), name
        assert sorted(via_adbc.to_pylist(), key=repr) == sorted(via_text.to_pylist(), key=repr), name
    persons = loading.registry_load("2026-10")["persons"].to_pylist()
    assert {p["name"] for p in persons if p["household_no"] == world.home.household_no} >= {
        '欧阳·娜,"小"\'娜\t|x'
    }
    assert all(isinstance(p["birth_date"], dt.date) for p in persons)
    years = loading.query_arrow(
        loading._INCOME_COLUMNS,
        "FROM registry_householdincome i WHERE i.year IN (%s, %s)",
        [2024, 2025],
        adbc=True,
    )
    assert Decimal("9500.55") in years.column("net_income_per_capita").to_pylist()
    assert set(years.column("year").to_pylist()) == {2024, 2025}


def test_the_sqlite_reader_child_reports_what_went_wrong(tmp_path):
    """The child process's error reaches the caller as AdbcReadError with SQLite's own message."""
    import sqlite3

    from dixian.screening import adbc_read

    path = tmp_path / "db.sqlite3"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE t (a INTEGER, b TEXT)")
        db.executemany("INSERT INTO t VALUES (?, ?)", [(1, "甲"), (2, "乙")])
    first, second = adbc_read.read_sqlite(
        str(path), [("SELECT a, b FROM t ORDER BY a", []), ("SELECT 7", [])]
    )
    assert first.to_pydict() == {"a": [1, 2], "b": ["甲", "乙"]} and second.num_rows == 1
    with pytest.raises(adbc_read.AdbcReadError, match="no such table"):
        adbc_read.read_sqlite(str(path), [("SELECT a FROM t", []), ("SELECT x FROM missing", [])])


@pytest.mark.django_db(transaction=True)
def test_the_postgresql_readers_read_one_snapshot(monkeypatch):
    """Each statement has its own connection; a commit after the run's snapshot was taken is seen by none
    of them (households, persons and incomes must agree)."""
    import psycopg
    from django.db import connection

    from dixian.registry.testing import build_world
    from dixian.screening import adbc_read

    if connection.vendor != "postgresql":
        pytest.skip("the snapshot is shared on PostgreSQL; SQLite's reader is tested below")
    world = build_world()
    me = head(world.home)
    conninfo, setup = loading._pg_conninfo()
    export = adbc_read._export_snapshot

    def export_then_rename(anchor):  # noqa: ANN001, ANN202 - the driver's connection
        snapshot = export(anchor)
        with psycopg.connect(conninfo, autocommit=True) as other:
            other.execute("UPDATE registry_person SET name = %s WHERE id = %s", ["改名之后", me.pk])
        return snapshot

    monkeypatch.setattr(adbc_read, "_export_snapshot", export_then_rename)
    names, renamed = adbc_read.read_postgresql(
        conninfo,
        [
            ("SELECT name FROM registry_person WHERE id = $1", [me.pk]),
            ("SELECT count(*) AS n FROM registry_person WHERE name = $1", ["改名之后"]),
        ],
        setup=setup,
    )
    assert names.column("name").to_pylist() == [me.name]
    assert renamed.column("n").to_pylist() == [0]
    me.refresh_from_db()
    assert me.name == "改名之后"  # the write did commit: the readers kept to their snapshot


def _sqlite_file(tmp_path):  # noqa: ANN001, ANN202
    import sqlite3

    path = tmp_path / "db.sqlite3"
    # Closed here, not left to the garbage collector: Python's connection sits in a reference cycle (its
    # statement cache), and closing it later, mid-read, would drop every POSIX lock this process holds on the
    # file, the ADBC reader's too, so a writer elsewhere would take the WAL away under the reader.
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE households (no TEXT)")
        db.execute("CREATE TABLE persons (no TEXT, name TEXT)")
        db.execute("INSERT INTO households VALUES ('H1')")
        db.execute("INSERT INTO persons VALUES ('H1', '甲')")
    return path


READS: list[tuple[str, list[Any]]] = [
    ("SELECT no FROM households ORDER BY no", []),
    ("SELECT no, name FROM persons ORDER BY no", []),
]


WRITE_H2 = """
import sqlite3, sys
with sqlite3.connect(sys.argv[1]) as db:
    db.execute("INSERT INTO households VALUES ('H2')")
    db.execute("INSERT INTO persons VALUES ('H2', '乙')")
"""


def test_the_sqlite_reader_reads_again_in_one_transaction_when_a_write_lands_in_between(
    monkeypatch, tmp_path
):
    """A household and its member committed while the tables were read side by side: the reader notices
    (the data version moved) and reads both again in one transaction, so they agree."""
    import subprocess
    import sys

    from dixian.screening import adbc_read

    path = _sqlite_file(tmp_path)
    side_by_side = adbc_read._read_side_by_side
    calls = []

    def read_then_write(database, statements):  # noqa: ANN001, ANN202
        tables = side_by_side(database, statements)
        calls.append("side_by_side")
        if len(calls) == 1:
            # The write comes from another process, as the web process's writes do in production (the
            # reader is a child process of its own): two SQLite libraries in one process (Python's and
            # the driver's) share POSIX locks and do not always see each other's commits.
            subprocess.run(  # noqa: S603 - this interpreter, a constant script
                [sys.executable, "-c", WRITE_H2, str(path)], check=True, timeout=60
            )
        return tables

    monkeypatch.setattr(adbc_read, "_read_side_by_side", read_then_write)
    households, persons = adbc_read._read_sqlite_here(str(path), READS)
    assert households.column("no").to_pylist() == ["H1", "H2"]
    assert persons.column("no").to_pylist() == ["H1", "H2"]
    assert calls == ["side_by_side"]


def test_the_sqlite_reader_keeps_the_side_by_side_read_when_nothing_was_written(monkeypatch, tmp_path):
    from dixian.screening import adbc_read

    path = _sqlite_file(tmp_path)

    def no_second_read(database, statements):  # noqa: ANN001, ANN202
        raise AssertionError("read again although nothing was written")

    monkeypatch.setattr(adbc_read, "_read_in_one_transaction", no_second_read)
    households, persons = adbc_read._read_sqlite_here(str(path), READS)
    assert households.column("no").to_pylist() == ["H1"]
    assert persons.to_pylist() == [{"no": "H1", "name": "甲"}]
