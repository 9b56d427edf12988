"""A visit that ticks a risk raises an alert (channel cadre_visit) for the village to verify."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dixian.cases.models import Alert, AlertEvidence
from dixian.cases.services import alert_add_evidence
from dixian.common.access import scope_by_region
from dixian.common.models import ChangeLog
from dixian.visits.models import VISIT_RISK_CODE, Visit
from dixian.visits.services import VISIT_RISK_GRADE

from .helpers import record

pytestmark = pytest.mark.django_db


def test_a_ticked_risk_raises_an_alert_the_village_sees(world, people, today):
    officer = people["village_officer"]
    officer.first_name = "陈小明"
    officer.save()
    visit = record(world.home, officer, on=dt.date(2026, 11, 18), risks=["housing"])
    alert = Alert.objects.get()
    assert (alert.household, alert.region, alert.risk_code) == (world.home, world.village, "91")
    assert alert.channels == ["cadre_visit"] and alert.grade == "红" and alert.status == "open"
    assert alert.reason == "2026-11-18 走访发现:住房不安全(走访人 陈小明)"
    assert alert.due_date == dt.date(2026, 11, 23)  # 红: within 3 days of today
    evidence = AlertEvidence.objects.get()
    assert (evidence.alert, evidence.visit, evidence.channel) == (alert, visit, "cadre_visit")
    assert list(scope_by_region(officer, Alert.objects.all())) == [alert]
    assert not scope_by_region(people["other_county_reviewer"], Alert.objects.all()).exists()
    assert ChangeLog.objects.filter(entity="alert", household_id=world.home.pk).count() == 1


def test_a_phone_call_says_so_in_the_reason(world, people, today):
    record(world.home, people["village_officer"], on=today, risks=["income_drop"], method="phone")
    alert = Alert.objects.get()
    assert alert.reason.startswith("2026-11-20 电话联系发现:收入骤减") and alert.grade == "黄"


def test_two_risks_raise_two_alerts(world, people, today):
    visit = record(world.home, people["village_officer"], on=today, risks=["water", "illness"])
    assert visit.risks == ["illness", "water"] and visit.has_risks  # in checklist order
    alerts = {a.risk_code: a for a in Alert.objects.all()}
    assert set(alerts) == {"01", "92"}
    assert {a.grade for a in alerts.values()} == {"橙"}
    assert AlertEvidence.objects.filter(visit=visit).count() == 2


def test_an_open_alert_of_the_same_risk_gets_the_evidence_instead_of_a_second_alert(world, people, today):
    department = alert_add_evidence(
        household=world.home,
        region=world.village,
        risk_code="01",
        channel="department",
        grade="黄",
        reason="2026年1-10月门诊慢特病个人负担 620 元(规则 R02)",
        dedup_parts=("R02", "2026-10"),
        at=timezone.now() - dt.timedelta(days=2),
    )
    alert = department.alert
    record(world.home, people["village_officer"], on=today, risks=["illness"])
    assert Alert.objects.count() == 1
    alert.refresh_from_db()
    assert alert.channels == ["department", "cadre_visit"] and alert.evidence_count == 2
    assert alert.grade == "橙"  # the visit's grade is more urgent
    assert "走访发现:患病 / 医疗支出大" in alert.reason


def test_a_closed_alert_does_not_swallow_a_new_risk(world, people, today):
    record(world.home, people["village_officer"], on=today - dt.timedelta(days=10), risks=["disaster"])
    Alert.objects.update(status=Alert.Status.DISMISSED)
    record(world.home, people["village_officer"], on=today, risks=["disaster"])
    assert Alert.objects.filter(status=Alert.Status.OPEN).count() == 1 and Alert.objects.count() == 2


def test_a_risk_the_household_is_monitored_for_goes_to_its_case_not_to_a_second_alert(
    client, world, people, today
):
    """Confirmed for illness (01): a visit that ticks illness again is evidence for the case, as a
    screening run files department evidence; a risk it is not monitored for still raises an alert."""
    record(world.home, people["village_officer"], on=today - dt.timedelta(days=10), risks=["illness"])
    Alert.objects.update(status=Alert.Status.CONFIRMED)

    visit = record(world.home, people["village_officer"], on=today, risks=["illness", "water"])

    assert Alert.objects.filter(status__in=Alert.OPEN_STATUSES).get().risk_code == "92"
    kept = AlertEvidence.objects.get(visit=visit, risk_code="01")
    assert kept.alert is None
    client.force_login(people["village_officer"])
    html = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert "该户已因此风险纳入监测,记入监测档案" in html


def test_submitting_the_same_visit_again_changes_nothing(world, people, today):
    officer = people["village_officer"]
    first = record(world.home, officer, on=today, risks=["housing", "schooling"], notes="屋顶漏雨")
    again = record(world.home, officer, on=today, risks=["schooling", "housing"], notes="屋顶漏雨")
    assert again == first
    assert Visit.objects.count() == 1 and AlertEvidence.objects.count() == 2
    assert ChangeLog.objects.filter(entity="visit").count() == 1


def test_a_second_record_of_the_same_day_adds_no_evidence(world, people, today):
    officer = people["village_officer"]
    record(world.home, officer, on=today, risks=["housing"], notes="屋顶漏雨")
    record(world.home, officer, on=today, risks=["housing"], notes="屋顶漏雨,已拍照")
    assert Visit.objects.count() == 2
    assert AlertEvidence.objects.count() == 1 and Alert.objects.get().evidence_count == 1


def test_visits_on_two_days_are_two_pieces_of_evidence_on_one_alert(world, people, today):
    officer = people["village_officer"]
    record(world.home, officer, on=today - dt.timedelta(days=7), risks=["job_loss"])
    record(world.home, officer, on=today, risks=["job_loss"])
    alert = Alert.objects.get()
    assert alert.evidence_count == 2 and AlertEvidence.objects.filter(alert=alert).count() == 2
    assert alert.risk_code == VISIT_RISK_CODE["job_loss"] == "07"


def test_a_visit_without_risks_raises_nothing(world, people, today):
    visit = record(world.home, people["village_officer"], on=today)
    assert not visit.has_risks and not Alert.objects.exists()


def test_every_checklist_risk_has_a_known_code_and_grade(world, people, today):
    visit = record(world.home, people["village_officer"], on=today, risks=list(VISIT_RISK_CODE))
    assert Alert.objects.count() == len(VISIT_RISK_CODE) == len(VISIT_RISK_GRADE)
    assert {a.grade for a in Alert.objects.all()} == {"红", "橙", "黄"}
    assert len(visit.risks) == 9


def test_the_visit_page_links_each_risk_to_its_alert(client, world, people, today):
    visit = record(world.home, people["village_officer"], on=today, risks=["housing", "income_drop"])
    client.force_login(people["village_officer"])
    page = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    for alert in Alert.objects.all():
        assert reverse("cases:alert_detail", args=[alert.pk]) in page
    assert "2026-11-20 走访发现:住房不安全" in page and "2026-11-20 走访发现:收入骤减" in page
