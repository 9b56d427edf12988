"""The delivery pages: upload answering on the same page, list, delivery page, report, templates, catalogue."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dixian.accounts.models import Role
from dixian.common.testing import persona
from dixian.domain import catalogue
from dixian.feeds.models import FeedDelivery
from dixian.feeds.services import delivery_receive
from dixian.feeds.workbooks import HELP_SHEET

from .helpers import MEDICAL_HEADERS, csv_bytes, medical_rows, xlsx_bytes

pytestmark = pytest.mark.django_db


def post_upload(
    client, content: bytes, name: str = "医保.xlsx", feed: str = "medical", period: str = "2026-10"
):
    return client.post(
        reverse("feeds:upload"),
        {"feed": feed, "period": period, "file": SimpleUploadedFile(name, content)},
    )


def deliver(user, region, content: bytes, feed: str = "medical") -> FeedDelivery:
    delivery, _ = delivery_receive(
        feed=feed,
        period="2026-10",
        source=user,
        region=region,
        channel=FeedDelivery.Channel.UPLOAD,
        file_name="f.csv",
        content=content,
    )
    return delivery


def test_a_department_uploader_uploads_a_workbook_and_sees_the_result_on_the_same_page(client, world, people):
    client.force_login(people["department_uploader"])
    response = post_upload(client, xlsx_bytes(medical_rows(3)))
    assert response.status_code == 200
    text = response.content.decode()
    assert "已接收" in text and "已接收 3 条记录" in text
    delivery = FeedDelivery.objects.get()
    assert (
        delivery.region == world.county and delivery.channel == "upload" and delivery.file_name == "医保.xlsx"
    )
    assert reverse("feeds:delivery_detail", args=[delivery.pk]) in text


def test_an_upload_with_errors_lists_them_on_the_same_page_and_stores_nothing(client, world, people):
    client.force_login(people["department_uploader"])
    rows = medical_rows(2)
    rows[1][5] = "一千"
    response = post_upload(client, csv_bytes(rows), name="医保.csv")
    text = response.content.decode()
    assert "整份数据未接收" in text
    assert "医疗总费用「一千」不是金额" in text
    assert "下载错误报告" in text
    assert FeedDelivery.objects.get().status == "rejected"


def test_the_same_file_uploaded_again_is_answered_as_already_received(client, world, people):
    client.force_login(people["department_uploader"])
    content = xlsx_bytes(medical_rows(2))
    post_upload(client, content)
    response = post_upload(client, content)
    assert "这份数据已经接收过" in response.content.decode()
    assert FeedDelivery.objects.count() == 1


def test_the_form_refuses_a_wrong_extension_a_bad_period_and_no_feed(client, world, people):
    client.force_login(people["department_uploader"])
    response = post_upload(client, b"x", name="a.pdf", feed="", period="2026/10")
    text = response.content.decode()
    assert "不是 .xlsx、.xls 或 .csv 文件" in text
    assert "请选择数据类型" in text
    assert "格式不对" in text
    assert FeedDelivery.objects.count() == 0


def test_roles_other_than_department_and_admins_are_refused(client, world, people):
    for name in ("village_officer", "county_reviewer", "helper", "leader"):
        client.force_login(people[name])
        for url in (reverse("feeds:upload"), reverse("feeds:delivery_list"), reverse("feeds:catalogue")):
            assert client.get(url).status_code == 403, (name, url)


def test_the_list_is_scoped_by_region_and_paginated_in_a_fixed_number_of_queries(
    client, world, people, django_assert_num_queries
):
    other = persona("dept_far", world.other_county, Role.DEPARTMENT_UPLOADER, feeds=["medical"])
    uploader = people["department_uploader"]
    for i in range(35):
        deliver(uploader, world.county, csv_bytes(medical_rows(1, start=i + 1)))
    far = deliver(other, world.other_county, csv_bytes(medical_rows(1, start=900)))
    client.force_login(uploader)
    url = reverse("feeds:delivery_list")
    client.get(url)  # warm the session
    with django_assert_num_queries(5):  # session, account, its region, count, one page of 30 rows
        response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    assert "共 35 次报送" in text and "第 1 / 2 页" in text
    assert reverse("feeds:delivery_detail", args=[far.pk]) not in text
    page2 = client.get(url, {"page": 2}).content.decode()
    assert page2.count('data-label="接收时间"') == 5
    client.force_login(people["city_admin"])
    assert "共 36 次报送" in client.get(url).content.decode()


def test_a_delivery_outside_the_accounts_region_answers_404(client, world, people):
    other = persona("dept_far", world.other_county, Role.DEPARTMENT_UPLOADER, feeds=["medical"])
    rows = medical_rows(1)
    rows[0][2] = "bad"
    far = deliver(other, world.other_county, csv_bytes(rows))
    client.force_login(people["department_uploader"])
    assert client.get(reverse("feeds:delivery_detail", args=[far.pk])).status_code == 404
    assert client.get(reverse("feeds:delivery_report", args=[far.pk])).status_code == 404
    client.force_login(people["city_admin"])
    assert client.get(reverse("feeds:delivery_detail", args=[far.pk])).status_code == 200


def test_the_delivery_page_shows_status_checksum_rows_and_screening(client, world, people):
    delivery = deliver(people["department_uploader"], world.county, csv_bytes(medical_rows(2)))
    client.force_login(people["department_uploader"])
    text = client.get(reverse("feeds:delivery_detail", args=[delivery.pk])).content.decode()
    assert delivery.checksum in text
    assert "已接收" in text and "筛查任务" in text


def test_the_report_goes_only_to_the_sender_or_an_account_that_may_see_personal_data(client, world, people):
    rows = medical_rows(2)
    rows[0][2] = rows[0][2][:-1] + "Z"
    delivery = deliver(people["department_uploader"], world.county, csv_bytes(rows))
    url = reverse("feeds:delivery_report", args=[delivery.pk])
    client.force_login(people["department_uploader"])
    response = client.get(url)
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    assert book.get_sheet_by_index(0).to_python()[0][: len(MEDICAL_HEADERS)] == MEDICAL_HEADERS
    colleague = persona("county_admin_no_pii", world.county, Role.COUNTY_ADMIN)
    client.force_login(colleague)
    assert client.get(url).status_code == 403
    page = client.get(reverse("feeds:delivery_detail", args=[delivery.pk])).content.decode()
    assert rows[0][2] not in page  # the ID quoted in the error is masked for this viewer
    client.force_login(people["county_admin"])  # may see personal data
    assert client.get(url).status_code == 200


def test_each_feeds_template_has_its_headers_and_a_sheet_explaining_them(client, world, people):
    client.force_login(people["department_uploader"])
    for spec in catalogue.FEEDS:
        response = client.get(reverse("feeds:template"), {"feed": spec.code})
        assert response.status_code == 200
        book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
        assert book.sheet_names == [spec.name, HELP_SHEET]
        assert book.get_sheet_by_index(0).to_python()[0] == [c.header for c in spec.columns]
        help_rows = book.get_sheet_by_name(HELP_SHEET).to_python()
        assert [r[0] for r in help_rows[1 : len(spec.columns) + 1]] == [c.header for c in spec.columns]
    assert client.get(reverse("feeds:template"), {"feed": "nothing"}).status_code == 404


def test_the_catalogue_page_lists_every_feed_with_its_columns(client, world, people):
    client.force_login(people["department_uploader"])
    text = client.get(reverse("feeds:catalogue")).content.decode()
    for spec in catalogue.FEEDS:
        assert f'id="feed-{spec.code}"' in text
        for col in spec.columns:
            assert col.header in text
            for choice in col.choices:
                assert choice in text


def test_the_nav_shows_the_feeds_link_only_to_accounts_that_may_use_it(client, world, people):
    client.force_login(people["department_uploader"])
    assert reverse("feeds:upload") in client.get(reverse("feeds:catalogue")).content.decode()
    client.force_login(people["village_officer"])
    assert reverse("feeds:upload") not in client.get(reverse("registry:household_list")).content.decode()


def test_a_generated_delivery_without_a_sender_shows_as_sent_by_the_system(client, world, people):
    delivery, _ = delivery_receive(
        feed="medical",
        period="2026-10",
        source=None,
        region=world.county,
        channel=FeedDelivery.Channel.GENERATED,
        rows=[dict(zip(MEDICAL_HEADERS, medical_rows(1)[0], strict=True))],
    )
    client.force_login(people["city_admin"])
    for url in (reverse("feeds:delivery_list"), reverse("feeds:delivery_detail", args=[delivery.pk])):
        response = client.get(url)
        assert response.status_code == 200 and "系统" in response.content.decode()


def test_the_page_shows_the_first_200_errors_and_says_how_many_there_are(client, world, people):
    rows = medical_rows(300)
    for row in rows:
        row[2] = "12345"
    delivery = deliver(people["department_uploader"], world.county, csv_bytes(rows))
    assert len(delivery.errors) == 300  # all kept for the push API's answer (up to 1,000)
    client.force_login(people["department_uploader"])
    text = client.get(reverse("feeds:delivery_detail", args=[delivery.pk])).content.decode()
    assert "前 200 处错误(共 300 处,全部见错误报告)" in text
    assert text.count('<td data-label="错误原因">') == 200
