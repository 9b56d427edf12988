"""The visit list: filters, paging, and a fixed number of queries however many visits there are."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dixian.registry.testing import household
from dixian.visits.models import Visit

from .helpers import record

pytestmark = pytest.mark.django_db


def shown(response) -> list[Visit]:
    assert response.status_code == 200
    return list(response.context["page"].rows)


def test_filters_by_village_date_range_and_risks(client, world, people, today):
    officer = people["township_reviewer"]
    old = record(world.home, officer, on=today - dt.timedelta(days=30))
    risky = record(world.home, officer, on=today - dt.timedelta(days=2), risks=["accident"])
    other = record(world.neighbour, officer, on=today)
    client.force_login(officer)
    url = reverse("visits:list")
    assert shown(client.get(url)) == [other, risky, old]
    assert shown(client.get(url, {"region": [world.village.pk]})) == [risky, old]
    assert shown(client.get(url, {"date_from": "2026-11-01", "date_to": "2026-11-19"})) == [risky]
    assert shown(client.get(url, {"with_risks": "on"})) == [risky]
    assert shown(client.get(url, {"household": world.neighbour.pk})) == [other]
    # Reversed dates are swapped, with a notice; a region out of scope is ignored, with a notice.
    response = client.get(url, {"date_from": "2026-11-19", "date_to": "2026-11-01"})
    assert shown(response) == [risky] and "开始日期晚于结束日期,已对调" in response.content.decode()
    response = client.get(url, {"region": [world.far_village.pk]})
    assert len(shown(response)) == 3 and "所选区划不在您的管辖范围内,已忽略" in response.content.decode()


def test_the_list_is_paged(client, world, people, today):
    officer = people["village_officer"]
    for i in range(35):
        record(world.home, officer, on=today - dt.timedelta(days=i % 60), notes=f"第{i}次")
    client.force_login(officer)
    first = client.get(reverse("visits:list"))
    assert len(shown(first)) == 30 and "共 35 条" in first.content.decode()
    second = client.get(reverse("visits:list"), {"page": "2"})
    assert len(shown(second)) == 5
    assert not {v.pk for v in shown(first)} & {v.pk for v in shown(second)}


def test_an_htmx_request_gets_the_results_partial(client, world, people, today):
    record(world.home, people["village_officer"], on=today, risks=["water"])
    client.force_login(people["village_officer"])
    response = client.get(reverse("visits:list"), {"with_risks": "on"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.startswith('<div id="visit-results">') and "饮水不安全" in body and "<html" not in body


@pytest.mark.parametrize("visits", [2, 25])
def test_the_list_needs_the_same_queries_for_few_or_many_visits(
    client, world, people, today, django_assert_num_queries, visits
):
    officer = people["county_reviewer"]
    homes = [world.home, world.neighbour] + [
        household(f"36042410020109{i:02d}", world.village, f"户主{i}", 10 + i) for i in range(3)
    ]
    for i in range(visits):
        record(
            homes[i % len(homes)],
            officer,
            on=today - dt.timedelta(days=i),
            risks=["illness"] if i % 2 else [],
        )
    client.force_login(officer)
    # session, account, its region, the page of visits with household, village and visitor, the picker.
    with django_assert_num_queries(5):
        response = client.get(reverse("visits:list"))
    assert len(shown(response)) == visits
    with django_assert_num_queries(6):  # + the chosen village
        client.get(
            reverse("visits:list"), {"region": [world.township.pk, world.village.pk], "with_risks": "on"}
        )


def test_filters_visits_to_monitored_households(client, world, people, today):
    officer = people["township_reviewer"]
    world.neighbour.monitoring_category = "edge"
    world.neighbour.save(update_fields=["monitoring_category"])
    record(world.home, officer, on=today)
    monitored = record(world.neighbour, officer, on=today - dt.timedelta(days=1))
    client.force_login(officer)
    response = client.get(reverse("visits:list"), {"monitored": "on"})
    assert shown(response) == [monitored]
    assert 'type="checkbox" name="monitored" id="id_monitored" checked' in response.content.decode()
