"""Who may record visits, and who sees which visit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.urls import reverse

from dixian.common.testing import persona
from dixian.registry.models import HelperAssignment
from dixian.registry.testing import household
from dixian.visits.models import Visit
from dixian.visits.selectors import household_scope_for_recording, visit_may_record, visits_for_household

from .helpers import record

pytestmark = pytest.mark.django_db

RECORDERS = ("city_admin", "county_admin", "county_reviewer", "township_reviewer", "village_officer")


def test_staff_record_visits_for_every_household_of_their_subtree(world, people, today):
    expected = {
        "city_admin": {world.home, world.neighbour, world.far},
        "county_admin": {world.home, world.neighbour},
        "county_reviewer": {world.home, world.neighbour},
        "township_reviewer": {world.home, world.neighbour},
        "village_officer": {world.home},
        "other_county_reviewer": {world.far},
    }
    for name, households in expected.items():
        assert set(household_scope_for_recording(people[name])) == households, name


@pytest.mark.parametrize("name", ["leader", "department_uploader"])
def test_leaders_and_department_accounts_may_not_record(client, world, people, today, name):
    assert not household_scope_for_recording(people[name]).exists()
    with pytest.raises(PermissionDenied):
        record(world.home, people[name], on=today)
    client.force_login(people[name])
    assert client.get(reverse("visits:new")).status_code == 403
    assert client.post(reverse("visits:new"), {"household": world.home.pk}).status_code == 403
    assert client.get(reverse("visits:household_search"), {"q": "张三"}).status_code == 403


def test_a_helper_records_visits_only_for_its_assigned_households(client, world, people, today):
    helper = people["helper"]
    assert list(household_scope_for_recording(helper)) == [world.home]
    record(world.home, helper, on=today)
    with pytest.raises(PermissionDenied):
        record(world.neighbour, helper, on=today)
    # Another household of the helper's own village, not assigned to it.
    unassigned = household("3604241002010002", world.village, "赵六", 7)
    with pytest.raises(PermissionDenied):
        record(unassigned, helper, on=today)
    client.force_login(helper)
    response = client.post(
        reverse("visits:new"), {"household": unassigned.pk, "visit_date": "2026-11-20", "method": "home"}
    )
    assert "不在您的走访范围内" in response.content.decode()
    assert Visit.objects.count() == 1


def test_a_helper_cannot_date_a_visit_before_its_assignment_began(world, people, today):
    helper = persona("new_helper", world.village, "helper")
    HelperAssignment.objects.create(household=world.home, helper=helper, start_date=dt.date(2026, 11, 10))
    record(world.home, helper, on=dt.date(2026, 11, 10))
    with pytest.raises(ValidationError) as excinfo:
        record(world.home, helper, on=dt.date(2026, 11, 9))
    assert "2026-11-09 您尚未与该户结对帮扶" in str(excinfo.value)


def test_a_helper_whose_assignment_ended_no_longer_records(world, people, today):
    helper = people["helper"]
    HelperAssignment.objects.filter(helper=helper).update(end_date=dt.date(2026, 11, 20))
    assert not household_scope_for_recording(helper).exists()
    assert not visit_may_record(helper, world.home)
    with pytest.raises(PermissionDenied):
        record(world.home, helper, on=dt.date(2026, 11, 15))


def test_a_helper_that_is_also_a_leader_records_only_for_assigned_households(world, people, today):
    both = persona("leader_helper", world.county, "leader", "helper")
    HelperAssignment.objects.create(household=world.neighbour, helper=both, start_date=dt.date(2025, 1, 1))
    assert list(household_scope_for_recording(both)) == [world.neighbour]


def test_the_visit_list_shows_only_visits_in_scope(client, world, people, today):
    officer = people["city_admin"]
    for h in (world.home, world.neighbour, world.far):
        record(h, officer, on=today, notes=f"走访{h.head_name}")
    expected = {
        "village_officer": {"张三"},
        "township_reviewer": {"张三", "李四"},
        "other_county_reviewer": {"王五"},
        "leader": {"张三", "李四", "王五"},
        "helper": {"张三"},
    }
    for name, heads in expected.items():
        client.force_login(people[name])
        page = client.get(reverse("visits:list"), {"village": world.far_village.code}).content.decode()
        assert {h for h in ("张三", "李四", "王五") if f"{h}户" in page} == heads, name
    client.force_login(people["department_uploader"])
    assert client.get(reverse("visits:list")).status_code == 403


def test_a_visit_outside_the_scope_answers_404_like_one_that_does_not_exist(client, world, people, today):
    visit = record(world.far, people["city_admin"], on=today, notes="城西村走访")
    client.force_login(people["village_officer"])
    hidden = client.get(reverse("visits:detail", args=[visit.pk]))
    missing = client.get(reverse("visits:detail", args=[10**9]))
    assert hidden.status_code == missing.status_code == 404
    assert "城西村走访" not in hidden.content.decode()
    client.force_login(people["other_county_reviewer"])
    page = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert "城西村走访" in page and "王五户" in page


def test_the_detail_masks_the_phone_without_the_pii_right(client, world, people, today):
    visit = record(world.home, people["village_officer"], on=today)
    client.force_login(people["village_officer"])
    page = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert world.home.phone not in page and "138****0001" in page
    client.force_login(people["county_admin"])
    assert world.home.phone in client.get(reverse("visits:detail", args=[visit.pk])).content.decode()


def test_the_household_search_stays_inside_the_recording_scope(client, world, people, today):
    client.force_login(people["township_reviewer"])
    page = client.get(reverse("visits:household_search"), {"q": "李"}).content.decode()
    assert "李四户" in page and "张三户" not in page
    page = client.get(reverse("visits:household_search"), {"q": "王五"}).content.decode()
    assert "王五" not in page.replace("没有找到「王五」", "")
    page = client.get(reverse("visits:household_search"), {"q": "0201"}).content.decode()
    assert world.home.household_no in page and world.neighbour.household_no not in page
    client.force_login(people["county_reviewer"])
    # A county searches by the beginning of a name (two characters) or of the number (six digits).
    assert "李四户" not in client.get(reverse("visits:household_search"), {"q": "四"}).content.decode()
    assert "李四户" in client.get(reverse("visits:household_search"), {"q": "李四"}).content.decode()
    page = client.get(
        reverse("visits:household_search"), {"q": world.home.household_no[:10]}
    ).content.decode()
    assert world.home.household_no in page


def test_the_household_panel_lists_the_latest_visits(client, world, people, today):
    officer = people["village_officer"]
    for days in range(7):
        record(world.home, officer, on=today - dt.timedelta(days=days), risks=["water"] if days == 0 else [])
    visits = visits_for_household(world.home)
    assert [v.visit_date for v in visits] == [today - dt.timedelta(days=d) for d in range(5)]
    html = render_to_string(
        "visits/partials/_household_visits.html",
        {"visits": visits, "household": world.home, "can_record_visit": True},
    )
    assert "记录走访" in html and f"/visits/new/?household={world.home.pk}" in html
    assert "发现风险 1 项" in html and html.count("<li>") == 5
    html = render_to_string(
        "visits/partials/_household_visits.html",
        {"visits": [], "household": world.home, "can_record_visit": False},
    )
    assert "记录走访" not in html.replace("走访记录", "") and "还没有走访记录" in html
