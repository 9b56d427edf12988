"""Departments bound to their data (docs/security.md §3): an account and each of its API tokens deliver
only the feeds listed on the account, for its own region; a token's pushes are rate-limited."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from dixian.accounts.models import Role
from dixian.common.testing import persona
from dixian.feeds.models import FeedDelivery
from dixian.feeds.services import DeliveryNotPermitted, api_token_create, delivery_receive

from .helpers import csv_bytes, json_rows, medical_rows
from .test_delivery_pages import post_upload

pytestmark = pytest.mark.django_db

URL = "/api/v1/feeds/medical/deliveries"


def push(client, key: str, rows: int = 2, *, start: int = 1, url: str = URL):
    body = {"period": "2026-10", "rows": json_rows(medical_rows(rows, start=start))}
    return client.post(
        url,
        data=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


@pytest.fixture
def civil_affairs(world):
    """A county 民政局 account: 社会救助 only."""
    return persona("mzj", world.county, Role.DEPARTMENT_UPLOADER, feeds=["assistance"])


@pytest.fixture
def unassigned(world):
    """A department account from before feeds were assigned: an empty list."""
    return persona("old_dept", world.county, Role.DEPARTMENT_UPLOADER)


def test_a_token_pushing_a_feed_its_account_does_not_own_gets_403_and_nothing_is_recorded(
    client, civil_affairs
):
    key = api_token_create(user=civil_affairs, name="民政系统", actor=None)[1]
    response = push(client, key)
    assert response.status_code == 403
    body = response.json()
    assert "不负责“医保局 · 医保结算”" in body["message"] and "民政局 · 社会救助变动" in body["message"]
    assert body["errors"][0]["message"] == body["message"]
    assert not FeedDelivery.objects.exists()


def test_an_account_with_no_feeds_assigned_is_told_to_ask_an_administrator(client, unassigned):
    key = api_token_create(user=unassigned, name="旧系统", actor=None)[1]
    response = push(client, key)
    assert response.status_code == 403
    assert "还没有分配负责的数据项" in response.json()["message"]
    assert not FeedDelivery.objects.exists()


def test_a_batch_of_a_foreign_feed_with_row_errors_is_refused_403_not_recorded_as_a_rejection(
    client, civil_affairs
):
    key = api_token_create(user=civil_affairs, name="民政系统", actor=None)[1]
    body = {"period": "2026-10", "rows": [{"证件号码": "12"}]}
    response = client.post(
        URL,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 403
    assert not FeedDelivery.objects.exists()


def test_the_upload_page_offers_only_the_accounts_feeds_and_refuses_others(client, civil_affairs, unassigned):
    client.force_login(civil_affairs)
    page = client.get("/feeds/upload/").content.decode()
    assert "民政局 · 社会救助变动" in page and 'value="medical"' not in page
    response = post_upload(client, csv_bytes(medical_rows(2)), name="医保.csv")
    assert response.status_code == 200
    assert "您的账号不负责这类数据" in response.content.decode()
    assert not FeedDelivery.objects.exists()
    client.force_login(unassigned)
    assert "还没有分配负责的数据项" in client.get("/feeds/upload/").content.decode()


def test_the_service_refuses_a_region_outside_the_account_and_a_foreign_feed(world, civil_affairs, people):
    for region, feed in ((world.other_county, "assistance"), (world.county, "medical")):
        with pytest.raises(DeliveryNotPermitted) as refused:
            delivery_receive(
                feed=feed,
                period="2026-10",
                source=civil_affairs,
                region=region,
                channel=FeedDelivery.Channel.UPLOAD,
                file_name="x.csv",
                content=b"x",
            )
        assert isinstance(refused.value, ValidationError)
    assert not FeedDelivery.objects.exists()
    # A county administrator may send any feed of its county; the platform's own generated data is not bound.
    delivery, _ = delivery_receive(
        feed="medical",
        period="2026-10",
        source=people["county_admin"],
        region=world.county,
        channel=FeedDelivery.Channel.UPLOAD,
        file_name="x.csv",
        content=csv_bytes(medical_rows(1)),
    )
    assert delivery.is_live


@override_settings(DIXIAN_API_PUSHES_PER_TOKEN_HOUR=3)
def test_a_token_flooding_the_push_api_gets_429_with_retry_after(client, people):
    key = api_token_create(user=people["department_uploader"], name="医保系统", actor=None)[1]
    other = api_token_create(user=people["department_uploader"], name="备用系统", actor=None)[1]
    for i in range(3):
        assert push(client, key, start=10 * i + 1).status_code == 201
    flooded = push(client, key, start=100)
    assert flooded.status_code == 429
    assert "一小时内的推送已达 3 次上限" in flooded.json()["message"]
    assert 3000 <= int(flooded["Retry-After"]) <= 3600
    assert FeedDelivery.objects.count() == 3
    # Per token: another token of the same account still pushes; reading is not counted.
    assert push(client, other, start=200).status_code == 201
    assert client.get("/api/v1/feeds", headers={"Authorization": f"Bearer {key}"}).status_code == 200
