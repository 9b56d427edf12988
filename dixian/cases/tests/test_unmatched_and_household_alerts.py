"""应纳未纳 list (scoped, filtered, masked, closed with an audited note) and the household page's alerts."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dixian.cases.models import Alert, UnmatchedRecord
from dixian.common.access import mask_id_number
from dixian.common.models import ChangeLog
from dixian.registry.testing import household

from .helpers import raise_alert

pytestmark = pytest.mark.django_db


def unmatched(
    region, key: str, *, feed: str = "medical", problem: str = "not_found", id_number: str = ""
) -> UnmatchedRecord:
    return UnmatchedRecord.objects.create(
        feed=feed,
        record_key=key,
        name=f"无名{key}",
        id_number=id_number,
        problem=problem,
        reason="证件号码在农户信息库中不存在",
        region=region,
        region_code=region.code,
    )


def shown(html: str) -> set[int]:
    return {int(x) for x in re.findall(r'id="unmatched-(\d+)"', html)}


def test_the_unmatched_list_is_scoped_by_region(client, world, people):
    mine = unmatched(world.village, "A1")
    township = unmatched(world.township, "A2")
    far = unmatched(world.far_village, "A3")
    for persona, expected in (
        ("village_officer", {mine}),
        ("township_reviewer", {mine, township}),
        ("county_reviewer", {mine, township}),
        ("other_county_reviewer", {far}),
        ("city_admin", {mine, township, far}),
    ):
        client.force_login(people[persona])
        html = client.get(reverse("cases:unmatched_list")).content.decode()
        assert shown(html) == {r.pk for r in expected}, persona
    for persona in ("helper", "department_uploader"):
        client.force_login(people[persona])
        assert client.get(reverse("cases:unmatched_list")).status_code == 403


def test_the_unmatched_list_filters_by_feed_problem_and_status(client, world, people):
    a = unmatched(world.village, "B1", feed="medical", problem="not_found")
    b = unmatched(world.village, "B2", feed="loan", problem="checksum")
    c = unmatched(world.village, "B3", feed="loan", problem="missing")
    UnmatchedRecord.objects.filter(pk=c.pk).update(status="closed")
    client.force_login(people["village_officer"])
    url = reverse("cases:unmatched_list")
    assert shown(client.get(url).content.decode()) == {a.pk, b.pk}
    assert shown(client.get(url + "?feed=loan").content.decode()) == {b.pk}
    assert shown(client.get(url + "?problem=checksum").content.decode()) == {b.pk}
    assert shown(client.get(url + "?status=closed").content.decode()) == {c.pk}
    assert shown(client.get(url + "?status=all&feed=loan").content.decode()) == {b.pk, c.pk}
    html = client.get(url + "?feed=nonsense").content.decode()
    assert "取值无效,已忽略" in html and shown(html) == {a.pk, b.pk}


def test_id_numbers_in_the_unmatched_list_are_masked_without_the_right(client, world, people):
    unmatched(world.village, "C1", id_number="360424199001011234")
    client.force_login(people["village_officer"])
    html = client.get(reverse("cases:unmatched_list")).content.decode()
    assert "360424199001011234" not in html and mask_id_number("360424199001011234") in html
    client.force_login(people["county_admin"])
    assert "360424199001011234" in client.get(reverse("cases:unmatched_list")).content.decode()


def test_record_keys_in_the_unmatched_list_hide_id_numbers_and_health_records_without_the_right(
    client, world, people
):
    # Record keys are the source columns joined with "|": a name, an ID number, for 大病 the diagnosis.
    for feed, key in (
        ("major_illness", "赵六|360424199001011234|肺癌|2026-10-02"),
        ("civil_registry", "钱七|360424198502021238|死亡"),
    ):
        record = unmatched(world.village, key, feed=feed)
        record.name = key.split("|")[0]
        record.save()
    client.force_login(people["village_officer"])
    html = client.get(reverse("cases:unmatched_list")).content.decode()
    assert "360424199001011234" not in html and "肺癌" not in html
    assert "360424198502021238" not in html and mask_id_number("360424198502021238") in html
    client.force_login(people["county_admin"])
    html = client.get(reverse("cases:unmatched_list")).content.decode()
    assert "肺癌" in html and "360424198502021238" in html


def test_closing_an_unmatched_record_needs_a_note_and_is_audited(client, world, people):
    record = unmatched(world.village, "D1")
    officer = people["village_officer"]
    client.force_login(officer)
    url = reverse("cases:unmatched_close", args=[record.pk])
    response = client.post(url, {"note": ""}, follow=True)
    assert "请填写核查结论" in response.content.decode()
    record.refresh_from_db()
    assert record.status == "open"
    response = client.post(url, {"note": "经核实为外县人员"}, follow=True)
    assert "已记录核查结论" in response.content.decode()
    record.refresh_from_db()
    assert (record.status, record.closed_by, record.close_note) == ("closed", officer, "经核实为外县人员")
    log = ChangeLog.objects.get(entity="unmatched", entity_id=record.pk)
    assert log.actor == officer and log.changes == {"status": ["open", "closed"]}
    response = client.post(url, {"note": "再次"}, follow=True)
    assert "已核查完毕" in response.content.decode()


def test_a_record_outside_the_scope_cannot_be_closed(client, world, people):
    far = unmatched(world.far_village, "E1")
    client.force_login(people["village_officer"])
    assert client.post(reverse("cases:unmatched_close", args=[far.pk]), {"note": "x"}).status_code == 404
    client.force_login(people["leader"])
    assert client.post(reverse("cases:unmatched_close", args=[far.pk]), {"note": "x"}).status_code == 403
    far.refresh_from_db()
    assert far.status == "open"


def test_the_unmatched_list_query_count_does_not_grow_with_rows(
    client, world, people, django_assert_num_queries
):
    unmatched(world.village, "F0")
    client.force_login(people["county_reviewer"])
    url = reverse("cases:unmatched_list")
    # session, account, its region, the page's rows (with their region), the access log's row
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200
    for n in range(1, 45):
        unmatched(world.other_village if n % 2 else world.village, f"F{n}")
    # more than one page: the total too
    with django_assert_num_queries(6):
        html = client.get(url).content.decode()
    assert len(shown(html)) == 30


# --- the household page's 预警线索 ----------------------------------------------------------------------


def test_the_household_page_lists_its_alerts_open_first_with_grade_reason_channels_and_link(
    client, world, people
):
    closed = raise_alert(world.home, risk="09", grade="红", reason="早先的因学预警")
    Alert.objects.filter(pk=closed.pk).update(status=Alert.Status.DISMISSED)
    yellow = raise_alert(world.home, risk="03", grade="黄", channel="cadre_visit", reason="走访发现残疾")
    red = raise_alert(world.home, risk="01", grade="红")
    raise_alert(world.neighbour, risk="01", reason="邻居的预警")
    client.force_login(people["village_officer"])
    html = client.get(reverse("registry:household_detail", args=[world.home.pk])).content.decode()
    section = html[html.index('id="household-alerts"') :]
    section = section[: section.index("</section>")]
    links = re.findall(r'href="/alerts/(\d+)/"', section)
    assert links == [str(red.pk), str(yellow.pk), str(closed.pk)]
    for text in ("红色预警", "01 因病", "医疗个人负担 23,400 元", "部门筛查预警", "干部常态排查", "核实排除"):
        assert text in section, text
    assert "邻居的预警" not in html


def test_the_household_page_says_when_there_are_no_alerts(client, world, people):
    client.force_login(people["helper"])
    html = client.get(reverse("registry:household_detail", args=[world.home.pk])).content.decode()
    assert "本户没有预警线索" in html
    assert "还没有走访记录" in html  # the visits panel (dixian.visits) sits next to it


def test_the_household_page_query_count_does_not_grow_with_alerts(
    client, world, people, django_assert_num_queries
):
    from dixian.registry.tests.test_household_page import PAGE_QUERIES

    client.force_login(people["village_officer"])
    url = reverse("registry:household_detail", args=[world.home.pk])
    for risk in ("01", "03", "04", "09", "91", "92"):
        raise_alert(world.home, risk=risk)
    other = household("3604241002019001", world.village, "孙八", 50)
    raise_alert(other)
    with django_assert_num_queries(PAGE_QUERIES):
        html = client.get(url).content.decode()
    assert len(re.findall(r'href="/alerts/\d+/"', html)) == 6
