"""registry_bulk_upsert: the write path shared by the import and the demo loader."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
import time_machine
from django.db import connection, transaction

from dixian.common import sqlite_arrow
from dixian.common.models import ChangeLog
from dixian.common.testing import region
from dixian.registry import bulk
from dixian.registry.bulk import BulkError, registry_bulk_upsert
from dixian.registry.models import Household, HouseholdIncome, Person
from dixian.registry.parsing import parse_id_number
from dixian.registry.tests.workbooks import make_id

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)


@pytest.fixture
def villages():
    city = region("360400000000", "九江市", "city")
    county = region("360424000000", "修水县", "county", city)
    town = region("360424100000", "义宁镇", "township", county)
    return region("360424100201", "良塘村", "village", town), region(
        "360424100202", "桃坪村", "village", town
    )


def frames(village_code="360424100201", *, wages=Decimal("20000"), second_name="张小明"):
    head, child = make_id(dt.date(1970, 3, 1), 1), make_id(dt.date(2014, 5, 6), 2)
    households = pl.DataFrame(
        {
            "household_no": ["H001"],
            "region_code": [village_code],
            "kind": ["ex_poor"],
            "year_out_of_poverty": [2018],
            "monitoring_category": [""],
            "housing_grade": ["C"],
            "water_ok": [True],
            "address": ["一组"],
            "phone": ["13800001111"],
        }
    )
    persons = pl.DataFrame(
        {
            "household_no": ["H001", "H001"],
            "id_number": [head, child],
            "name": ["张大山", second_name],
            "sex": ["male", "female"],
            "birth_date": [dt.date(1970, 3, 1), dt.date(2014, 5, 6)],
            "relation": ["head", "daughter"],
            "health_status": ["chronic", "healthy"],
            "student_status": ["", "dropout"],
            "labour_skill": ["ordinary", "none"],
            "medical_insurance": ["resident", ""],
            "dibao": [False, False],
        }
    )
    incomes = pl.DataFrame(
        {
            "household_no": ["H001"],
            "year": [2025],
            "wages": [wages],
            "business": [Decimal("3000.50")],
            "transfers": [Decimal("0")],
            "production_costs": [Decimal("1000")],
        }
    )
    return households, persons, incomes


def upsert(h, p, i, **kw):
    return registry_bulk_upsert(
        households=h, persons=p, incomes=i, actor=None, source="import", reference="t", today=TODAY, **kw
    )


def test_first_upsert_creates_records_with_derived_facts(villages):
    result = upsert(*frames())
    assert (result.households_created, result.persons_created, result.incomes_created) == (1, 2, 1)
    h = Household.objects.get(household_no="H001")
    assert h.region == villages[0] and h.member_count == 2 and h.head_name == "张大山"
    assert h.has_illness and not h.has_disability
    assert not h.education_ok and not h.medical_ok and not h.housing_ok
    income = HouseholdIncome.objects.get(household=h, year=2025)
    net, per = HouseholdIncome.compute(
        wages=Decimal("20000"),
        business=Decimal("3000.50"),
        property=Decimal("0"),
        transfers=Decimal("0"),
        production_costs=Decimal("1000"),
        members=2,
    )
    assert (income.members, income.net_income, income.net_income_per_capita) == (2, net, per)
    assert ChangeLog.objects.filter(action="create").count() == 3  # one household, two persons
    assert not ChangeLog.objects.filter(household_id__isnull=True).exists()


def test_unchanged_second_upsert_writes_nothing(villages):
    upsert(*frames())
    before = list(Person.objects.values_list("id", "updated_at").order_by("id"))
    result = upsert(*frames())
    assert (
        result.households_updated,
        result.persons_updated,
        result.incomes_updated,
        result.changes_logged,
    ) == (0, 0, 0, 0)
    assert list(Person.objects.values_list("id", "updated_at").order_by("id")) == before
    assert Person.objects.count() == 2 and Household.objects.count() == 1 and ChangeLog.objects.count() == 3


def test_changed_field_logs_a_diff(villages):
    upsert(*frames())
    result = upsert(*frames(wages=Decimal("21000"), second_name="张小梅"))
    assert result.persons_updated == 1 and result.incomes_updated == 1
    log = ChangeLog.objects.get(entity="person", action="update")
    assert log.changes == {"name": ["张小明", "张小梅"]}
    income_log = ChangeLog.objects.get(entity="income", action="update")
    assert income_log.changes["wages"] == ["20000.00", "21000.00"]
    assert Person.objects.filter(name="张小梅").exists()


def test_person_moves_to_another_household(villages):
    upsert(*frames())
    child = Person.objects.get(relation="daughter")
    h2 = pl.DataFrame({"household_no": ["H002"], "region_code": ["360424100202"], "kind": ["ordinary"]})
    p2 = pl.DataFrame(
        {
            "household_no": ["H002", "H002"],
            "id_number": [make_id(dt.date(1990, 1, 1), 7), child.id_number],
            "name": ["李四", "张小明"],
            "sex": ["male", "female"],
            "birth_date": [dt.date(1990, 1, 1), dt.date(2014, 5, 6)],
            "relation": ["head", "other"],
            "labour_skill": ["ordinary", "none"],
        }
    )
    result = upsert(
        h2,
        p2,
        pl.DataFrame({"household_no": [], "year": []}, schema={"household_no": pl.String, "year": pl.Int64}),
    )
    assert result.persons_moved == 1
    child.refresh_from_db()
    new_home = Household.objects.get(household_no="H002")
    old_home = Household.objects.get(household_no="H001")
    assert child.household == new_home and child.region_code == "360424100202"
    assert old_home.member_count == 1 and new_home.member_count == 2
    moves = ChangeLog.objects.filter(action="move", entity_id=child.pk)
    assert {m.household_id for m in moves} == {old_home.pk, new_home.pk}
    assert moves.first().changes["household_no"] == ["H001", "H002"]
    assert ChangeLog.objects.filter(entity="household", household_id=old_home.pk, action="update").exists()
    # One creation each: the moved child was created by the first upsert, not again by this one.
    created = ChangeLog.objects.filter(entity="person", action="create")
    assert created.count() == 3 and created.filter(entity_id=child.pk).count() == 1


def test_unknown_region_writes_nothing(villages):
    with pytest.raises(BulkError) as info:
        upsert(*frames(village_code="360424999999"))
    assert "360424999999" in str(info.value)
    assert not Household.objects.exists() and not ChangeLog.objects.exists()


def test_scope_forbids_households_outside(villages):
    upsert(*frames())
    with pytest.raises(BulkError) as info:
        upsert(*frames(), scope_prefix="360428")
    assert "您的管辖范围外" in str(info.value)


def test_make_id_is_valid():
    assert parse_id_number(make_id(dt.date(1970, 3, 1), 1)).sex == "male"


def test_members_and_incomes_of_unknown_households_are_named_in_frame_order(villages):
    upsert(*frames())  # H001 is now in the database
    households, persons, incomes = frames()
    stranger, lodger = make_id(dt.date(1980, 1, 2), 3), make_id(dt.date(1990, 4, 5), 4)
    homeless = make_id(dt.date(1985, 7, 8), 5)
    persons = pl.concat(
        [
            persons.head(1).with_columns(
                pl.lit("H404").alias("household_no"), pl.lit(stranger).alias("id_number")
            ),
            persons.head(1).with_columns(
                pl.lit("H001").alias("household_no"), pl.lit(lodger).alias("id_number")
            ),
            persons.head(1).with_columns(pl.lit("H405").alias("household_no")),
            # No household number at all: no household goes by it either.
            persons.head(1).with_columns(
                pl.lit(None, pl.String).alias("household_no"), pl.lit(homeless).alias("id_number")
            ),
        ]
    )
    incomes = pl.concat([incomes, incomes.with_columns(pl.lit("H406").alias("household_no"))])
    # Only the persons and incomes frames: H001 is known from the database, not from the file.
    with pytest.raises(BulkError) as info:
        upsert(households.head(0), persons, incomes)
    found = [(p.entity, p.key) for p in info.value.problems if "既不在" in p.message or "找不到" in p.message]
    head = frames()[1].get_column("id_number")[0]
    assert found == [("person", stranger), ("person", head), ("person", homeless), ("income", "H406/2025")]
    assert Person.objects.count() == 2 and not Person.objects.filter(id_number=lodger).exists()


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the Arrow path is SQLite's (common/sqlite_arrow.py)"
)
@time_machine.travel(dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC), tick=False)
def test_sqlite_rows_through_arrow_are_stored_as_through_executemany(villages, monkeypatch):
    """Every table the upsert writes holds the same rows, values and SQLite types on both paths."""
    tables = [m._meta.db_table for m in (Household, Person, HouseholdIncome, ChangeLog)]

    def stored() -> dict[str, list[tuple]]:
        out = {}
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"PRAGMA table_info({table})")
                cells = ", ".join(f'"{r[1]}", typeof("{r[1]}")' for r in cursor.fetchall())
                cursor.execute(f"SELECT {cells} FROM {table} ORDER BY id")  # noqa: S608 - model tables
                out[table] = cursor.fetchall()
        return out

    class Undo(Exception):
        pass

    def run(min_rows: int) -> dict[str, list[tuple]]:
        monkeypatch.setattr(bulk, "ARROW_MIN_ROWS", min_rows)
        try:
            with transaction.atomic():
                upsert(*frames())
                upsert(*frames("360424100202", wages=Decimal("21000.10"), second_name="张小梅"))
                snapshot = stored()
                raise Undo
        except Undo:
            return snapshot

    plain, arrow = run(10**9), run(1)
    assert all(plain[t] for t in tables)
    assert arrow == plain


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the Arrow path is SQLite's (common/sqlite_arrow.py)"
)
def test_sqlite_rows_are_bound_one_by_one_when_no_scratch_database_can_be_made(villages, monkeypatch):
    def full_disk(frame, *, near=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bulk, "ARROW_MIN_ROWS", 1)
    monkeypatch.setattr(sqlite_arrow, "image", full_disk)
    result = upsert(*frames())
    assert (result.households_created, result.persons_created, result.incomes_created) == (1, 2, 1)
    assert Person.objects.count() == 2 and ChangeLog.objects.filter(action="create").count() == 3
