"""The refresh writes village facts and their sums up the tree; a partial refresh changes only what moved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dixian.registry.models import Household
from dixian.registry.testing import build_world, household
from dixian.reports.catalogue import INDICATORS
from dixian.reports.models import Fact, FactRefresh, StaleVillage
from dixian.reports.periods import Period, PeriodError
from dixian.reports.producers import ancestors_of, level_of
from dixian.reports.selectors import figures_compared, ranking
from dixian.reports.services import facts_mark_stale, facts_refresh, facts_refresh_stale

pytestmark = pytest.mark.django_db


def value(region_code: str, code: str, dim: str = "") -> Decimal:
    found = Fact.objects.filter(
        period=str(Period.current()), region_code=region_code, code=code, dim=dim
    ).first()
    return found.value if found else Decimal(0)


def test_a_full_refresh_counts_households_in_their_village_and_every_unit_above():
    w = build_world()
    household("3604241002010002", w.village, "赵六", 4)
    facts_refresh(periods=[Period.current()])
    assert value(w.village.code, "registry.households", "kind=ex_poor") == 2
    assert value(w.township.code, "registry.households", "kind=ex_poor") == 3
    assert value(w.county.code, "registry.households") == 3
    assert value(w.city.code, "registry.households") == 4
    assert value(w.city.code, "registry.persons") == 8
    assert FactRefresh.objects.count() == 1


def test_a_refresh_of_one_village_moves_only_its_figures_and_its_ancestors():
    w = build_world()
    facts_refresh(periods=[Period.current()])
    household("3604241002010002", w.village, "赵六", 4)
    household("3604281002010002", w.far_village, "钱七", 5)  # not refreshed below
    StaleVillage.objects.all().delete()  # the new households marked their villages (reports/triggers.py)
    marked = facts_mark_stale([w.village.code])
    assert marked == 1
    facts_refresh_stale()
    assert value(w.village.code, "registry.households") == 2
    assert value(w.county.code, "registry.households") == 3
    assert value(w.city.code, "registry.households") == 4  # far village still counted once
    assert value(w.other_county.code, "registry.households") == 1
    assert not StaleVillage.objects.exists()


def test_a_village_that_loses_its_last_household_drops_to_zero_everywhere_above():
    w = build_world()
    facts_refresh(periods=[Period.current()])
    Household.objects.filter(pk=w.far.pk).update(kind="ordinary")
    facts_refresh(periods=[Period.current()], villages=[w.far_village.code])
    assert value(w.other_county.code, "registry.households", "kind=ex_poor") == 0
    assert value(w.other_county.code, "registry.households", "kind=ordinary") == 1


def test_figures_compare_with_last_month_and_last_year_and_rank_the_units_below():
    w = build_world()
    facts_refresh(periods=[Period.current()])
    ind = INDICATORS["ex_poor_households"]
    (compared,) = figures_compared(w.city, Period.current(), [ind])
    assert compared.current.value == 3
    assert compared.year_ago.value == 0 and compared.year_on_year is None  # no data a year ago
    ranked = ranking(w.city, Period.current(), ind)
    assert [(r.region.code, r.figure.value, r.rank) for r in ranked] == [
        (w.county.code, 2, 1),
        (w.other_county.code, 1, 2),
    ]


def test_a_month_without_data_reads_as_zero():
    w = build_world()
    (compared,) = figures_compared(w.city, Period(2019, 3), [INDICATORS["ex_poor_households"]])
    assert compared.current.value == 0 and compared.current.empty


@given(st.integers(min_value=1900, max_value=2199), st.integers(min_value=1, max_value=12))
def test_a_period_prints_and_parses_back_and_steps_by_months(year, month):
    p = Period(year, month)
    assert Period.parse(str(p)) == p
    assert p.next().previous() == p
    assert p.back(12) == p.year_ago()
    assert p.year_to_date()[-1] == p and len(p.year_to_date()) == month


@given(st.text(max_size=12))
def test_anything_but_a_month_is_refused_with_a_chinese_message(text):
    try:
        Period.parse(text)
    except PeriodError as exc:
        assert "年-月" in str(exc)


def test_codes_know_their_level_and_ancestors():
    assert level_of("360424100201") == "village"
    assert ancestors_of("360424100201") == ["360424100000", "360424000000", "360400000000"]
    assert ancestors_of("360400000000") == []
