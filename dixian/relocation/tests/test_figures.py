"""The figures of docs/domain.md §24 on a world whose every number is known (tests/helpers.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dixian.relocation import figures
from dixian.relocation.models import RelocationSite, SiteHousehold

from .helpers import OCTOBER, SEPTEMBER, build_sites, record

pytestmark = pytest.mark.django_db


def test_the_survey_month_is_the_latest_with_a_record(world):
    assert figures.survey_month() is None
    build_sites(world)
    assert figures.survey_month() == OCTOBER
    assert figures.survey_month(dt.date(2026, 9, 30)) == SEPTEMBER  # a month after "today" does not count


def test_site_and_county_figures_are_exact(world):
    sites = build_sites(world)
    report = figures.report(RelocationSite.objects.all())
    assert report.month == OCTOBER
    by_site = {row.site.pk: row for row in report.rows}
    town = by_site[sites.town.pk].figures
    assert (town.households, town.persons, town.labour, town.employed, town.idle) == (3, 7, 2, 1, 1)
    assert town.employment_rate == Decimal("0.5000")
    assert (town.problems, town.resolved, town.overdue) == (3, 1, 1)
    assert town.resolved_rate == Decimal("0.3333")
    assert (town.projects, town.budget, town.paid) == (2, Decimal("150000.00"), Decimal("42345.67"))
    assert town.window_missing == 1  # built for 250 persons, no service window
    far = by_site[sites.far.pk].figures
    assert (far.households, far.persons, far.labour, far.employed) == (1, 2, 1, 0)
    assert far.employment_rate == Decimal("0.0000")
    assert (far.problems, far.projects, far.budget, far.paid, far.window_missing) == (0, 0, 0, 0, 0)
    total = report.total
    assert (total.sites, total.households, total.persons, total.labour, total.employed) == (2, 4, 9, 3, 1)
    assert total.window_missing == 1
    assert [(c.name, c.figures.sites, c.figures.households) for c in report.counties] == [
        ("修水县", 1, 3),
        ("都昌县", 1, 1),
    ]


def test_the_idle_households_are_the_labour_households_without_a_worker_working(world):
    sites = build_sites(world)
    idle = figures.idle_households(SiteHousehold.objects.all(), OCTOBER)
    assert {link.household_id for link in idle} == {world.neighbour.pk, world.far.pk}
    # In September the neighbour's head worked and the home's had no record.
    idle = figures.idle_households(SiteHousehold.objects.all(), SEPTEMBER)
    assert {link.household_id for link in idle} == {world.home.pk, world.far.pk}
    # A second worker of the far household finds work: it leaves the finding.
    record(world.far.members.order_by("pk")[1], OCTOBER, True)
    idle = figures.idle_households(SiteHousehold.objects.filter(site=sites.far), OCTOBER)
    assert not idle.exists()
    assert figures.idle_households(SiteHousehold.objects.all(), None).count() == 0


def test_before_any_survey_there_is_no_labour_figure_and_no_finding(world):
    sites = build_sites(world)
    from dixian.employment.models import Employment

    Employment.objects.all().delete()
    report = figures.report(RelocationSite.objects.filter(pk=sites.town.pk))
    assert report.month is None
    assert (report.total.households, report.total.labour, report.total.employed) == (3, 0, 0)
    assert report.total.employment_rate is None


def test_a_worker_past_working_age_makes_no_labour_household(world):
    sites = build_sites(world)
    world.far.members.update(birth_date=dt.date(1950, 1, 1))  # both 76 in 2026
    report = figures.report(RelocationSite.objects.filter(pk=sites.far.pk))
    assert (report.total.labour, report.total.employed) == (0, 0)


def test_household_states_count_members_workers_and_working(world):
    build_sites(world)
    states = figures.household_states([world.home.pk, world.neighbour.pk], OCTOBER)
    assert states[world.home.pk] == figures.HouseholdState(2, 2, 1)
    assert states[world.neighbour.pk] == figures.HouseholdState(2, 2, 0)


def test_the_figures_take_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    build_sites(world)
    with django_assert_max_num_queries(9):
        figures.report(RelocationSite.objects.all())
