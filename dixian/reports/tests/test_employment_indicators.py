"""Employment figures on the leaders' dashboard and in the monthly bulletin (docs/domain.md §21 "Employment
figures"): the same counts as the employment figures page (employment/figures.py), at every level, on the
small world of employment/tests/figures_world.py."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from dixian.employment.figures import region_report
from dixian.employment.signals import survey_changed
from dixian.employment.tests.figures_world import MONTH, build_figures_world
from dixian.reports.bulletin import TextFigure, TextInput, bulletin_build, compose_text, number
from dixian.reports.catalogue import INDICATORS, dim_label, drill_url, indicators_in_order
from dixian.reports.models import Fact, StaleVillage
from dixian.reports.periods import Period
from dixian.reports.selectors import breakdown, figures_compared
from dixian.reports.services import facts_refresh

pytestmark = pytest.mark.django_db
D = Decimal
OCTOBER = Period(2026, 10)
SEPTEMBER = Period(2026, 9)


@pytest.fixture
def today():
    with time_machine.travel(dt.datetime(2026, 10, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


@pytest.fixture
def fw(today, world):
    built = build_figures_world(world)
    StaleVillage.objects.all().delete()
    facts_refresh(periods=[SEPTEMBER, OCTOBER])
    return built


def value(region, code, period=OCTOBER):
    [c] = figures_compared(region, period, [INDICATORS[code]])
    return c.current.value


def fact(region, code, period=OCTOBER, dim=""):
    row = Fact.objects.filter(region_code=region.code, code=code, period=str(period), dim=dim).first()
    return row.value if row else None


def test_the_group_holds_the_employment_indicators():
    codes = [ind.code for ind in indicators_in_order() if ind.group == "就业监测"]
    assert codes[:4] == [
        "employment_employed",
        "employment_base_ratio",
        "employment_coverage",
        "employment_falling_townships",
    ]
    assert INDICATORS["employment_employed"].name == "脱贫和监测劳动力务工就业人数"
    assert INDICATORS["employment_base_ratio"].name == "较基准年同期"


def test_the_dashboard_shows_what_the_figures_page_shows(fw, world):
    for unit in (
        world.city,
        world.county,
        world.other_county,
        world.township,
        fw.second_township,
        world.village,
    ):
        t = region_report(unit, MONTH).total
        assert value(unit, "employment_employed") == t.employed, unit.name
        assert fact(unit, "employment.base_employed") == t.base.employed, unit.name
        assert fact(unit, "employment.records") == t.records, unit.name
        assert fact(unit, "employment.roll") == t.roll, unit.name
        assert value(unit, "employment_base_ratio") == t.base_ratio, unit.name
    assert value(world.city, "employment_base_ratio") == D("112.50")
    assert value(world.county, "employment_base_ratio") == D("116.67")
    assert value(world.city, "employment_coverage") == D("81.3")  # 13 of 16, to one place
    assert value(world.city, "employment_public_post") == 1
    assert value(world.city, "employment_roll") == 16
    # September: 11 employed; the month-on-month change of October.
    [employed] = figures_compared(world.city, OCTOBER, [INDICATORS["employment_employed"]])
    assert employed.previous.value == 11
    assert employed.month_on_month == D("-18.2")


def test_falling_townships_are_counted_where_they_are(fw, world):
    assert value(world.city, "employment_falling_townships") == 2
    assert value(world.county, "employment_falling_townships") == 1
    assert value(world.other_county, "employment_falling_townships") == 1
    assert value(world.township, "employment_falling_townships") == 0
    assert value(fw.second_township, "employment_falling_townships") == 1
    assert fact(world.village, "employment.falling_townships") is None  # a village is no township


def test_the_employed_by_place_tier(fw, world):
    assert dict(breakdown(world.city, OCTOBER, INDICATORS["employment_employed"])) == {
        "in_county": D(6),
        "in_province": D(1),
        "out_of_province": D(1),
        "abroad": D(1),
    }
    assert dim_label("tier=", "in_county") == "县内"
    assert dim_label("channel=", "public_post") == "公益性岗位"
    assert fact(world.city, "employment.employed", dim="channel=self") == 5


def test_each_figure_leads_to_the_figures_page(fw, world, people):
    url = drill_url(INDICATORS["employment_employed"], world.county, OCTOBER, people["county_reviewer"])
    assert url == f"/employment/figures/?region={world.county.code}&month=2026-10"
    assert drill_url(INDICATORS["employment_employed"], world.county, OCTOBER, people["helper"]) is None


def test_the_bulletin_tells_the_employment_figures(fw, world):
    text = bulletin_build(world.city, OCTOBER).text
    [paragraph] = [p for p in text if p.startswith("就业监测方面")]
    assert paragraph == (
        "就业监测方面,截至2026年10月20日,全市脱贫劳动力和监测劳动力务工就业9人,较上月减少18.2%,"
        "为基准年同期的112.50%,摸排覆盖率81.3%,务工就业人数较上月下降的乡镇2个,已列入月度调度。"
    )
    [township] = [p for p in bulletin_build(world.township, OCTOBER).text if p.startswith("就业监测方面")]
    # 义宁镇: 6 employed of 8 records, 10 on the roll; 4 in the base month; it rose from 5.
    assert township == (
        "就业监测方面,截至2026年10月20日,全镇脱贫劳动力和监测劳动力务工就业6人,较上月增加20.0%,"
        "为基准年同期的150.00%,摸排覆盖率80.0%,没有务工就业人数较上月下降的乡镇。"
    )


def _input(*figures: TextFigure) -> TextInput:
    return TextInput(area="全县", unit_label="乡镇", period=OCTOBER, employment=figures)


def test_the_paragraph_says_what_is_missing_or_under_the_base_year():
    assert compose_text(_input(TextFigure("务工", "人", "stock", D(0), code="employment_employed"))) == [
        "就业监测方面,2026年10月全县暂无就业信息摸排记录。"
    ]
    [text] = compose_text(
        _input(
            TextFigure("务工", "人", "stock", D(120), code="employment_employed"),
            TextFigure("较基准年同期", "%", "ratio", D("98.40"), code="employment_base_ratio"),
            TextFigure("下降", "个", "stock", D(0), code="employment_falling_townships"),
        )
    )
    assert "为基准年同期的98.40%,低于基准年同期水平" in text
    assert text.endswith("没有务工就业人数较上月下降的乡镇。")
    [text] = compose_text(
        _input(
            TextFigure("务工", "人", "stock", D(5), code="employment_employed"),
            TextFigure("较基准年同期", "%", "ratio", None, code="employment_base_ratio"),
        )
    )
    assert "较基准年同期暂无数据" in text


def test_a_survey_change_marks_its_villages_and_the_months_it_moves(today, world):
    """The village of the record, its month, the month after and the same month of later years up to now
    (the current month was marked already when the world's persons were saved: one mark per transaction)."""
    fw = build_figures_world(world)
    before = set(StaleVillage.objects.values_list("region_code", "period"))
    assert (world.far_village.code, "2026-10") in before
    # 白岭村 has no record of 2025-10: a change that left no record there marks nothing.
    survey_changed.send(sender=None, person_ids=[fw.workers["bailing"][0].pk], months=[dt.date(2025, 10, 1)])
    assert set(StaleVillage.objects.values_list("region_code", "period")) == before
    survey_changed.send(sender=None, person_ids=[fw.workers["chengxi"][0].pk], months=[dt.date(2025, 10, 1)])
    after = set(StaleVillage.objects.values_list("region_code", "period"))
    assert after - before == {(world.far_village.code, "2025-10"), (world.far_village.code, "2025-11")}
    # A writer that names the records' places (the workbook import) is taken at its word: no look-up.
    survey_changed.send(
        sender=None,
        person_ids=[fw.workers["bailing"][0].pk],
        months=[dt.date(2024, 10, 1)],
        record_places={world.home.region_code},
    )
    marked = set(StaleVillage.objects.values_list("region_code", "period")) - after
    assert (world.home.region_code, "2024-10") in marked and (world.home.region_code, "2025-10") in marked
    assert {code for code, _ in marked} == {world.home.region_code}


COUNTS = st.none() | st.integers(0, 2_000_000).map(Decimal)
PERCENTS = st.none() | st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False)
CHANGES = st.none() | st.decimals(min_value=-100, max_value=500, places=1, allow_nan=False)


