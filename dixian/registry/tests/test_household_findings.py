"""Findings (疑点) on the household page and through its forms: a finding-class problem no longer blocks
saving; it is saved and listed on the page until a later edit fixes it (then resolved, not deleted)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dixian.common.testing import PASSWORD
from dixian.registry import services
from dixian.registry.models import Finding
from dixian.registry.tests.test_household_edits import person_post
from dixian.registry.tests.test_household_page import PAGE_QUERIES, add_member

pytestmark = pytest.mark.django_db


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def test_the_member_form_saves_work_without_a_place_and_the_page_lists_the_finding(client, world, people):
    login(client, people["village_officer"])
    spouse = world.home.members.get(relation="spouse")
    url = reverse("registry:person_edit", args=[world.home.pk, spouse.pk])
    response = client.post(url, person_post(spouse, months_worked=5, work_place=""))
    assert response.status_code == 302  # saved, not sent back with an error
    spouse.refresh_from_db()
    assert spouse.months_worked == 5
    finding = Finding.objects.get(person=spouse, resolved_at=None)
    assert (finding.code, finding.source) == ("work_place_missing", "web")
    html = client.get(reverse("registry:household_detail", args=[world.home.pk])).content.decode()
    assert "疑点(1处)" in html and "务工时间无务工所在地" in html and spouse.name in html

    client.post(url, person_post(spouse, months_worked=5, work_place="in_county"))
    finding.refresh_from_db()
    assert finding.resolved_at is not None and finding.resolved_by == people["village_officer"]
    html = client.get(reverse("registry:household_detail", args=[world.home.pk])).content.decode()
    assert "没有待核实的疑点" in html


def test_an_error_class_problem_still_blocks_the_form(client, world, people):
    # An ordinary household monitored as 边缘易致贫户 (its case wrote the category; the form does not offer it).
    type(world.home).objects.filter(pk=world.home.pk).update(
        kind="ordinary", year_out_of_poverty=None, monitoring_category="edge"
    )
    login(client, people["village_officer"])
    url = reverse("registry:household_edit", args=[world.home.pk])
    response = client.post(url, {"kind": "ex_poor", "year_out_of_poverty": 2018})
    assert response.status_code == 200 and "边缘易致贫户只能是一般农户" in response.content.decode()
    assert not Finding.objects.exists()


def test_moving_a_member_moves_the_finding_to_the_new_household(world, people):
    spouse = world.home.members.get(relation="spouse")
    services.person_update(actor=None, person=spouse, data={"dibao": True, "tekun": True})
    first = Finding.objects.get(person=spouse)
    services.person_move(actor=None, person=spouse, to_household=world.neighbour, relation="other")
    first.refresh_from_db()
    assert first.resolved_at is not None and first.household == world.home
    moved = Finding.objects.get(person=spouse, resolved_at=None)
    assert (moved.household, moved.code) == (world.neighbour, "dibao_and_tekun")


def test_health_findings_are_hidden_from_an_account_without_the_right(client, world, people):
    spouse = world.home.members.get(relation="spouse")
    services.person_update(
        actor=None, person=spouse, data={"health_status": "disabled", "disability_category": "visual"}
    )
    login(client, people["village_officer"])  # no right to personal information in full
    html = client.get(reverse("registry:household_detail", args=[world.home.pk])).content.decode()
    assert "疑点(1处)" in html and "残疾等级" not in html and "有残疾类别无等级" not in html
    login(client, people["county_admin"])
    html = client.get(reverse("registry:household_detail", args=[world.home.pk])).content.decode()
    assert "有残疾类别无等级" in html


def test_the_page_makes_the_same_queries_with_many_findings(client, world, people, django_assert_num_queries):
    officer = people["village_officer"]
    login(client, officer)
    url = reverse("registry:household_detail", args=[world.home.pk])
    with django_assert_num_queries(PAGE_QUERIES):
        client.get(url)
    for seq in range(6):
        add_member(world.home, seq)
    for person in world.home.members.all():
        services.person_update(
            actor=officer, person=person, data={"dibao": True, "tekun": True, "months_worked": 3}
        )
    assert Finding.objects.filter(household=world.home, resolved_at=None).count() == 2 * 8
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(url)
    assert response.content.decode().count("低保与特困同时享受") == 8
