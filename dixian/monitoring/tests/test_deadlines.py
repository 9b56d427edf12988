"""Deadlines (docs/domain.md §5, §20): the worker's daily counts, the timeliness report and its workbook,
and the identification limit per region."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from dixian.accounts.models import Role
from dixian.common.models import ChangeLog
from dixian.common.testing import persona
from dixian.domain import lifecycle as lc
from dixian.monitoring.deadlines import deadline_counts_write, timeliness_for_user
from dixian.monitoring.jobs import deadline_counts_schedule
from dixian.monitoring.models import DeadlineDailyCount, DeadlinePolicy, MonitoringCase
from dixian.monitoring.services import case_open, case_refuse
from dixian.monitoring.testing import walk_case
from dixian.registry.testing import build_world, household, personas, step_actors

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def people(world):
    return personas(world)


def opened(h, actor, clue: dt.date) -> MonitoringCase:
    return case_open(
        household=h, actor=actor, origin="manual", reason="走访发现", first_clue_on=clue, on=clue
    )


def test_the_daily_count_counts_open_identification_cases_per_village_and_replaces_the_day(world, people):
    today = timezone.localdate()
    officer = people["village_officer"]
    opened(world.home, officer, today - dt.timedelta(days=20))  # past its 15 days
    second = household("3604241002010002", world.village, "赵六", 4)
    opened(second, officer, today - dt.timedelta(days=13))  # due in 2 days
    opened(world.neighbour, people["township_reviewer"], today)  # plenty of time
    assert deadline_counts_write(today) == 2
    counts = {c.region_id: c for c in DeadlineDailyCount.objects.filter(day=today)}
    home = counts[world.village.pk]
    assert (home.open_cases, home.due_soon, home.overdue) == (2, 1, 1)
    assert home.region_code == world.village.code
    other = counts[world.other_village.pk]
    assert (other.open_cases, other.due_soon, other.overdue) == (1, 0, 0)
    # The case refused since: the day's rows are replaced, not added to.
    case = MonitoringCase.objects.get(household=world.neighbour)
    neighbour_officer = persona("neighbour_officer", world.other_village, Role.VILLAGE_OFFICER)
    case_refuse(case=case, actor=neighbour_officer, seq=case.seq, reason="收入稳定,不符合条件")
    assert deadline_counts_write(today) == 1
    assert DeadlineDailyCount.objects.filter(day=today).count() == 1


def test_the_worker_schedule_writes_the_counts_at_most_hourly(world, people, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    opened(world.home, people["village_officer"], timezone.localdate())
    now = timezone.now()
    assert deadline_counts_schedule(now) == 1
    assert deadline_counts_schedule(now + dt.timedelta(minutes=1)) is None
    assert deadline_counts_schedule(now + dt.timedelta(hours=1, minutes=1)) == 1


def test_timeliness_by_region_counts_decisions_within_the_limit_and_open_overdue_cases(world, people):
    today = timezone.localdate()
    month = f"{today:%Y-%m}"
    actors = step_actors(people)
    # Decided (dated today) within its limit: the clue 14 days ago.
    start = today - dt.timedelta(days=14)
    on_time = walk_case(
        opened(world.home, people["village_officer"], start), lc.ANNOUNCEMENT, actors, start=start
    )
    assert on_time.decided_on <= on_time.due_on
    # Refused late (a clue 30 days ago), in the neighbouring village.
    township = people["township_reviewer"]
    late = opened(world.neighbour, township, today - dt.timedelta(days=30))
    neighbour_officer = persona("neighbour_officer", world.other_village, Role.VILLAGE_OFFICER)
    case_refuse(case=late, actor=neighbour_officer, seq=late.seq, reason="不符合条件")
    MonitoringCase.objects.filter(pk=on_time.pk).update(decided_on=today)
    # Still open past its limit.
    other = household("3604241002020002", world.other_village, "钱七", 5)
    opened(other, township, today - dt.timedelta(days=40))
    # An imported monitored household carries no clock and is left out.
    MonitoringCase.objects.create(
        household=household("3604241002020003", world.other_village, "孙八", 6),
        region=world.other_village,
        region_code=world.other_village.code,
        state=lc.MONITORING,
        state_since=timezone.now(),
        origin=MonitoringCase.Origin.IMPORT,
        first_clue_on=today,
        due_on=today - dt.timedelta(days=1),
        decided_on=today,
        identified_on=today,
    )
    report = timeliness_for_user(people["county_admin"], month, today)
    assert [r.name for r in report.rows] == ["义宁镇"] and report.level_label == "乡镇"
    (row,) = report.rows
    assert (row.decided, row.within, row.late, row.open_overdue) == (2, 1, 1, 1)
    assert row.rate == 50.0 and report.total.decided == 2
    by_village = {r.name: r for r in timeliness_for_user(township, month, today).rows}
    assert (by_village["良塘村"].decided, by_village["良塘村"].within) == (1, 1)
    assert (by_village["桃坪村"].decided, by_village["桃坪村"].open_overdue) == (1, 1)
    # The other county sees none of it.
    assert timeliness_for_user(people["other_county_reviewer"], month, today).total.decided == 0
    # Last month nothing was decided, and the cases open past their limit were entered only this month.
    previous = lc.months_after(today.replace(day=1), -1)
    last_month = timeliness_for_user(people["county_admin"], f"{previous:%Y-%m}", today)
    assert last_month.total.decided == 0
    assert last_month.total.open_overdue == 0  # the cases were entered this month


def test_the_report_page_the_series_and_the_workbook(client, world, people):
    today = timezone.localdate()
    opened(world.home, people["village_officer"], today - dt.timedelta(days=20))
    deadline_counts_write(today)
    client.force_login(people["county_admin"])
    html = client.get(reverse("monitoring:timeliness")).content.decode()
    assert "义宁镇" in html and "每日在办与超期" in html and f"{today:%Y-%m-%d}" in html
    bad = client.get(reverse("monitoring:timeliness"), {"month": "2026-13"}).content.decode()
    assert "月份格式" in bad
    response = client.get(reverse("monitoring:timeliness_export"), {"month": f"{today:%Y-%m}"})
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names == ["认定时效", "每日超期统计"]
    rows = book.get_sheet_by_name("认定时效").to_python()
    assert rows[3][1] == "义宁镇" and rows[3][6] == 1
    days = book.get_sheet_by_name("每日超期统计").to_python()
    assert days[1][1:] == [1, 0, 1]
    # A helper sees the timeliness of its own households only, without the villages' daily counts.
    client.force_login(people["helper"])
    html = client.get(reverse("monitoring:timeliness")).content.decode()
    assert "每日在办与超期" not in html


def test_a_county_admin_sets_its_limit_audited_and_new_cases_follow_it(client, world, people):
    client.force_login(people["county_admin"])
    url = reverse("monitoring:deadline_policies")
    assert client.get(url).status_code == 200
    response = client.post(url, {"region": world.county.pk, "limit_days": "10", "working_days": "on"})
    assert response.status_code == 302
    policy = DeadlinePolicy.objects.get(region=world.county)
    assert (policy.limit_days, policy.working_days) == (10, True)
    log = ChangeLog.objects.get(entity="deadline_policy")
    assert "10个工作日" in log.summary and log.actor == people["county_admin"]
    case = opened(world.home, people["village_officer"], dt.date(2026, 12, 4))  # a Friday
    assert (case.limit_days, case.working_days) == (10, True)
    assert case.due_on == dt.date(2026, 12, 18)
    # Another county's region is not offered, and a forged post is refused as out of scope.
    response = client.post(url, {"region": world.other_county.pk, "limit_days": "20"})
    assert "不在您的管辖范围内" in response.content.decode()
    response = client.post(url, {"region": world.county.pk, "limit_days": "0"})
    assert "1 到 60" in response.content.decode()
    # Removing it: the county follows the city (none: 15 days) again, and the removal is logged.
    client.post(url, {"region": world.county.pk, "clear": "1"})
    assert not DeadlinePolicy.objects.exists()
    assert ChangeLog.objects.filter(entity="deadline_policy", action="delete").count() == 1
    # A township reviewer may not open the page.
    client.force_login(people["township_reviewer"])
    assert client.get(url).status_code == 403