@st.composite
def employment_inputs(draw) -> TextInput:
    figures = []
    shapes: tuple[tuple[str, str, Literal["stock", "ratio"], st.SearchStrategy], ...] = (
        ("employment_employed", "人", "stock", COUNTS),
        ("employment_base_ratio", "%", "ratio", PERCENTS),
        ("employment_coverage", "%", "ratio", PERCENTS),
        ("employment_falling_townships", "个", "stock", COUNTS),
    )
    for code, unit, kind, values in shapes:
        if draw(st.booleans()):
            figures.append(
                TextFigure(code, unit, kind, draw(values), draw(CHANGES), draw(CHANGES), code=code)
            )
    until = draw(st.none() | st.dates(min_value=dt.date(2026, 10, 1), max_value=dt.date(2026, 10, 31)))
    return TextInput("全市", "县(市、区)", OCTOBER, employment=tuple(figures), until=until)


@given(employment_inputs())
def test_the_paragraph_writes_no_number_that_is_not_one_of_its_figures(t):
    """Every number of the employment paragraph is one of its figures (as the bulletin writes it), the
    period's year and month, or the day the figures run to."""
    text = "".join(compose_text(t))
    given_numbers = {"2026", "10", "0", "100"} | ({str(t.until.day)} if t.until else set())
    for f in t.employment:
        if f.value is not None:
            given_numbers |= {number(f.value), f"{f.value:.2f}", number(f.value, percent=True)}
        given_numbers |= {f"{abs(c):.1f}" for c in (f.month_on_month, f.year_on_year) if c is not None}
    # A thousands separator is followed by three digits (a comma after a number ends a clause).
    assert set(re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", text)) <= given_numbers
