"""Each account lands where its work is: after login, and whenever it opens "/"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dixian.common.testing import PASSWORD, persona

pytestmark = pytest.mark.django_db

HOUSEHOLDS = "/households/"
DASHBOARD = "/reports/"
LANDINGS = {
    # Who oversees a subtree reads its figures first (统计分析), each a click from the list behind it.
    "city_admin": DASHBOARD,
    "county_admin": DASHBOARD,
    "county_reviewer": "/monitoring/",  # the cases waiting for its 信息比对
    "other_county_reviewer": "/monitoring/",
    "township_reviewer": "/monitoring/",  # the cases waiting for its 乡镇初审
    "leader": DASHBOARD,
    "village_officer": "/alerts/",  # works its village's queue of clues
    "helper": HOUSEHOLDS,  # the households it is paired with
    "department_uploader": "/feeds/",  # sees no household: its deliveries instead of an empty list
    "finance": "/funds/",  # the finance office: its county's money and projects (衔接资金和项目)
    "sector": "/funds/",  # a sector office likewise
}


def test_every_persona_has_a_landing(people):
    assert set(LANDINGS) == set(people)


@pytest.mark.parametrize("name", sorted(LANDINGS))
def test_logging_in_lands_on_the_accounts_work_page(client, people, name):
    response = client.post(reverse("accounts:login"), {"username": name, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == LANDINGS[name]
    assert response.status_code == 200


@pytest.mark.parametrize("name", sorted(LANDINGS))
def test_the_home_page_sends_the_account_to_its_work_page(client, people, name):
    client.force_login(people[name])
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == LANDINGS[name]
    assert client.get(response["Location"]).status_code == 200


def test_a_requested_page_wins_over_the_landing(client, people):
    response = client.post(
        reverse("accounts:login") + "?next=/alerts/",
        {"username": "helper", "password": PASSWORD},
    )
    assert response["Location"] == "/alerts/"


def test_a_helper_who_is_also_a_leader_starts_from_the_dashboard(client, world):
    both = persona("leader_helper", world.city, "leader", "helper")
    client.force_login(both)
    assert client.get("/")["Location"] == DASHBOARD


def test_an_account_that_reads_the_registry_without_the_figures_starts_from_the_household_list(
    client, world, monkeypatch
):
    from dixian.accounts import capabilities

    reader = frozenset({capabilities.Capability.REGISTRY_VIEW, capabilities.Capability.ALERTS_VIEW})
    monkeypatch.setitem(capabilities.ROLE_CAPABILITIES, "leader", reader)
    client.force_login(persona("reader", world.city, "leader"))
    assert client.get("/")["Location"] == HOUSEHOLDS


def test_an_account_without_a_region_landing_on_the_dashboard_is_told_why(client, world):
    client.force_login(persona("nowhere", None, "leader"))
    response = client.get(client.get("/")["Location"])
    assert response.status_code == 200
    assert "没有分配区划" in response.content.decode()


def test_the_anonymous_visitor_is_sent_to_login(client, world):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
