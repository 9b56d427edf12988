"""Alerts feed cases (issue 14, docs/domain.md §20): 拟纳入 from the queue (one case per household), bulk
开始核实 / 核实排除, the case's clock on the queue, and new evidence joining a 拟纳入 alert."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dixian.cases.models import Alert, AlertEvidence
from dixian.cases.selectors import AlertFilters, alert_counts_for_user, alert_queue_for_user
from dixian.cases.services import alert_add_evidence, household_monitored_for
from dixian.cases.tests.helpers import raise_alert
from dixian.common.models import ChangeLog
from dixian.domain import lifecycle as lc
from dixian.monitoring.models import MonitoringCase
from dixian.monitoring.services import case_open, case_refuse
from dixian.monitoring.testing import walk_case
from dixian.registry.testing import household, step_actors

pytestmark = pytest.mark.django_db

QUEUE = "cases:alert_queue"


def villagers(world, n: int, start: int = 10):
    return [
        household(f"36042410020100{start + i:02d}", world.village, f"村民{i}", start + i) for i in range(n)
    ]


def propose(client, alerts, note: str = "村里统一核实"):
    return client.post(
        reverse("monitoring:alerts_propose"),
        {"alert": [a.pk for a in alerts], "note": note, "next": reverse(QUEUE)},
        follow=True,
    )


def bulk(client, alerts, status: str, note: str = ""):
    return client.post(
        reverse("cases:alert_bulk"),
        {
            "alert": [a.pk for a in alerts],
            "status": status,
            "note": note,
            "next": reverse(QUEUE) + "?grade=红",
        },
        follow=True,
    )


def test_propose_groups_the_ticked_alerts_by_household_one_case_each(client, world, people):
    officer = people["village_officer"]
    others = villagers(world, 2)
    home_alerts = [raise_alert(world.home, risk="01"), raise_alert(world.home, risk="07", grade="橙")]
    other_alerts = [raise_alert(h, risk="92", grade="黄") for h in others]
    client.force_login(officer)
    response = propose(client, home_alerts + other_alerts)
    html = response.content.decode()
    assert "已拟纳入 4 条预警线索,涉及 3 户:新建监测帮扶档案 3 份" in html
    assert response.redirect_chain[-1][0] == reverse(QUEUE)
    home_case = MonitoringCase.objects.get(household=world.home)
    assert sorted(home_case.alerts.values_list("pk", flat=True)) == sorted(a.pk for a in home_alerts)
    assert home_case.risk_codes == ["01", "07"] and home_case.origin == MonitoringCase.Origin.ALERT
    assert MonitoringCase.objects.count() == 3
    assert set(Alert.objects.values_list("status", flat=True)) == {Alert.Status.PROPOSED}
    # Each alert audited, by the officer.
    assert (
        ChangeLog.objects.filter(entity="alert", actor=officer, changes__status=["open", "proposed"]).count()
        == 4
    )
    # A new alert of a household with an open case joins that case.
    late = raise_alert(world.home, risk="09", grade="黄")
    response = propose(client, [late], note="")
    assert "新建监测帮扶档案 0 份,并入已有档案 1 份" in response.content.decode()
    home_case.refresh_from_db()
    assert late.pk in set(home_case.alerts.values_list("pk", flat=True))
    assert MonitoringCase.objects.filter(household=world.home).count() == 1


def test_propose_is_all_or_nothing_and_names_the_closed_alert(client, world, people):
    officer = people["village_officer"]
    good = raise_alert(world.home)
    (other,) = villagers(world, 1)
    closed = raise_alert(other, risk="92", grade="黄")
    Alert.objects.filter(pk=closed.pk).update(status=Alert.Status.DISMISSED, closed_at=timezone.now())
    client.force_login(officer)
    html = propose(client, [good, closed]).content.decode()
    assert "所选预警线索中有 1 条已办结,不能再拟纳入:村民0(" in html
    good.refresh_from_db()
    assert good.status == Alert.Status.OPEN and not MonitoringCase.objects.exists()
    # Nothing ticked, or a number that is not an alert of the account's scope: refused, nothing written.
    html = client.post(
        reverse("monitoring:alerts_propose"), {"next": reverse(QUEUE)}, follow=True
    ).content.decode()
    assert "请先勾选要拟纳入的预警线索" in html
    far = raise_alert(world.far)
    html = propose(client, [good, far]).content.decode()
    assert "不存在或不在您的管辖范围内" in html
    far.refresh_from_db()
    assert far.status == Alert.Status.OPEN and not MonitoringCase.objects.exists()


def test_propose_needs_an_account_that_may_open_a_case(client, world, people):
    alert = raise_alert(world.home)
    client.force_login(people["county_reviewer"])  # handles alerts, but opens no case (cross-check only)
    html = propose(client, [alert]).content.decode()
    assert "您的账号不能发起监测帮扶档案" in html
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_bulk_verify_and_dismiss_across_households_each_audited(client, world, people):
    officer = people["village_officer"]
    households = villagers(world, 3)
    alerts = [raise_alert(h, risk="92", grade="橙", reason="村集中供水管道冲毁") for h in households]
    client.force_login(officer)
    response = bulk(client, alerts, "verifying")
    assert "已对 3 条预警线索开始核实" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse(QUEUE) + "?grade=%E7%BA%A2"  # 红, as the page posts it
    assert set(Alert.objects.values_list("status", flat=True)) == {Alert.Status.VERIFYING}
    html = bulk(client, alerts, "dismissed", note=" ").content.decode()
    assert "核实排除必须填写理由" in html
    assert set(Alert.objects.values_list("status", flat=True)) == {Alert.Status.VERIFYING}
    html = bulk(client, alerts, "dismissed", note="供水已于当日恢复,不影响饮水安全").content.decode()
    assert "已对 3 条预警线索核实排除" in html
    for a in Alert.objects.all():
        assert a.status == Alert.Status.DISMISSED and a.closed_by == officer
        assert a.close_note == "供水已于当日恢复,不影响饮水安全"
        assert list(
            ChangeLog.objects.filter(entity="alert", entity_id=a.pk)
            .order_by("pk")
            .values_list("changes", flat=True)
        )[-2:] == [{"status": ["open", "verifying"]}, {"status": ["verifying", "dismissed"]}]
    # The closed alerts cannot be handled again: the whole selection is refused, naming them.
    fresh = raise_alert(world.home)
    html = bulk(client, [fresh, *alerts], "verifying").content.decode()
    assert "所选预警线索中有 3 条已办结,不能再处理" in html
    fresh.refresh_from_db()
    assert fresh.status == Alert.Status.OPEN


def test_bulk_refuses_a_proposed_alert_and_a_foreign_one(client, world, people):
    officer = people["village_officer"]
    mine = raise_alert(world.home)
    (other,) = villagers(world, 1)
    proposed = raise_alert(other, risk="92")
    case_open(household=other, actor=officer, origin="alert", alerts=[proposed])
    client.force_login(officer)
    html = bulk(client, [mine, proposed], "dismissed", note="重复").content.decode()
    assert "所选预警线索中有 1 条已拟纳入监测,由监测帮扶档案办理" in html
    far = raise_alert(world.far)
    html = bulk(client, [mine, far], "verifying").content.decode()
    assert "不存在或不在您的管辖范围内" in html
    html = client.post(reverse("cases:alert_bulk"), {"alert": [mine.pk], "status": "confirmed"}, follow=True)
    assert "处理方式无效" in html.content.decode()
    assert Alert.objects.get(pk=mine.pk).status == Alert.Status.OPEN


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_the_bulk_paths_grow_by_a_small_constant_per_alert_and_household(client, world, people):
    officer = people["village_officer"]
    client.force_login(officer)
    few = [raise_alert(h, risk="92") for h in villagers(world, 2, start=10)]
    many = [raise_alert(h, risk="92") for h in villagers(world, 8, start=30)]
    q_few = _queries(lambda: bulk(client, few, "verifying"))
    q_many = _queries(lambda: bulk(client, many, "verifying"))
    # One statement per table for the writes; each alert's declarations are looked up (the signal).
    assert (q_many - q_few) <= 1 * (len(many) - len(few)), (q_few, q_many)
    # 拟纳入: one case per household, each opened by case_open (a fixed number of statements per household).
    q_few = _queries(lambda: propose(client, few))
    q_many = _queries(lambda: propose(client, many))
    per_household = (q_many - q_few) / (len(many) - len(few))
    assert per_household <= 20, (q_few, q_many)
    # Several alerts of one household cost a few statements each, not a case each.
    (one,) = villagers(world, 1, start=60)
    two = [raise_alert(one, risk="01"), raise_alert(one, risk="92")]
    (other,) = villagers(world, 1, start=61)
    five = [raise_alert(other, risk=r) for r in ("01", "07", "09", "92", "05")]
    q_two = _queries(lambda: propose(client, two))
    q_five = _queries(lambda: propose(client, five))
    assert (q_five - q_two) <= 4 * 3, (q_two, q_five)


def test_a_proposed_alert_follows_its_cases_clock_on_the_queue(client, world, people):
    officer = people["village_officer"]
    today = timezone.localdate()
    old = timezone.now() - dt.timedelta(days=10)
    # A red alert raised 10 days ago: its own 3-day deadline passed; the case's 15 days have not.
    alert = raise_alert(world.home, at=old)
    assert alert.due_date < today
    case = case_open(household=world.home, actor=officer, origin="alert", alerts=[alert])
    assert case.due_on > today
    (other,) = villagers(world, 1)
    late = raise_alert(other, risk="92", at=old)  # still to verify, past its own deadline
    overdue = list(alert_queue_for_user(officer, AlertFilters(overdue=True)))
    assert overdue == [late]
    assert alert_counts_for_user(officer)["overdue"] == 1
    client.force_login(officer)
    html = client.get(reverse(QUEUE)).content.decode()
    assert reverse("monitoring:case_detail", args=[case.pk]) in html
    assert f"拟纳入 · 认定剩 {(case.due_on - today).days} 天" in html
    # Only the alerts still to verify can be ticked.
    assert f'name="alert" value="{late.pk}"' in html and f'name="alert" value="{alert.pk}"' not in html
    # The case's clock passes: the proposed alert is overdue, whatever its own date says.
    MonitoringCase.objects.filter(pk=case.pk).update(due_on=today - dt.timedelta(days=1))
    assert set(alert_queue_for_user(officer, AlertFilters(overdue=True))) == {late, alert}
    assert alert_counts_for_user(officer)["overdue"] == 2
    html = client.get(reverse(QUEUE)).content.decode()
    assert "拟纳入 · 认定已超期 1 天" in html


def test_evidence_during_identification_joins_the_proposed_alert(world, people):
    """New evidence of the risk while the case is being identified joins the 拟纳入 alert (it is open); once
    the county approves, the household is monitored for it and the evidence is kept for the case."""
    officer = people["village_officer"]
    alert = raise_alert(world.home)
    case = case_open(household=world.home, actor=officer, origin="alert", alerts=[alert])
    assert not household_monitored_for(world.home, "01")
    joined = raise_alert(world.home, channel="cadre_visit", grade="橙", reason="走访:户主住院")
    assert joined.pk == alert.pk and joined.status == Alert.Status.PROPOSED
    assert joined.evidence_count == 2 and Alert.objects.filter(household=world.home).count() == 1
    walk_case(case, lc.MONITORING, step_actors(people), start=timezone.localdate() - dt.timedelta(days=40))
    assert household_monitored_for(world.home, "01")
    evidence = alert_add_evidence(
        household=world.home,
        region=world.village,
        risk_code="01",
        channel="cadre_visit",
        grade="黄",
        reason="回访:仍在治疗",
        dedup_parts=("after",),
    )
    assert evidence is not None and evidence.alert is None
    assert Alert.objects.filter(household=world.home).count() == 1


def test_a_refused_case_rules_its_alerts_out(world, people):
    officer = people["village_officer"]
    alert = raise_alert(world.home)
    case = case_open(household=world.home, actor=officer, origin="alert", alerts=[alert])
    case_refuse(case=case, actor=officer, seq=case.seq, reason="经入户核实,费用已由商业保险报销")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.DISMISSED
    assert alert.close_note == "不予纳入:经入户核实,费用已由商业保险报销"
    assert AlertEvidence.objects.filter(alert=alert).count() == 1
