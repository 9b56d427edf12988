"""The cross-county push (docs/security.md §3): a department of one county sends a 250,000 元 medical
record about a person of another county. It must not turn that household's alert red; it is listed for
the household's county as 外地记录,待核实, naming the delivery and the row."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from dixian.accounts.models import Role
from dixian.cases.models import Alert, AlertEvidence, UnmatchedRecord
from dixian.common.jobs import worker_run_once
from dixian.common.testing import persona
from dixian.feeds.models import FeedDelivery
from dixian.feeds.services import api_token_create

from .run_fixtures import head

pytestmark = pytest.mark.django_db


def push(client, user, rows):
    key = api_token_create(user=user, name="医保系统", actor=None)[1]
    body = {"period": "2026-10", "rows": rows}
    response = client.post(
        "/api/v1/feeds/medical/deliveries",
        data=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201, response.content.decode()
    return FeedDelivery.objects.get(pk=response.json()["delivery"]["id"])


def settlement(person, key: str, cost: str) -> dict:
    return {
        "结算单号": key,
        "姓名": person.name,
        "证件号码": person.id_number,
        "就诊类别": "住院",
        "结算日期": "2026-10-08",
        "医疗总费用": cost,
        "统筹基金支付": "0",
        "个人负担": cost,
    }


def test_a_cross_county_push_does_not_change_the_other_countys_alert(client, world, people):
    attacker = persona("dept_evil", world.county, Role.DEPARTMENT_UPLOADER, feeds=["medical"])
    victim = head(world.far)  # a person of the other county
    assert not world.far.region_code.startswith(world.county.prefix)
    delivery = push(
        client,
        attacker,
        [settlement(head(world.home), "JS-OWN-1", "120000"), settlement(victim, "JS-EVIL-1", "250000")],
    )
    assert worker_run_once()
    delivery.refresh_from_db()
    assert delivery.status == FeedDelivery.Status.SCREENED

    # The other county's household: no alert, no evidence.
    assert not Alert.objects.filter(household=world.far).exists()
    assert not AlertEvidence.objects.filter(household=world.far).exists()
    # Its own county's person is screened as before, and the evidence names the delivery and the row.
    evidences = AlertEvidence.objects.filter(household=world.home)
    assert {e.feed: e.sources for e in evidences} == {
        "medical": [{"delivery": delivery.pk, "row": 1, "key": "JS-OWN-1"}],
        "medical+education": [{"delivery": delivery.pk, "row": 1, "key": "JS-OWN-1"}],
    }
    # The foreign record is listed for the household's county, naming the delivery and the row.
    listed = UnmatchedRecord.objects.get(record_key="JS-EVIL-1")
    assert listed.problem == "out_of_region" and listed.delivery_id == delivery.pk
    assert listed.region_code.startswith(world.other_county.prefix)
    assert f"报送 #{delivery.pk} 第 2 行" in listed.reason and "外地记录,待核实" in listed.reason

    reviewer = people["other_county_reviewer"]
    client.force_login(reviewer)
    page = client.get(reverse("cases:unmatched_list")).content.decode()
    assert "外地记录,待核实" in page
    client.force_login(people["county_reviewer"])
    assert "JS-EVIL-1" not in client.get(reverse("cases:unmatched_list")).content.decode()


def test_a_city_department_may_speak_about_every_county(client, world, people):
    city_office = persona("dept_city", world.city, Role.DEPARTMENT_UPLOADER, feeds=["medical"])
    delivery = push(client, city_office, [settlement(head(world.far), "JS-CITY-1", "250000")])
    assert worker_run_once()
    evidences = AlertEvidence.objects.filter(household=world.far, alert__isnull=False)
    assert evidences and all(
        e.sources == [{"delivery": delivery.pk, "row": 1, "key": "JS-CITY-1"}] for e in evidences
    )
    assert not UnmatchedRecord.objects.filter(problem="out_of_region").exists()


def test_the_alert_page_names_the_delivery_and_row_and_the_county_sees_that_deliverys_rows_about_its_households(
    client, world, people
):
    city_office = persona("dept_city", world.city, Role.DEPARTMENT_UPLOADER, feeds=["medical"])
    delivery = push(
        client,
        city_office,
        [settlement(head(world.far), "JS-C-1", "250000"), settlement(head(world.home), "JS-C-2", "240000")],
    )
    assert worker_run_once()
    alert = Alert.objects.filter(household=world.far).first()
    reviewer = people["other_county_reviewer"]  # the county of `far`, without the personal-data right
    client.force_login(reviewer)
    page = client.get(reverse("cases:alert_detail", args=[alert.pk])).content.decode()
    rows_url = reverse("cases:delivery_rows", args=[delivery.pk])
    assert f"批次 #{delivery.pk} 第 1 行" in page and rows_url in page

    rows = client.get(rows_url).content.decode()
    # Health data without the right: the rows stay hidden, as on the evidence.
    assert "需开通查看个人信息权限" in rows and head(world.far).name not in rows
    # With the right: its own household's row, masked nothing; the other county's row not at all.
    admin = persona("oc_admin", world.other_county, Role.COUNTY_ADMIN, pii=True)
    client.force_login(admin)
    rows = client.get(rows_url).content.decode()
    assert head(world.far).id_number in rows and "JS-C-1" in rows and world.far.household_no in rows
    assert "JS-C-2" not in rows and head(world.home).id_number not in rows
    # A county the delivery never spoke about (and outside its region) gets 404... unless it overlaps:
    # the city's delivery overlaps every county, which then sees only its own rows.
    client.force_login(people["county_reviewer"])
    assert client.get(rows_url).status_code == 200
    assert head(world.far).name not in client.get(rows_url).content.decode()


def test_a_countys_delivery_rows_page_is_404_to_a_county_it_never_spoke_about(client, world, people):
    sender = persona("dept_a", world.county, Role.DEPARTMENT_UPLOADER, feeds=["medical"])
    delivery = push(client, sender, [settlement(head(world.home), "JS-A-1", "250000")])
    client.force_login(people["other_county_reviewer"])
    assert client.get(reverse("cases:delivery_rows", args=[delivery.pk])).status_code == 404
    client.force_login(people["department_uploader"])
    assert client.get(reverse("cases:delivery_rows", args=[delivery.pk])).status_code == 403
