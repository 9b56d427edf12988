"""The alert queue: who sees which alerts, in which order, with which filters, in constant queries."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from dixian.cases.models import Alert
from dixian.cases.selectors import alert_counts_for_user, alert_queue_for_user
from dixian.common.access import mask_id_number
from dixian.registry.testing import household

from .helpers import raise_alert

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def queue(client, user, query: str = "") -> str:
    client.force_login(user)
    response = client.get(reverse("cases:alert_queue") + query)
    assert response.status_code == 200
    return response.content.decode()


def shown_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'id="alert-(\d+)"', html)]


def test_each_account_sees_the_alerts_of_its_own_subtree_only(client, world, people):
    home = raise_alert(world.home)
    neighbour = raise_alert(world.neighbour)
    far = raise_alert(world.far)
    expected = {
        "city_admin": {home, neighbour, far},
        "county_reviewer": {home, neighbour},
        "other_county_reviewer": {far},
        "township_reviewer": {home, neighbour},
        "village_officer": {home},
        "helper": {home},  # only the households assigned to it
        "leader": {home, neighbour, far},
    }
    for persona, alerts in expected.items():
        html = queue(client, people[persona])
        assert set(shown_ids(html)) == {a.pk for a in alerts}, persona
    assert set(alert_queue_for_user(people["department_uploader"])) == set()


def test_a_department_account_is_refused_the_queue_with_a_chinese_message(client, world, people):
    raise_alert(world.home)
    client.force_login(people["department_uploader"])
    response = client.get(reverse("cases:alert_queue"))
    assert response.status_code == 403
    assert world.home.household_no not in response.content.decode()


def test_a_helper_does_not_see_alerts_of_unassigned_households_in_its_village(client, world, people):
    other = household("3604241002010002", world.village, "赵六", 9)
    raise_alert(other)
    mine = raise_alert(world.home)
    assert shown_ids(queue(client, people["helper"])) == [mine.pk]


@time_machine.travel(NOW, tick=False)
def test_the_queue_is_ordered_by_urgency(client, world, people):
    h = [household(f"3604241002019{n:03d}", world.village, f"户{n}", 10 + n) for n in range(6)]
    now = timezone.now()
    yellow_overdue = raise_alert(h[0], grade="黄", at=now - dt.timedelta(days=20))  # due 5 days ago
    yellow_fresh = raise_alert(h[1], grade="黄", at=now)
    red_later = raise_alert(h[2], grade="红", at=now)
    red_overdue = raise_alert(h[3], grade="红", at=now - dt.timedelta(days=5))
    orange = raise_alert(h[4], grade="橙", at=now - dt.timedelta(days=1))
    closed_red = raise_alert(h[5], grade="红", at=now)
    Alert.objects.filter(pk=closed_red.pk).update(status=Alert.Status.DISMISSED)
    html = queue(client, people["county_reviewer"], "?status=all")
    assert shown_ids(html) == [
        red_overdue.pk,
        red_later.pk,
        orange.pk,
        yellow_overdue.pk,
        yellow_fresh.pk,
        closed_red.pk,
    ]
    # The active queue (default) leaves the closed one out, and says how late the overdue ones are.
    html = queue(client, people["county_reviewer"])
    assert closed_red.pk not in shown_ids(html)
    assert "已超期 5 天" in html and "已超期 2 天" in html and "剩 3 天" in html
    # The summary counts the open ones by grade, and the overdue ones.
    assert alert_counts_for_user(people["county_reviewer"]) == {
        "red": 2,
        "orange": 1,
        "yellow": 2,
        "overdue": 2,
        "total": 5,
    }


@time_machine.travel(NOW, tick=False)  # both alerts on one local day: their due dates are the same
def test_newer_evidence_comes_first_among_equally_urgent_alerts(world, people):
    now = timezone.now()
    older = raise_alert(world.home, risk="01", at=now - dt.timedelta(hours=2))
    newer = raise_alert(world.home, risk="03", at=now - dt.timedelta(hours=1))
    assert list(alert_queue_for_user(people["village_officer"])) == [newer, older]


def test_a_row_shows_household_village_risk_grade_reason_channels_and_deadline(client, world, people):
    alert = raise_alert(world.home, grade="红")
    raise_alert(world.home, channel="cadre_visit", grade="橙", reason="走访发现家中主要劳动力住院")
    html = queue(client, people["village_officer"])
    card = html[html.index(f'id="alert-{alert.pk}"') :]
    card = card[: card.index("</li>")]
    for text in (
        world.home.household_no,
        "张三",
        "01 因病",
        "红色预警",
        "医疗个人负担 23,400 元",
        "部门筛查预警",
        "干部常态排查",
        "走访发现家中主要劳动力住院",
        "剩 3 天",
    ):
        assert text in card, text


def test_a_declaration_without_a_household_shows_the_declarants_name(client, world, people):
    raise_alert(
        None,
        region=world.village,
        subject_name="钱七",
        channel="self_declared",
        grade="黄",
        reason="申报因病",
    )
    html = queue(client, people["village_officer"])
    assert "钱七" in html and "农户自主申报" in html


def test_filters_narrow_by_grade_risk_channel_village_and_overdue(client, world, people):
    now = timezone.now()
    red = raise_alert(world.home, grade="红", risk="01")
    yellow = raise_alert(
        world.home, grade="黄", risk="09", channel="cadre_visit", at=now - dt.timedelta(days=30)
    )
    other_village = raise_alert(world.neighbour, grade="橙", risk="03")
    user = people["township_reviewer"]
    assert shown_ids(queue(client, user, "?grade=红")) == [red.pk]
    assert shown_ids(queue(client, user, "?risk=09")) == [yellow.pk]
    assert shown_ids(queue(client, user, "?channel=cadre_visit")) == [yellow.pk]
    assert set(shown_ids(queue(client, user, "?channel=department"))) == {red.pk, other_village.pk}
    assert shown_ids(queue(client, user, "?overdue=1")) == [yellow.pk]
    assert shown_ids(queue(client, user, f"?region={world.other_village.pk}")) == [other_village.pk]


def test_a_region_outside_the_scope_is_ignored_with_a_notice(client, world, people):
    mine = raise_alert(world.home)
    raise_alert(world.far)
    html = queue(client, people["village_officer"], f"?region={world.far_village.pk}")
    assert shown_ids(html) == [mine.pk]
    assert "所选区划不在您的管辖范围内" in html
    assert world.far.household_no not in html


def test_an_invalid_filter_value_is_dropped_with_a_notice(client, world, people):
    alert = raise_alert(world.home)
    html = queue(client, people["village_officer"], "?grade=紫&status=nonsense")
    assert shown_ids(html) == [alert.pk]
    assert "取值无效,已忽略" in html


def test_the_queue_query_count_does_not_grow_with_rows(client, world, people, django_assert_num_queries):
    raise_alert(world.home)
    client.force_login(people["county_reviewer"])
    url = reverse("cases:alert_queue")
    # session, account, its region, the page's rows (households and villages joined), the region picker,
    # the summary counts; with more than one page: the total
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200
    for n in range(40):
        h = household(f"3604241002029{n:03d}", world.other_village, f"批{n}", 100 + n)
        raise_alert(h, grade="橙", channel="self_declared" if n % 2 else "department")
    with django_assert_num_queries(7):
        response = client.get(url)
    assert len(shown_ids(response.content.decode())) == 30
    with django_assert_num_queries(7):
        response = client.get(url + "?page=2")
    assert len(shown_ids(response.content.decode())) == 11


def test_the_queue_pages_are_cards_that_fit_a_phone(client, world, people):
    raise_alert(world.home)
    html = queue(client, people["village_officer"])
    assert '<ul class="alert-list">' in html and 'class="alert-card grade-red"' in html
    assert "<table" not in html.split('id="alert-results"')[1]


def test_the_export_is_the_filtered_scoped_list_with_masked_ids(client, world, people):
    spouse = world.home.members.get(relation="spouse")
    raise_alert(world.home, grade="红", id_number=spouse.id_number, record_keys=["S1"])
    raise_alert(world.neighbour, grade="黄", reason='=HYPERLINK("http://x")')
    raise_alert(world.far)
    client.force_login(people["township_reviewer"])
    response = client.get(reverse("cases:alert_export"))
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    rows = book.get_sheet_by_name("预警线索").to_python()
    assert rows[0][:3] == ["户编号", "户主/申报人", "所在村"]
    numbers = [r[0] for r in rows[1:]]
    assert numbers == [world.home.household_no, world.neighbour.household_no]  # urgency order, scoped
    text = "\n".join(str(c) for r in rows for c in r)
    assert mask_id_number(spouse.id_number) in text and spouse.id_number not in text
    assert "'=HYPERLINK" in text  # neutralised, never a formula
    # Filters apply to the export as to the page.
    response = client.get(reverse("cases:alert_export") + "?grade=黄")
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    assert [r[0] for r in book.get_sheet_by_name("预警线索").to_python()[1:]] == [
        world.neighbour.household_no
    ]


def test_the_export_shows_full_ids_to_an_account_with_the_pii_right(client, world, people):
    spouse = world.home.members.get(relation="spouse")
    raise_alert(world.home, id_number=spouse.id_number)
    client.force_login(people["county_admin"])
    response = client.get(reverse("cases:alert_export"))
    text = str(
        CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
        .get_sheet_by_name("预警线索")
        .to_python()
    )
    assert spouse.id_number in text


def test_the_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("cases:alert_queue"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
