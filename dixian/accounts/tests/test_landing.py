"""Each account lands where its work is: after login, and whenever it opens "/"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dixian.common.testing import PASSWORD, persona

pytestmark = pytest.mark.django_db

HOUSEHOLDS = "/households/"
LANDINGS = {
    "city_admin": HOUSEHOLDS,
    "county_admin": HOUSEHOLDS,
    "county_reviewer": HOUSEHOLDS,
    "other_county_reviewer": HOUSEHOLDS,
    "township_reviewer": HOUSEHOLDS,
    "village_officer": HOUSEHOLDS,  # keeps the registry of its village
    "leader": HOUSEHOLDS,  # reads the registry (a dashboard comes later)
    "helper": "/visits/",  # records its visits; the list offers 记录走访
    "department_uploader": "/feeds/",  # sees no household: its deliveries instead of an empty list
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


def test_a_helper_who_also_reads_the_registry_starts_from_the_household_list(client, world):
    both = persona("leader_helper", world.city, "leader", "helper")
    client.force_login(both)
    assert client.get("/")["Location"] == HOUSEHOLDS


def test_the_anonymous_visitor_is_sent_to_login(client, world):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
