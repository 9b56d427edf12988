"""Funds and projects on the leaders' dashboard and in the monthly bulletin (docs/domain.md §21 "Funds
figures"): the same sums as the funds report, at the level where each is recorded."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dixian.domain import funds as fd
from dixian.funds.figures import region_report
from dixian.funds.models import Payment
from dixian.funds.tests.report_world import YEAR, build_funds_world, pay
from dixian.reports.bulletin import bulletin_build
from dixian.reports.catalogue import INDICATORS, indicators_in_order
from dixian.reports.models import Fact, StaleVillage
from dixian.reports.periods import Period
from dixian.reports.selectors import figures_compared
from dixian.reports.services import facts_refresh, facts_refresh_stale

pytestmark = pytest.mark.django_db
D = Decimal
DECEMBER = Period(YEAR, 12)
AUGUST = Period(YEAR, 8)
FUNDS = [ind for ind in indicators_in_order() if ind.group == "衔接资金与项目"]


@pytest.fixture
def today():
    with time_machine.travel(dt.datetime(YEAR, 12, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


@pytest.fixture
def funds(today, world):
    built = build_funds_world(world)
    StaleVillage.objects.all().delete()
    facts_refresh(periods=[AUGUST, DECEMBER])
    return built


def value(region, code, period=DECEMBER):
    [c] = figures_compared(region, period, [INDICATORS[code]])
    return c.current.value


def fact(region, code, period=DECEMBER, dim=""):
    row = Fact.objects.filter(region_code=region.code, code=code, period=str(period), dim=dim).first()
    return row.value if row else D(0)


def test_the_group_holds_the_funds_rates_and_counts():
    codes = [ind.code for ind in FUNDS]
    for code in (
        "funds_arranged_rate",
        "funds_paid_rate",
        "funds_started_rate",
        "funds_completed_rate",
        "funds_accepted_rate",
        "funds_households",
        "funds_households_poor",
        "funds_industry_share",
    ):
        assert code in codes


def test_the_dashboard_shows_what_the_funds_report_shows_at_every_level(world, funds):
    for region in (world.city, world.county, world.other_county):
        f = region_report(region, YEAR).total
        assert fact(region, "funds.issued") == f.issued
        assert fact(region, "funds.arranged") == f.arranged
        assert fact(region, "funds.paid") == f.paid
        assert value(region, "funds_projects_planned") == f.planned
        assert value(region, "funds_arranged_rate") == (f.arranged_rate * 100).quantize(D("0.1"))
        assert value(region, "funds_started_rate") == (f.started_rate * 100).quantize(D("0.1"))
        assert value(region, "funds_households") == f.households
        assert value(region, "funds_households_poor") == f.households_poor
    assert value(world.city, "funds_arranged_rate") == D("67.6")  # 1,150,000.25 ÷ 1,700,000.50 = 67.647…%


def test_allocations_sit_at_the_county_and_projects_where_they_are_built(world, funds):
    assert fact(world.county, "funds.issued") == D("1500000.50")
    assert fact(world.county, "funds.issued", dim=f"level={fd.PROVINCE}") == D("500000.50")
    assert fact(world.township, "funds.issued") == 0  # nothing is issued to a township here
    assert value(world.village, "funds_arranged_rate") is None  # a village has no allocations: no data
    # 义宁镇's own project (P3) counts at the township, not in any of its villages.
    assert value(world.township, "funds_projects_planned") == 3
    assert (
        value(world.village, "funds_projects_planned") + value(world.other_village, "funds_projects_planned")
        == 2
    )
    assert fact(world.village, "funds.paid") == D("600000.00")


def test_a_past_month_counts_what_was_done_by_its_end(world, funds):
    assert value(world.county, "funds_completed_rate", AUGUST) == 0  # P1 completed in September
    assert fact(world.county, "funds.paid", AUGUST) == D("550000.15")
    assert value(world.county, "funds_completed_rate") == D("33.3")


def test_a_payment_marks_its_village_and_a_refresh_of_few_villages_recounts_the_funds_figures(world, funds):
    p2 = funds.projects["P2"]
    pay(p2, "99.95", dt.date(YEAR, 12, 1))
    assert StaleVillage.objects.filter(region_code=world.other_village.code, period=str(DECEMBER)).exists()
    facts_refresh_stale()
    assert fact(world.county, "funds.paid") == D("700100.00")
    assert fact(world.city, "funds.paid") == D("775100.00")


def test_a_payment_corrected_to_another_month_recounts_both(world, funds):
    payment = Payment.objects.get(project=funds.projects["P2"])
    payment.paid_on = dt.date(YEAR, 9, 15)
    payment.save()
    marked = set(StaleVillage.objects.values_list("period", flat=True))
    assert {"2023-06", "2023-09", "2023-12"} <= marked


def test_the_bulletin_tells_the_funds_in_a_paragraph_of_its_own(world, funds):
    text = bulletin_build(world.city, DECEMBER).text
    [paragraph] = [p for p in text if p.startswith("衔接资金和项目方面")]
    assert "下达衔接资金1,700,000.50元" in paragraph
    assert "资金安排率67.6%" in paragraph
    assert "年度实施项目4个" in paragraph
    assert "联农带农户数5户" in paragraph


def test_a_year_without_funds_says_so_in_one_sentence(world, today):
    facts_refresh(periods=[DECEMBER])
    text = bulletin_build(world.county, DECEMBER).text
    assert any("本年度尚无资金下达和年度实施项目记录" in p for p in text)


def test_the_dashboard_shows_the_group_with_its_figures(client, world, people, funds):
    client.force_login(people["leader"])
    response = client.get("/reports/", {"region": world.city.code, "period": str(DECEMBER)})
    text = response.content.decode()
    assert 'data-group="衔接资金与项目"' in text
    assert "资金安排率" in text and "67.6" in text


def test_the_dashboards_refresh_before_reading_leaves_the_funds_figures_to_the_worker_or_the_night(
    world, funds
):
    pay(funds.projects["P2"], "99.95", dt.date(YEAR, 12, 1))
    facts_refresh_stale(whole=False)
    assert fact(world.county, "funds.paid") == D("700000.05")  # not recounted in the page's request
    assert not StaleVillage.objects.exists()
    facts_refresh(periods=[DECEMBER])  # the nightly refresh
    assert fact(world.county, "funds.paid") == D("700100.00")
