"""A region's headline figures for a year (docs/domain.md §22 "Figures"), each checked by hand on the small
world of report_world.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dixian.domain import funds as fd
from dixian.funds.figures import figures_by_prefix, region_report
from dixian.funds.models import FundsPolicy

from .report_world import YEAR, build_funds_world

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def funds(world):
    return build_funds_world(world)


def test_the_countys_figures_are_its_own_rows_summed_exactly(world, funds):
    f = region_report(world.county, YEAR).total
    assert f.issued == D("1500000.50")
    assert f.issued_by_level == {fd.CENTRAL: D("1000000.00"), fd.PROVINCE: D("500000.50")}
    assert f.issued_direct == D("1000000.00")
    assert f.direct_share == D("0.6667")
    assert f.arranged == D("1000000.25")
    assert f.arranged_rate == D("0.6667")  # 1,000,000.25 ÷ 1,500,000.50
    assert f.arranged_industry == D("700000.00")  # P1 and P3
    assert f.industry_share == D("0.7000")  # 700,000.00 ÷ 1,000,000.25 = 0.69999…
    assert (f.planned, f.started, f.completed, f.accepted) == (3, 2, 1, 1)  # P4 is only proposed
    assert (f.started_rate, f.completed_rate, f.accepted_rate) == (D("0.6667"), D("0.3333"), D("0.3333"))
    assert f.budget == D("1000000.25")
    assert f.paid == D("700000.05")  # 450,000.10 + 149,999.90 + 100,000.05
    assert f.paid_rate == D("0.7000")
    # Sums are exact to the fen, written with two places (SQLite's SUM comes back with trailing digits).
    assert {x.as_tuple().exponent for x in (f.issued, f.arranged, f.budget, f.paid, f.assets_value)} == {-2}
    # The disposed asset is not held any more.
    assert f.assets == {fd.OPERATING: (1, D("500000.00")), fd.HOUSEHOLD: (1, D("100000.00"))}
    assert (f.assets_count, f.assets_value) == (2, D("600000.00"))
    # home (twice: a project and an entity), the monitored household, neighbour (a base), the ordinary one.
    assert (f.households, f.households_poor) == (4, 3)


def test_the_other_countys_figures_hold_none_of_the_first(world, funds):
    f = region_report(world.other_county, YEAR).total
    assert (f.issued, f.arranged, f.issued_direct) == (D("200000.00"), D("150000.00"), D("200000.00"))
    assert f.industry_share == D("1.0000")
    assert (f.planned, f.started, f.completed, f.accepted) == (1, 1, 0, 0)
    assert (f.budget, f.paid, f.paid_rate) == (D("150000.00"), D("75000.00"), D("0.5000"))
    assert f.assets == {fd.PUBLIC: (1, D("150000.00"))}
    assert (f.households, f.households_poor) == (1, 1)


def test_the_city_is_the_sum_of_its_counties_and_ranks_them(world, funds):
    report = region_report(world.city, YEAR)
    f = report.total
    assert f.issued == D("1700000.50")
    assert f.arranged == D("1150000.25")
    assert f.arranged_rate == D("0.6765")  # 1,150,000.25 ÷ 1,700,000.50 = 0.67647…
    assert (f.planned, f.started, f.completed, f.accepted) == (4, 3, 1, 1)
    assert (f.budget, f.paid) == (D("1150000.25"), D("775000.05"))
    assert (f.households, f.households_poor) == (5, 4)
    rows = {r.label: r.figures for r in report.rows}
    assert list(rows) == ["修水县", "都昌县"]
    assert rows["修水县"].issued == D("1500000.50") and rows["都昌县"].issued == D("200000.00")


def test_a_countys_table_has_its_townships_and_a_row_for_what_it_holds_itself(world, funds):
    report = region_report(world.county, YEAR)
    rows = {r.label: r.figures for r in report.rows}
    assert list(rows) == ["修水县本级", "义宁镇"]
    own, township = rows["修水县本级"], rows["义宁镇"]
    assert (own.issued, own.arranged, own.planned) == (D("1500000.50"), D("1000000.25"), 0)
    assert (township.issued, township.planned, township.paid) == (D("0.00"), 3, D("700000.05"))


def test_a_townships_table_keeps_its_own_project_apart_from_its_villages(world, funds):
    report = region_report(world.township, YEAR)
    rows = {r.label: r.figures for r in report.rows}
    assert list(rows) == ["义宁镇本级", "良塘村", "桃坪村"]
    assert [rows[k].planned for k in rows] == [1, 1, 1]
    assert rows["良塘村"].households == 2 and rows["桃坪村"].households == 2
    assert report.total.planned == 3


def test_a_village_has_no_table_of_units_below(world, funds):
    report = region_report(world.village, YEAR)
    assert report.rows == []
    assert (report.total.planned, report.total.paid) == (1, D("600000.00"))


def test_the_industry_share_is_flagged_under_the_years_minimum(world, funds):
    assert region_report(world.county, YEAR).industry_share_min == fd.DEFAULT_INDUSTRY_SHARE_MIN
    assert not region_report(world.county, YEAR).industry_share_low
    FundsPolicy.objects.create(year=YEAR, industry_share_min=D("0.75"))
    report = region_report(world.county, YEAR)
    assert report.industry_share_min == D("0.75") and report.industry_share_low


def test_a_year_without_rows_has_zeros_and_no_rates(world, funds):
    f = region_report(world.city, YEAR + 5).total
    assert (f.issued, f.planned, f.households) == (D("0.00"), 0, 0)
    assert f.arranged_rate is None and f.started_rate is None and f.paid_rate is None
    assert not region_report(world.city, YEAR + 5).industry_share_low


def test_the_figures_as_of_a_day_count_only_what_was_done_by_then(world, funds):
    by_key = figures_by_prefix(YEAR, world.county.prefix, 6, as_of=dt.date(YEAR, 8, 31))
    f = by_key[world.county.prefix]
    assert (f.planned, f.started, f.completed, f.accepted) == (3, 2, 0, 0)
    assert f.paid == D("550000.15")  # P1's October payment not yet
    january = figures_by_prefix(YEAR, world.county.prefix, 6, as_of=dt.date(YEAR, 1, 31))[world.county.prefix]
    assert (january.issued, january.arranged, january.planned, january.paid) == (D("0"), D("0"), 0, D("0"))
    assert january.households == 4  # links carry no date: counted as they are now


def test_the_report_costs_a_fixed_number_of_queries(world, funds, django_assert_num_queries):
    with django_assert_num_queries(8):  # children, six aggregates, the year's policy
        region_report(world.city, YEAR)
