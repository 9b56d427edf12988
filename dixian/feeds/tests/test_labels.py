"""Deliveries and feed records as people read them: the feed's Chinese name, the period as 2026年10月, a record
key as labelled parts; never the platform's own stored file names (medical.parquet)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dixian.feeds.labels import feed_label, period_label, record_key_text
from dixian.feeds.models import FeedDelivery


def test_a_period_reads_as_year_and_month():
    assert period_label("2026-10") == "2026年10月"
    assert period_label("2026-03") == "2026年3月"
    assert period_label("") == ""
    assert period_label("2026") == "2026"  # not a period: shown as it is


def test_a_feed_code_reads_as_department_and_name():
    assert feed_label("medical") == "医保局医保结算"
    assert feed_label("no_such_feed") == "no_such_feed"


def test_a_record_key_reads_as_its_labelled_columns():
    assert record_key_text("medical", "JS0001") == "结算单号 JS0001"
    key = "张三|3604**********0011|恶性肿瘤|2026-03-05"
    assert record_key_text("major_illness", key) == (
        "姓名 张三 · 证件号码 3604**********0011 · 病种 恶性肿瘤 · 确诊日期 2026-03-05"
    )
    # Empty parts are left out; a key that does not split into the feed's columns is shown unchanged.
    assert (
        record_key_text("employment", "李四||失业登记|2026-09-01")
        == "姓名 李四 · 类型 失业登记 · 日期 2026-09-01"
    )
    notice = "(健康相关记录,需“可查看完整个人信息”权限)"
    assert record_key_text("major_illness", notice) == notice
    assert "|" not in record_key_text("assistance", "王五|360424197001010011|低保|新增|2026-10-01")


@pytest.mark.django_db
def test_a_generated_delivery_shows_feed_and_period_not_its_stored_file(client, world, people):
    delivery = FeedDelivery.objects.create(
        feed="medical",
        period="2026-10",
        channel=FeedDelivery.Channel.GENERATED,
        region=world.county,
        file_name="medical.parquet",
        checksum="a" * 64,
        status=FeedDelivery.Status.ACCEPTED,
    )
    assert delivery.label == "医保局医保结算 2026年10月"
    client.force_login(people["county_admin"])
    html = client.get(reverse("feeds:delivery_detail", args=[delivery.pk])).content.decode()
    text = re.sub(r"<[^>]+>", " ", html)
    assert "医保局医保结算 2026年10月" in text
    assert "parquet" not in text
    listing = client.get(reverse("feeds:delivery_list")).content.decode()
    assert "2026年10月" in listing and "parquet" not in listing


@pytest.mark.django_db
def test_an_uploaded_delivery_keeps_the_name_of_the_file_its_sender_chose(world):
    delivery = FeedDelivery(feed="medical", period="2026-10", channel="upload", file_name="医保十月.xlsx")
    assert delivery.shown_file_name == "医保十月.xlsx"
