"""Follow-up visits against a case's assistance plan (docs/domain.md §20): a visit may name a measure of the
household's open case; the measure then shows its latest follow-up on the case page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dixian.common.models import ChangeLog
from dixian.domain import lifecycle as lc
from dixian.monitoring import assistance
from dixian.monitoring.models import Measure
from dixian.monitoring.services import case_open
from dixian.monitoring.testing import walk_case
from dixian.registry.testing import step_actors
from dixian.visits import services
from dixian.visits.models import Visit

pytestmark = pytest.mark.django_db


def plan(world, people, household, today, *, item="产业奖补"):
    case = case_open(
        household=household, actor=people["township_reviewer"], origin="manual", reason="走访发现"
    )
    if household == world.home:  # the personas of the village steps work in the home's village
        case = walk_case(case, lc.MONITORING, step_actors(people), start=today - dt.timedelta(days=60))
    measure = assistance.measure_create(
        case=case,
        actor=people["township_reviewer"],
        data={
            "category": "industry",
            "item": item,
            "detail": "",
            "start_on": today - dt.timedelta(days=20),
            "end_on": None,
            "amount": None,
            "deliverer": "县农业农村局",
        },
    )
    return case, measure


def form(household, **extra):
    return {
        "household": str(household.pk),
        "visit_date": "2026-11-18",
        "method": "home",
        "notes": "",
        **extra,
    }


def test_the_helper_follows_up_a_measure_of_its_household_and_the_case_page_shows_it(
    client, world, people, today
):
    case, measure = plan(world, people, world.home, today)
    helper = people["helper"]
    client.force_login(helper)
    page = client.get(reverse("visits:new"), {"household": world.home.pk}).content.decode()
    assert "跟进帮扶措施" in page and f'value="{measure.pk}"' in page
    response = client.post(reverse("visits:new"), form(world.home, measure=str(measure.pk)))
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.case, visit.measure) == (case, measure)
    measure.refresh_from_db()
    assert (measure.followed_up_on, measure.follow_ups) == (dt.date(2026, 11, 18), 1)
    assert measure.followed_up_by == (helper.get_full_name() or helper.username)
    assert ChangeLog.objects.filter(entity="measure", entity_id=measure.pk, summary__contains="跟进").exists()
    assert "产业奖补" in client.get(response["Location"]).content.decode()
    panel = client.get(reverse("monitoring:case_plan", args=[case.pk])).content.decode()
    assert "最近跟进:2026-11-18" in panel
    # The same visit submitted twice counts once.
    client.post(reverse("visits:new"), form(world.home, measure=str(measure.pk)))
    measure.refresh_from_db()
    assert Visit.objects.count() == 1 and measure.follow_ups == 1


def test_a_measure_of_another_household_is_refused(client, world, people, today):
    _, other = plan(world, people, world.neighbour, today, item="光伏收益")
    plan(world, people, world.home, today)
    client.force_login(people["helper"])
    response = client.post(reverse("visits:new"), form(world.home, measure=str(other.pk)))
    assert response.status_code == 200
    assert "不属于该户正在办理的监测帮扶档案" in response.content.decode()
    assert not Visit.objects.exists()
    with pytest.raises(ValidationError, match="不属于该户"):
        services.visit_record(
            household=world.home,
            visit_date=today,
            method="home",
            risks=[],
            notes="",
            photos=[],
            actor=people["village_officer"],
            measure=other,
        )
    assert Measure.objects.get(pk=other.pk).follow_ups == 0


def test_the_measures_offered_are_the_open_ones_of_the_households_the_account_may_visit(
    client, world, people, today
):
    _, done = plan(world, people, world.home, today, item="已完成的措施")
    Measure.objects.filter(pk=done.pk).update(status=Measure.Status.FINISHED)
    _, open_one = plan_second(world, people, today)
    _, neighbours = plan(world, people, world.neighbour, today, item="光伏收益")
    client.force_login(people["helper"])
    url = reverse("visits:household_measures")
    own = client.get(url, {"household": world.home.pk}).content.decode()
    assert "土地流转" in own and "已完成的措施" not in own
    # Not the helper's household: nothing, exactly as for a household that does not exist.
    assert "光伏收益" not in client.get(url, {"household": world.neighbour.pk}).content.decode()
    assert client.get(url, {"household": "x"}).status_code == 200
    client.force_login(people["village_officer"])
    assert "光伏收益" not in client.get(url, {"household": world.neighbour.pk}).content.decode()
    assert neighbours.pk and open_one.pk


def plan_second(world, people, today):
    """A second measure on the household's open case."""
    from dixian.monitoring.models import MonitoringCase

    case = MonitoringCase.objects.get(household=world.home)
    measure = assistance.measure_create(
        case=case,
        actor=people["village_officer"],
        data={
            "category": "finance",
            "item": "土地流转",
            "detail": "",
            "start_on": today,
            "end_on": None,
            "amount": None,
            "deliverer": "乡镇",
        },
    )
    return case, measure


def test_a_visit_during_a_case_is_filed_under_it_without_a_measure(client, world, people, today):
    case, _ = plan(world, people, world.home, today)
    client.force_login(people["township_reviewer"])
    client.post(reverse("visits:new"), form(world.home))
    client.post(reverse("visits:new"), form(world.neighbour))
    assert Visit.objects.get(household=world.home).case == case
    assert Visit.objects.get(household=world.neighbour).case is None
