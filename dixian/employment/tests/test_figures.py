"""The employment figures (docs/domain.md §23 "Figures"), with numbers worked out by hand on the small world
of figures_world.py: roll, coverage, employed, base year and ratio, previous year, tiers and channels, the
table by child unit with its 本级 row, the falling townships, the trend, and the query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dixian.domain import employment as e
from dixian.employment.figures import latest_month, percent, region_report, trend
from dixian.employment.models import EmploymentPolicy
from dixian.employment.tests.figures_world import BASE, MONTH, PREVIOUS, YEAR_AGO, build_figures_world, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def fw(world):
    return build_figures_world(world)


def test_percent_rounds_half_up_and_has_no_value_over_nothing():
    assert percent(129678, 129639) == Decimal("100.03")
    assert percent(1, 8) == Decimal("12.50")
    assert percent(1, 800) == Decimal("0.13")  # 0.125 rounds up
    assert percent(5, 0) is None
    assert percent(0, 3) == Decimal("0.00")


def test_city_figures(fw):
    r = region_report(fw.world.city, MONTH)
    t = r.total
    assert r.base_year == 2022
    assert (r.months.base, r.months.previous_month, r.months.previous_year) == (BASE, PREVIOUS, YEAR_AGO)
    assert t.roll == 16
    assert t.records == 13
    assert t.coverage == Decimal("81.25")
    assert t.employed == 9
    assert t.base.employed == 8
    assert t.base_ratio == Decimal("112.50")
    assert t.previous_year.employed == 2
    assert t.previous_year.records == 3
    assert t.previous_year_ratio == Decimal("450.00")
    assert t.previous_month.employed == 11
    assert t.change_from_previous_month == -2
    assert t.month.by_tier == {e.IN_COUNTY: 6, e.IN_PROVINCE: 1, e.OUT_OF_PROVINCE: 1, e.ABROAD: 1}
    assert t.month.by_channel == {e.SELF: 5, e.LABOUR_EXPORT: 2, e.WORKSHOP: 1, e.PUBLIC_POST: 1}
    assert t.base.by_tier == {e.IN_COUNTY: 7, e.OUT_OF_PROVINCE: 1}
    assert t.base.by_channel == {e.SELF: 7, e.LABOUR_EXPORT: 1}


def test_table_by_county_and_falling_townships(fw):
    w = fw.world
    r = region_report(w.city, MONTH)
    assert [row.label for row in r.rows] == ["修水县", "都昌县"]
    xiushui, duchang = (row.figures for row in r.rows)
    assert (xiushui.roll, xiushui.records, xiushui.employed, xiushui.base.employed) == (13, 11, 7, 6)
    assert xiushui.base_ratio == Decimal("116.67")
    assert (duchang.roll, duchang.records, duchang.employed, duchang.base.employed) == (3, 2, 2, 2)
    assert duchang.base_ratio == Decimal("100.00")
    assert [(f.region.name, f.previous, f.current, f.fall) for f in r.falling] == [
        ("渣津镇", 3, 1, 2),
        ("都昌镇", 3, 2, 1),
    ]


def test_county_and_township_tables(fw):
    w = fw.world
    county = region_report(w.county, MONTH)
    assert [
        (row.label, row.figures.employed, row.figures.previous_month.employed) for row in county.rows
    ] == [
        ("义宁镇", 6, 5),
        ("渣津镇", 1, 3),
    ]
    assert county.total.employed == 7
    assert [f.region.name for f in county.falling] == ["渣津镇"]
    township = region_report(w.township, MONTH)
    assert [(row.label, row.figures.roll, row.figures.employed) for row in township.rows] == [
        ("良塘村", 6, 4),
        ("桃坪村", 4, 2),
    ]
    assert township.falling == []  # 义宁镇 rose
    falling_township = region_report(fw.second_township, MONTH)
    assert [(f.region.name, f.fall) for f in falling_township.falling] == [("渣津镇", 2)]
    village = region_report(w.village, MONTH)
    assert village.rows == [] and village.falling == []
    assert (village.total.roll, village.total.records, village.total.employed) == (6, 5, 4)


def test_records_at_the_unit_itself_are_a_benji_row(fw):
    """A record coded at the county itself (not in any township) is counted in the county's total and shown
    as 修水县本级, never in a township's row."""
    w = fw.world
    person = fw.workers["liangtang"][5]
    person.region_code = w.county.code
    rec = record(person, MONTH, True, e.IN_COUNTY, e.SELF)
    assert rec.region_code == w.county.code
    r = region_report(w.county, MONTH)
    assert [row.label for row in r.rows] == ["修水县本级", "义宁镇", "渣津镇"]
    assert r.rows[0].region is None
    assert r.rows[0].figures.employed == 1
    assert r.total.employed == 8
    assert [row.figures.employed for row in r.rows[1:]] == [6, 1]


