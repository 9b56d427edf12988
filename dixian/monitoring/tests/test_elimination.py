"""Risk elimination and 回头看 (docs/domain.md §7, §20): the panel, the proposal, the county's recheck,
the follow-up checks and a new risk that reopens monitoring."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from dixian.cases.tests.helpers import raise_alert
from dixian.domain import lifecycle as lc
from dixian.monitoring.follow_ups import follow_up_record
from dixian.monitoring.models import CaseTransition, FollowUpCheck, MonitoringCase
from dixian.monitoring.panels import case_panels_for
from dixian.monitoring.services import case_advance, case_open
from dixian.monitoring.testing import walk_case
from dixian.registry.models import HouseholdIncome, Person
from dixian.registry.testing import build_world, personas, step_actors

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def people(world):
    return personas(world)


@pytest.fixture
def income_line():
    from dixian.registry.models import IncomeLine

    line, _ = IncomeLine.objects.get_or_create(year=2025, region=None, defaults={"amount": Decimal("7500")})
    return line


def monitored(world, people, *, months_ago: int = 7) -> MonitoringCase:
    """A case of `home` in 监测帮扶中, identified `months_ago` months ago."""
    today = timezone.localdate()
    start = today - dt.timedelta(days=40)
    case = case_open(
        household=world.home,
        actor=people["village_officer"],
        origin="manual",
        reason="走访发现",
        first_clue_on=start,
        on=start,
    )
    case = walk_case(case, lc.MONITORING, step_actors(people), start=start)
    MonitoringCase.objects.filter(pk=case.pk).update(identified_on=lc.months_after(today, -months_ago))
    case.refresh_from_db()
    return case


def panel_html(user, case, name: str) -> str:
    """The panel as the case page renders it: through the registry MonitoringConfig.ready() fills."""
    request = RequestFactory().get(f"/monitoring/{case.pk}/")
    request.user = user
    (panel,) = [p for p in case_panels_for(user, case) if p.name == name]
    return render_to_string(panel.template, panel.context, request=request)


def test_the_panel_shows_each_criterion_and_the_form_only_when_all_hold(world, people, income_line):
    case = monitored(world, people, months_ago=2)
    officer = people["village_officer"]
    html = panel_html(officer, case, "elimination")
    assert "识别纳入满6个月" in html and "✗ 不满足" in html
    assert "尚有条件不满足" in html and "提出风险消除</button>" not in html
    case = monitored_again(case, months_ago=7)
    walk_measure(case)
    html = panel_html(officer, case, "elimination")
    assert "✗ 不满足" not in html and "提出风险消除</button>" in html
    # The township sees the criteria, not the village's form.
    assert "提出风险消除</button>" not in panel_html(people["township_reviewer"], case, "elimination")


def monitored_again(case: MonitoringCase, *, months_ago: int) -> MonitoringCase:
    MonitoringCase.objects.filter(pk=case.pk).update(
        identified_on=lc.months_after(timezone.localdate(), -months_ago)
    )
    case.refresh_from_db()
    return case


def walk_measure(case: MonitoringCase) -> None:
    from dixian.monitoring.models import Measure

    Measure.objects.create(
        case=case,
        category="industry",
        item="产业奖补",
        start_on=timezone.localdate(),
        deliverer="县农业农村局",
        status=Measure.Status.APPLIED,
        applied_on=timezone.localdate(),
    )


def test_a_household_without_labour_capacity_shows_red_and_cannot_be_proposed(
    client, world, people, income_line
):
    case = monitored(world, people)
    walk_measure(case)
    Person.objects.filter(household=world.home).update(labour_skill="none")
    officer = people["village_officer"]
    html = panel_html(officer, case, "elimination")
    assert "无劳动能力户不标注风险消除" in html and "有劳动能力成员0人" in html
    assert "提出风险消除</button>" not in html
    # Posted anyway (a form drawn before the change): refused with the reason, nothing moves.
    client.force_login(officer)
    page = f"/households/{world.home.pk}/"
    response = client.post(
        reverse("monitoring:elimination_propose", args=[case.pk]),
        {
            "seq": case.seq,
            "method": lc.ASSISTED,
            "on": timezone.localdate().isoformat(),
            "reason": "已稳定",
            "next": page,
        },
        follow=False,
    )
    assert response.status_code == 302 and response["Location"] == page
    case.refresh_from_db()
    assert case.state == lc.MONITORING
    shown = [str(m) for m in response.wsgi_request._messages]
    assert any("劳动能力" in m for m in shown)


def test_the_village_proposes_and_the_panel_then_rechecks_live(client, world, people, income_line):
    case = monitored(world, people)
    walk_measure(case)
    officer = people["village_officer"]
    client.force_login(officer)
    url = reverse("monitoring:elimination_propose", args=[case.pk])
    form = {
        "seq": case.seq,
        "method": lc.NATURAL,
        "on": timezone.localdate().isoformat(),
        "reason": "患者已康复",
    }
    response = client.post(url, form)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == lc.ELIM_CHECK and case.elimination.method == lc.NATURAL
    assert all(c["met"] for c in case.elimination.criteria)
    # The same form posted again writes nothing more.
    client.post(url, form)
    assert case.transitions.filter(from_state=lc.MONITORING).count() == 1
    # Income falls after the proposal: the panel shows the criterion red beside its green snapshot.
    HouseholdIncome.objects.filter(household=world.home).update(net_income_per_capita=Decimal("5000"))
    html = panel_html(people["county_admin"], case, "elimination")
    assert "今天核对" in html and "条件现在不满足" in html and "5,000元" in html


def test_the_county_approval_is_refused_when_a_criterion_no_longer_holds(world, people, income_line):
    case = monitored(world, people)
    today = timezone.localdate()
    case = walk_case(case, lc.ELIM_COUNTY, step_actors(people), start=today - dt.timedelta(days=20))
    raise_alert(world.home)  # a new risk since the proposal
    with pytest.raises(ValidationError, match="没有新的未办结预警"):
        case_advance(case=case, actor=people["county_admin"], seq=case.seq, on=today)
    case.refresh_from_db()
    assert case.state == lc.ELIM_COUNTY and not FollowUpCheck.objects.filter(case=case).exists()


def test_natural_elimination_in_the_month_after_identification_is_refused_too(world, people, income_line):
    # docs/domain.md §7 flags an elimination in the month of identification or the next unless natural;
    # the platform's six-month rule is stricter and holds for both methods.
    case = monitored(world, people, months_ago=1)
    walk_measure(case)
    with pytest.raises(ValidationError, match="识别纳入满6个月"):
        case_advance(case=case, actor=people["village_officer"], seq=case.seq, method=lc.NATURAL)


def eliminated(world, people) -> MonitoringCase:
    case = monitored(world, people, months_ago=8)
    today = timezone.localdate()
    return walk_case(case, lc.ELIMINATED, step_actors(people), start=today - dt.timedelta(days=20))


def test_approval_schedules_follow_ups_at_three_and_six_months(world, people, income_line):
    case = eliminated(world, people)
    due = sorted(FollowUpCheck.objects.filter(case=case).values_list("due_on", flat=True))
    assert case.eliminated_on is not None
    assert due == [lc.months_after(case.eliminated_on, m) for m in lc.FOLLOW_UP_MONTHS]
    last = case.transitions.order_by("-seq").first()
    assert last.data["follow_ups"] == [d.isoformat() for d in due]
    assert all(c["met"] for c in last.data["criteria"])  # as rechecked on the day of approval
    html = panel_html(people["village_officer"], case, "elimination")
    assert "已消除风险" in html and "帮扶消除" in html and "提出时" in html and "今天核对" not in html
    assert "记录回头看" in panel_html(people["village_officer"], case, "follow_ups")
    assert "记录回头看" not in panel_html(people["leader"], case, "follow_ups")


def test_a_stable_follow_up_is_recorded_once_on_the_closed_case(client, world, people, income_line):
    case = eliminated(world, people)
    check = FollowUpCheck.objects.filter(case=case).order_by("due_on").first()
    officer = people["village_officer"]
    client.force_login(officer)
    url = reverse("monitoring:follow_up_record", args=[check.pk])
    page = client.get(url)
    assert page.status_code == 200 and "保存回头看" in page.content.decode()
    form = {"result": "stable", "on": timezone.localdate().isoformat(), "note": ""}
    assert client.post(url, form).status_code == 302
    again = client.post(url, form)
    assert "已经记录过" in again.content.decode()
    check.refresh_from_db()
    case.refresh_from_db()
    assert check.result == "stable" and check.done_by == officer
    assert case.state == lc.ELIMINATED and not case.is_open
    follow = case.transitions.filter(action=CaseTransition.Action.FOLLOW_UP)
    assert follow.count() == 1 and follow.get().from_state == follow.get().to_state == lc.ELIMINATED
    assert MonitoringCase.objects.filter(household=world.home).count() == 1


def test_a_new_risk_reopens_monitoring_as_a_new_episode(world, people, income_line):
    case = eliminated(world, people)
    check = FollowUpCheck.objects.filter(case=case).first()
    assert check is not None
    with pytest.raises(ValidationError, match="写明情况"):
        follow_up_record(
            follow_up=check,
            actor=people["village_officer"],
            result="new_risk",
            note=" ",
            on=timezone.localdate(),
        )
    with pytest.raises(PermissionDenied):
        follow_up_record(
            follow_up=check, actor=people["helper"], result="stable", note="", on=timezone.localdate()
        )
    reopened = follow_up_record(
        follow_up=check,
        actor=people["village_officer"],
        result="new_risk",
        note="户主再次住院,自付费用较高",
        on=timezone.localdate(),
    )
    assert reopened is not None and reopened.pk != case.pk
    assert reopened.episode == case.episode + 1 and reopened.previous_id == case.pk
    assert reopened.origin == MonitoringCase.Origin.REOPEN and "再次住院" in reopened.origin_note
    assert reopened.state == lc.HOME_CHECK
    case.refresh_from_db()
    assert case.state == lc.ELIMINATED
    assert case.transitions.get(action=CaseTransition.Action.FOLLOW_UP).data["reopened_case"] == reopened.pk


def test_the_follow_up_list_is_scoped_and_marks_what_is_due(client, world, people, income_line):
    case = eliminated(world, people)
    FollowUpCheck.objects.filter(case=case).update(due_on=timezone.localdate() - dt.timedelta(days=1))
    client.force_login(people["village_officer"])
    html = client.get(reverse("monitoring:follow_ups")).content.decode()
    assert world.home.head_name in html and "badge red" in html and "记录</a>" in html
    client.force_login(people["other_county_reviewer"])
    html = client.get(reverse("monitoring:follow_ups")).content.decode()
    assert world.home.head_name not in html and "没有待开展的回头看" in html
    # The township sees the list but records nothing (the village does).
    client.force_login(people["township_reviewer"])
    html = client.get(reverse("monitoring:follow_ups")).content.decode()
    assert world.home.head_name in html and "记录</a>" not in html
    panel = panel_html(people["village_officer"], case, "follow_ups")
    assert "记录回头看" in panel
