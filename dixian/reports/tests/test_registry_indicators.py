"""Registry indicators: each figure at village, county and city, and the list behind it shows exactly the
households it counts (docs/domain.md §21)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Q

from dixian.accounts.models import User
from dixian.registry.models import Household, HouseholdIncome, IncomeLine
from dixian.registry.testing import World, build_world, household, personas
from dixian.reports.catalogue import INDICATORS, drill_url
from dixian.reports.periods import Period
from dixian.reports.selectors import breakdown, figures_compared
from dixian.reports.services import facts_refresh
from dixian.visits.models import Visit

pytestmark = pytest.mark.django_db

NOW = Period(2026, 11)
LAST = Period(2026, 10)


@pytest.fixture
def today():
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield dt.date(2026, 11, 20)


def _set(h: Household, **fields) -> Household:
    for name, value in fields.items():
        setattr(h, name, value)
    h.save(update_fields=list(fields))
    return h


def _income(h: Household, per_capita: str) -> None:
    HouseholdIncome.objects.filter(household=h, year=2025).update(net_income_per_capita=Decimal(per_capita))


@dataclass
class Town(World):
    edge: Household
    unstable: Household
    sudden: Household
    people: dict[str, User]
    visits_now: list[Visit]
    visits_last: list[Visit]


@pytest.fixture
def world(today) -> Town:
    """build_world's three 脱贫户 (two persons each, 2025 income 11,600 元 per person) and three more:

    village:       home (脱贫户), edge (一般农户, 边缘易致贫户, 1 person, income 5,000),
                   unstable (脱贫户, 脱贫不稳定户, no 2025 income, medical and water gaps)
    other_village: neighbour (脱贫户, income 8,000 under the city's line 8,500; water not recorded)
    far_village:   far (脱贫户), sudden (一般农户, 突发严重困难户, income 7,500: above its county's own
                   line of 7,000; housing and education gaps)
    """
    w = build_world()
    edge = _set(
        household("3604241002010002", w.village, "赵六", 4, members=1),
        kind="ordinary",
        monitoring_category="edge",
    )
    unstable = _set(
        household("3604241002010003", w.village, "钱七", 5),
        monitoring_category="unstable_ex_poor",
        medical_ok=False,
        water_ok=False,
    )
    sudden = _set(
        household("3604281002010002", w.far_village, "孙八", 6),
        kind="ordinary",
        monitoring_category="sudden_hardship",
        housing_ok=False,
        education_ok=False,
        housing_grade="D",
    )
    _set(w.neighbour, water_ok=None)
    HouseholdIncome.objects.filter(household=unstable).delete()
    _income(edge, "5000")
    _income(w.neighbour, "8000")
    _income(sudden, "7500")
    IncomeLine.objects.update_or_create(region=None, year=2025, defaults={"amount": Decimal("8500")})
    IncomeLine.objects.create(region=w.other_county, year=2025, amount=Decimal("7000"))
    # Another year's line is not this year's: never used.
    IncomeLine.objects.update_or_create(region=None, year=2024, defaults={"amount": Decimal("99999")})
    people = personas(w)

    def visit(h: Household, on: dt.date) -> Visit:
        return Visit.objects.create(
            household=h, region_code=h.region_code, visit_date=on, visitor=people["village_officer"]
        )

    town = Town(
        **vars(w),
        edge=edge,
        unstable=unstable,
        sudden=sudden,
        people=people,
        visits_now=[
            visit(edge, dt.date(2026, 11, 3)),
            visit(edge, dt.date(2026, 11, 18)),
            visit(w.home, dt.date(2026, 11, 30)),  # not monitored: a visit, but not coverage
        ],
        visits_last=[visit(unstable, dt.date(2026, 10, 31)), visit(sudden, dt.date(2026, 12, 1))],
    )
    facts_refresh(periods=[LAST, NOW])
    return town


def figure(region, code: str, period: Period = NOW) -> Decimal | None:
    (compared,) = figures_compared(region, period, [INDICATORS[code]])
    return compared.current.value


def at_levels(w, code: str, period: Period = NOW) -> tuple:
    return tuple(figure(r, code, period) for r in (w.village, w.county, w.city))


@pytest.mark.parametrize(
    ("code", "village", "county", "city"),
    [
        ("ex_poor_households", 2, 3, 4),
        ("ex_poor_persons", 4, 6, 8),
        ("ordinary_households", 1, 1, 2),
        ("ordinary_persons", 1, 1, 3),
        ("monitored_households", 2, 2, 3),
        ("monitored_persons", 3, 3, 5),
        ("monitored_households_unstable_ex_poor", 1, 1, 1),
        ("monitored_persons_unstable_ex_poor", 2, 2, 2),
        ("monitored_households_edge", 1, 1, 1),
        ("monitored_persons_edge", 1, 1, 1),
        ("monitored_households_sudden_hardship", 0, 0, 1),
        ("monitored_persons_sudden_hardship", 0, 0, 2),
    ],
)
def test_registry_totals_count_households_and_persons_at_every_level(world, code, village, county, city):
    assert at_levels(world, code) == (village, county, city)


def test_monitored_households_break_down_by_category(world):
    assert dict(breakdown(world.city, NOW, INDICATORS["monitored_households"])) == {
        "edge": 1,
        "unstable_ex_poor": 1,
        "sudden_hardship": 1,
    }


def test_average_income_counts_only_households_with_an_income_of_the_latest_year(world):
    # village: home 11,600 (unstable has no 2025 income); county: + neighbour 8,000; city: + far 11,600.
    assert at_levels(world, "income_per_capita_ex_poor") == (11600, 9800, 10400)
    # village and county: edge 5,000 alone; city: + sudden 7,500.
    assert at_levels(world, "income_per_capita_monitored") == (5000, 5000, 6250)


def test_households_below_the_line_use_the_most_specific_line_of_their_region(world):
    # neighbour (8,000) is under the city's 8,500; sudden (7,500) is above its county's 7,000.
    assert at_levels(world, "income_below_line_ex_poor") == (0, 1, 1)
    assert at_levels(world, "income_below_line_monitored") == (1, 1, 1)
    assert at_levels(world, "income_below_line_share_ex_poor") == (Decimal("0.0"), 50, Decimal("33.3"))
    assert at_levels(world, "income_below_line_share_monitored") == (100, 100, 50)


def test_a_township_line_wins_over_its_county_s(world):
    IncomeLine.objects.create(region=world.county, year=2025, amount=Decimal("9000"))
    IncomeLine.objects.create(region=world.township, year=2025, amount=Decimal("7900"))
    facts_refresh(periods=[NOW], producers=["registry_income"])
    # neighbour's 8,000 is above its township's 7,900 (though under its county's 9,000).
    assert at_levels(world, "income_below_line_ex_poor") == (0, 0, 0)
    assert at_levels(world, "income_below_line_monitored") == (1, 1, 1)


def test_a_year_without_a_line_counts_no_household_below_it(world):
    IncomeLine.objects.filter(year=2025).delete()
    facts_refresh(periods=[NOW], producers=["registry_income"])
    assert at_levels(world, "income_below_line_monitored") == (0, 0, 0)
    assert at_levels(world, "income_below_line_share_monitored") == (None, None, None)
    assert at_levels(world, "income_per_capita_monitored") == (5000, 5000, 6250)


@pytest.mark.parametrize(
    ("code", "village", "county", "city"),
    [
        ("guarantee_gap_households", 1, 1, 2),
        ("guarantee_gap_education", 0, 0, 1),
        ("guarantee_gap_medical", 1, 1, 1),
        ("guarantee_gap_housing", 0, 0, 1),
        ("guarantee_gap_water", 1, 1, 1),  # neighbour's unrecorded water is not a gap
    ],
)
def test_guarantee_and_water_gaps_count_households(world, code, village, county, city):
    assert at_levels(world, code) == (village, county, city)


def test_visit_coverage_is_monitored_households_visited_in_the_month(world):
    # This month edge is visited (twice), unstable is not; in the city sudden is not either.
    assert at_levels(world, "visit_coverage_monitored") == (50, 50, Decimal("33.3"))
    assert at_levels(world, "visits") == (3, 3, 3)
    # Last month (recomputed from the visit dates): unstable on 10-31; sudden's visit is in December.
    assert at_levels(world, "visit_coverage_monitored", LAST) == (50, 50, Decimal("33.3"))
    assert at_levels(world, "visits", LAST) == (1, 1, 1)


def _households_shown(client, url: str | None) -> set[int]:
    assert url is not None
    response = client.get(url)
    assert response.status_code == 200, url
    return {h.pk for h in response.context["page"].rows}


COUNTY_DRILLS = {
    "ex_poor_households": Q(kind="ex_poor"),
    "ex_poor_persons": Q(kind="ex_poor"),
    "ordinary_households": Q(kind="ordinary"),
    "ordinary_persons": Q(kind="ordinary"),
    "monitored_households": ~Q(monitoring_category=""),
    "monitored_persons": ~Q(monitoring_category=""),
    "monitored_households_edge": Q(monitoring_category="edge"),
    "monitored_persons_unstable_ex_poor": Q(monitoring_category="unstable_ex_poor"),
    "income_per_capita_ex_poor": Q(kind="ex_poor"),
    "income_per_capita_monitored": ~Q(monitoring_category=""),
    "guarantee_gap_households": Q(medical_ok=False) | Q(water_ok=False) | Q(housing_ok=False),
    "guarantee_gap_medical": Q(medical_ok=False),
    "guarantee_gap_water": Q(water_ok=False),
    "guarantee_gap_housing": Q(housing_ok=False),
}


# In the county, below the line: neighbour (8,000 under 8,500) and edge (5,000).
BELOW_LINE_DRILLS = {"income_below_line_ex_poor": "neighbour", "income_below_line_monitored": "edge"}


@pytest.mark.parametrize("code", sorted(COUNTY_DRILLS) + sorted(BELOW_LINE_DRILLS))
def test_a_county_account_drills_to_the_households_counted(client, world, code):
    user = world.people["county_admin"]
    url = drill_url(INDICATORS[code], world.county, NOW, user)
    assert url is not None
    client.force_login(user)
    below = BELOW_LINE_DRILLS.get(code)
    condition = Q(pk=getattr(world, below).pk) if below else COUNTY_DRILLS[code]
    expected = set(
        Household.objects.filter(condition, region_code__startswith="360424").values_list("pk", flat=True)
    )
    assert _households_shown(client, url) == expected
    if INDICATORS[code].unit == "户":  # a count of households: the list holds exactly that many
        assert figure(world.county, code) == len(expected)


def test_a_village_drill_shows_only_the_village(client, world):
    user = world.people["county_admin"]
    url = drill_url(INDICATORS["monitored_households"], world.village, NOW, user)
    client.force_login(user)
    assert _households_shown(client, url) == {world.edge.pk, world.unstable.pk}


def test_visit_drills_open_the_month_s_visits_of_the_unit(client, world):
    user = world.people["county_admin"]
    client.force_login(user)
    visits = drill_url(INDICATORS["visits"], world.county, NOW, user)
    response = client.get(visits)
    assert {v.pk for v in response.context["page"].rows} == {v.pk for v in world.visits_now}
    coverage = drill_url(INDICATORS["visit_coverage_monitored"], world.county, NOW, user)
    response = client.get(coverage)
    shown = list(response.context["page"].rows)
    assert {v.household_id for v in shown} == {world.edge.pk}  # the households counted as visited
    last = drill_url(INDICATORS["visits"], world.county, LAST, user)
    assert {v.pk for v in client.get(last).context["page"].rows} == {world.visits_last[0].pk}


def test_an_account_without_the_list_gets_no_drill_link(world):
    uploader = world.people["department_uploader"]
    assert drill_url(INDICATORS["monitored_households"], world.county, NOW, uploader) is None
    assert drill_url(INDICATORS["visits"], world.county, NOW, uploader) is None


def test_every_registry_indicator_has_its_definition():
    for code, ind in INDICATORS.items():
        if ind.group in ("农户底数", "收入与三保障", "走访排查"):
            assert ind.numerator_text and ind.source_text, code
            assert not ind.is_ratio or ind.denominator_text, code
