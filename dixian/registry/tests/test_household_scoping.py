from __future__ import annotations

import pytest
from django.urls import reverse

from dixian.common.testing import PASSWORD

pytestmark = pytest.mark.django_db


def visible_numbers(client, user) -> set[str]:
    client.login(username=user.username, password=PASSWORD)
    response = client.get(reverse("registry:household_list"))
    assert response.status_code == 200
    return {h.household_no for h in response.context["page"]}


def test_village_officer_sees_only_own_village(client, world, people):
    assert visible_numbers(client, people["village_officer"]) == {world.home.household_no}


def test_township_reviewer_sees_both_villages_of_township(client, world, people):
    assert visible_numbers(client, people["township_reviewer"]) == {
        world.home.household_no,
        world.neighbour.household_no,
    }


def test_city_admin_sees_every_county(client, world, people):
    assert visible_numbers(client, people["city_admin"]) == {
        world.home.household_no,
        world.neighbour.household_no,
        world.far.household_no,
    }


def test_department_uploader_sees_no_household(client, world, people):
    assert visible_numbers(client, people["department_uploader"]) == set()


def test_guessed_primary_key_of_other_county_answers_404(client, world, people):
    client.login(username="county_reviewer", password=PASSWORD)
    assert client.get(reverse("registry:household_detail", args=[world.far.pk])).status_code == 404
    assert client.get(reverse("registry:household_detail", args=[world.home.pk])).status_code == 200


def test_helper_sees_an_assignment_only_between_its_start_and_end(client, world, people):
    import datetime as dt

    import time_machine

    from dixian.registry.models import HelperAssignment
    from dixian.registry.testing import household

    helper = people["helper"]
    later = household("3604241002010002", world.village, "赵六", 4)
    HelperAssignment.objects.create(
        household=later, helper=helper, start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 7, 1)
    )
    with time_machine.travel(dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)):
        assert visible_numbers(client, helper) == {world.home.household_no}
    with time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)):
        assert visible_numbers(client, helper) == {world.home.household_no, later.household_no}
    with time_machine.travel(dt.datetime(2027, 7, 1, 12, tzinfo=dt.UTC)):
        assert visible_numbers(client, helper) == {world.home.household_no}