def test_the_base_year_follows_the_policy(fw, world):
    EmploymentPolicy.objects.create(valid_from=dt.date(2026, 1, 1), base_year=2025)
    r = region_report(world.city, MONTH)
    assert r.base_year == 2025
    assert r.months.base == YEAR_AGO
    assert r.total.base.employed == 2
    assert r.total.base_ratio == Decimal("450.00")
    # A month before the policy's start keeps the default base year.
    assert region_report(world.city, dt.date(2025, 12, 1)).base_year == 2022


def test_a_month_without_records_has_no_ratio(fw, world):
    r = region_report(world.city, dt.date(2026, 8, 1))
    assert r.total.employed == 0
    assert r.total.base.employed == 0
    assert r.total.base_ratio is None
    assert r.total.coverage == Decimal("0.00")  # the roll is there, nothing recorded
    assert r.falling == []


def test_roll_excludes_who_is_not_a_worker(fw, world):
    """The roll's conditions in the count: the child, the member without labour capacity and the ordinary
    household are not counted; a worker past the working age leaves it."""
    r = region_report(world.other_village, MONTH)
    assert r.total.roll == 4
    old = fw.workers["taoping"][0]
    old.birth_date = dt.date(1950, 1, 1)
    old.save(update_fields=["birth_date"])
    assert region_report(world.other_village, MONTH).total.roll == 3


def test_trend_of_twelve_months_against_the_base_year(fw, world):
    points = trend(world.city, MONTH)
    assert len(points) == 12
    assert points[0].month == dt.date(2025, 11, 1)
    assert points[-1].month == MONTH
    assert [(p.month, p.employed, p.base_month, p.base_employed) for p in points[-2:]] == [
        (PREVIOUS, 11, dt.date(2022, 9, 1), 0),
        (MONTH, 9, BASE, 8),
    ]
    assert sum(p.employed for p in points) == 20


def test_latest_month(fw, world):
    assert latest_month(world.city.prefix, until=dt.date(2026, 12, 1)) == MONTH
    assert latest_month(world.other_county.prefix, until=dt.date(2026, 9, 1)) == PREVIOUS
    assert latest_month("360499", until=MONTH) is None


@pytest.mark.parametrize("level", ["city", "county", "township", "village"])
def test_queries_do_not_grow_with_rows(fw, world, level):
    unit = getattr(world, level)
    with CaptureQueriesContext(connection) as first:
        region_report(unit, MONTH)
    # Ten more households of workers, and their records, in every village: the same number of queries.
    from dixian.employment.tests.figures_world import household_of

    for village in (world.village, world.other_village, world.far_village, fw.far_village2):
        for n in range(10):
            h = household_of(village, f"{village.code}9{n:03d}", 2)
            for p in h.members.all():
                record(p, MONTH, True, e.IN_COUNTY, e.SELF)
                record(p, PREVIOUS, True, e.IN_COUNTY, e.SELF)  # so the same townships fall
    with CaptureQueriesContext(connection) as second:
        region_report(unit, MONTH)
    assert len(second.captured_queries) == len(first.captured_queries) <= 6
