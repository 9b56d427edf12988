"""The key-group pages (docs/domain.md §23): tabs and states, the overdue finding, the 雨露计划 first job,
masking, scoping, the follow-up form's refusals, and a query count that does not grow with the rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dixian.common.testing import fake_id
from dixian.domain import employment as e
from dixian.employment.keygroups import keygroups_refresh
from dixian.employment.models import FollowUp, KeyGroupMember
from dixian.registry.models import Person

from .groups_world import fact, head, record

pytestmark = pytest.mark.django_db

JAN, FEB, MAR = (dt.date(2026, m, 1) for m in range(1, 4))


def idle_willing(person, recorded=dt.date(2026, 1, 10)):
    record(person, JAN, working=False, willing=True, recorded=recorded)
    keygroups_refresh([person.pk])
    return KeyGroupMember.objects.get(person=person, group=e.WILLING_IDLE)


def workers(household, n, base=500):
    """`n` more workers of `household`, each idle and willing (a key-group member)."""
    made = [
        Person.objects.create(
            household=household,
            region_code=household.region_code,
            id_number=fake_id(household.region_code[:6], dt.date(1990, 1, 1 + i % 28), base + i),
            name=f"工人{i}",
            sex="male",
            birth_date=dt.date(1990, 1, 1 + i % 28),
            relation="child",
            labour_skill="ordinary",
            medical_insurance="resident",
        )
        for i in range(n)
    ]
    for p in made:
        record(p, JAN, working=False, willing=True)
    keygroups_refresh([p.pk for p in made])
    return made


def test_the_list_shows_members_with_masked_ids_and_overdue_flags(client, world, people):
    member = idle_willing(head(world.home))
    idle_willing(head(world.far))  # another county
    client.force_login(people["county_reviewer"])  # no personal-data right
    page = client.get(reverse("employment:key_groups")).content.decode()
    assert "张三" in page and "王五" not in page
    assert head(world.home).id_number not in page and head(world.home).id_number[:6] in page
    assert "超期未跟进" in page  # entered 2026-01-10, never followed up
    assert reverse("employment:key_group_member", args=[member.pk]) in page
    client.force_login(people["county_admin"])  # with the right
    assert head(world.home).id_number in client.get(reverse("employment:key_groups")).content.decode()


def test_tabs_states_and_the_overdue_filter(client, world, people):
    stale = idle_willing(head(world.home))
    fresh = idle_willing(head(world.neighbour), recorded=timezone.localdate())
    client.force_login(people["county_reviewer"])
    url = reverse("employment:key_groups")
    overdue = client.get(url, {"state": "overdue"}).content.decode()
    assert "张三" in overdue and "李四" not in overdue
    assert "李四" in client.get(url, {"state": "open", "group": e.WILLING_IDLE}).content.decode()
    assert "张三" not in client.get(url, {"group": e.RETURNED}).content.decode()
    closed = client.get(url, {"state": "closed"}).content.decode()
    assert "张三" not in closed
    assert fresh.until is None and stale.until is None


def test_a_yulu_graduates_first_job_is_shown_with_the_employer_masked(client, world, people):
    p = head(world.home)
    fact(p, "graduated", dt.date(2026, 1, 20), stage="secondary_vocational")
    record(p, FEB, working=True, tier=e.IN_PROVINCE, channel="labour_export", employer="某某电子厂")
    keygroups_refresh([p.pk])
    client.force_login(people["county_reviewer"])
    page = client.get(
        reverse("employment:key_groups"), {"group": e.YULU_GRADUATE, "state": "all"}
    ).content.decode()
    assert "2026年2月" in page and "省内县外" in page and "劳务输出" in page
    assert "某某电子厂" not in page and "已隐藏" in page
    client.force_login(people["county_admin"])
    page = client.get(
        reverse("employment:key_groups"), {"group": e.YULU_GRADUATE, "state": "all"}
    ).content.decode()
    assert "某某电子厂" in page


def test_the_list_makes_the_same_queries_for_3_or_30_members(
    client, world, people, django_assert_max_num_queries
):
    client.force_login(people["county_reviewer"])
    url = reverse("employment:key_groups")
    workers(world.home, 3)
    with django_assert_max_num_queries(12) as few:
        assert client.get(url).status_code == 200
    workers(world.neighbour, 30, base=600)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "工人29" in client.get(url).content.decode()


def test_a_member_out_of_scope_answers_404(client, world, people):
    far = idle_willing(head(world.far))
    client.force_login(people["county_reviewer"])
    assert client.get(reverse("employment:key_group_member", args=[far.pk])).status_code == 404
    client.force_login(people["village_officer"])
    response = client.post(
        reverse("employment:follow_up_new", args=[far.pk]),
        {"kind": "training", "on": "2026-02-01", "detail": "x"},
    )
    assert response.status_code == 404
    assert not FollowUp.objects.exists()


def test_a_follow_up_is_recorded_and_clears_the_overdue_flag(client, world, people):
    member = idle_willing(head(world.home))
    client.force_login(people["village_officer"])
    today = timezone.localdate()
    response = client.post(
        reverse("employment:follow_up_new", args=[member.pk]),
        {"kind": "job_offer", "on": today.isoformat(), "detail": "推荐县工业园区岗位"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.last_follow_up == today
    page = client.get(reverse("employment:key_group_member", args=[member.pk])).content.decode()
    assert "推荐县工业园区岗位" in page and "超期未跟进" not in page
    overdue = client.get(reverse("employment:key_groups"), {"state": "overdue"}).content.decode()
    assert "张三" not in overdue


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"kind": "", "on": "2026-02-01", "detail": "x"}, "帮扶方式"),
        ({"kind": "training", "on": "2099-01-01", "detail": "x"}, "跟踪日期不能晚于今天"),
        ({"kind": "training", "on": "2025-12-31", "detail": "x"}, "不能早于列入重点群体的月份"),
        ({"kind": "training", "on": "2026-02-01", "detail": "  "}, "帮扶内容"),
        ({"kind": "training", "on": "2026-02-30", "detail": "x"}, "请填写有效日期"),
    ],
)
def test_a_bad_follow_up_is_refused_with_a_reason(client, world, people, data, reason):
    member = idle_willing(head(world.home))
    client.force_login(people["village_officer"])
    response = client.post(reverse("employment:follow_up_new", args=[member.pk]), data)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not FollowUp.objects.exists()


def test_no_follow_up_on_a_member_who_left(client, world, people):
    p = head(world.home)
    member = idle_willing(p)
    record(p, FEB, working=True, tier=e.IN_COUNTY)
    keygroups_refresh([p.pk])
    client.force_login(people["village_officer"])
    response = client.post(
        reverse("employment:follow_up_new", args=[member.pk]),
        {"kind": "training", "on": "2026-02-01", "detail": "x"},
    )
    assert response.status_code == 400 and "无需再记录跟踪帮扶" in response.content.decode()


def test_a_leader_reads_but_may_not_follow_up(client, world, people):
    member = idle_willing(head(world.home))
    client.force_login(people["leader"])
    page = client.get(reverse("employment:key_group_member", args=[member.pk])).content.decode()
    assert "记录跟踪帮扶</button>" not in page
    response = client.post(
        reverse("employment:follow_up_new", args=[member.pk]),
        {"kind": "training", "on": "2026-02-01", "detail": "x"},
    )
    assert response.status_code == 403


def test_a_follow_ups_free_text_is_masked_without_the_right(client, world, people):
    # docs/security.md §1: a free text quoting a phone number passes through masking.text_shown.
    member = idle_willing(head(world.home))
    FollowUp.objects.create(
        member=member,
        region_code=member.region_code,
        kind="job_offer",
        on=JAN,
        detail="联系电话13812345678",
        recorded_by=people["village_officer"],
    )
    url = reverse("employment:key_group_member", args=[member.pk])
    client.force_login(people["village_officer"])  # no personal-data right
    page = client.get(url).content.decode()
    assert "联系电话" in page and "13812345678" not in page
    client.force_login(people["county_admin"])
    assert "13812345678" in client.get(url).content.decode()
