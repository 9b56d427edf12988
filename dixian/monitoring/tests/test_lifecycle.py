"""The state machine of a monitoring case (docs/domain.md §20), through its services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dixian.cases.models import Alert
from dixian.cases.tests.helpers import raise_alert
from dixian.domain import lifecycle as lc
from dixian.monitoring.models import CaseTransition, MonitoringCase
from dixian.monitoring.services import case_advance, case_open, case_refuse, case_send_back
from dixian.monitoring.testing import authorisation_on_file, walk_case
from dixian.registry.testing import build_world, personas, step_actors

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def people(world):
    return personas(world)


def test_an_alert_opens_a_case_that_walks_to_monitoring_and_the_household_follows(world, people):
    alert = raise_alert(world.home, at=timezone.now() - dt.timedelta(days=40))
    start = timezone.localdate() - dt.timedelta(days=39)
    case = case_open(
        household=world.home, actor=people["village_officer"], origin="alert", alerts=[alert], on=start
    )
    alert.refresh_from_db()
    assert alert.status == Alert.Status.PROPOSED and case.state == lc.HOME_CHECK
    assert case.due_on == timezone.localdate(alert.raised_at) + dt.timedelta(days=15)
    case = walk_case(case, lc.MONITORING, step_actors(people), start=start)
    world.home.refresh_from_db()
    alert.refresh_from_db()
    assert world.home.monitoring_category == "edge" and case.identified_on is not None
    assert alert.status == Alert.Status.CONFIRMED
    assert [t.to_state for t in case.transitions.order_by("seq")] == list(lc.IDENTIFICATION_PATH)


def test_each_step_is_done_only_by_its_owner(world, people):
    case = case_open(
        household=world.home, actor=people["village_officer"], origin="manual", reason="走访发现"
    )
    authorisation_on_file(case)
    data = {"category": "edge", "risk_codes": ["01"]}
    for who in ("township_reviewer", "county_reviewer", "county_admin", "helper", "leader"):
        with pytest.raises(PermissionDenied):
            case_advance(case=case, actor=people[who], seq=case.seq, data=data)
    case = case_advance(case=case, actor=people["village_officer"], seq=case.seq, data=data)
    assert case.state == lc.ASSET_CHECK
    with pytest.raises(PermissionDenied):
        case_advance(case=case, actor=people["village_officer"], seq=case.seq)


def test_a_double_submission_writes_one_transition(world, people):
    case = case_open(
        household=world.home, actor=people["village_officer"], origin="manual", reason="走访发现"
    )
    authorisation_on_file(case)
    seq = case.seq
    data = {"category": "edge", "risk_codes": ["01"]}
    case_advance(case=case, actor=people["village_officer"], seq=seq, data=data)
    with pytest.raises(ValidationError, match="重复提交"):
        case_advance(case=case, actor=people["village_officer"], seq=seq, data=data)
    assert case.transitions.filter(action=CaseTransition.Action.ADVANCE).count() == 1


def test_the_home_check_needs_the_signed_authorisation_and_at_most_five_risks(world, people):
    case = case_open(
        household=world.home, actor=people["village_officer"], origin="manual", reason="走访发现"
    )
    officer = people["village_officer"]
    with pytest.raises(ValidationError, match="承诺授权书"):
        case_advance(case=case, actor=officer, seq=case.seq, data={"category": "edge", "risk_codes": ["01"]})
    authorisation_on_file(case)
    with pytest.raises(ValidationError, match="最多"):
        case_advance(
            case=case, actor=officer, seq=case.seq, data={"category": "edge", "risk_codes": list("0123456")}
        )
    with pytest.raises(ValidationError, match="类别"):
        case_advance(case=case, actor=officer, seq=case.seq, data={"risk_codes": ["01"]})


def test_the_notice_cannot_close_before_five_full_days(world, people):
    start = timezone.localdate() - dt.timedelta(days=3)
    case = case_open(
        household=world.home, actor=people["village_officer"], origin="manual", reason="走访发现", on=start
    )
    case = walk_case(case, lc.PUBLIC_NOTICE, step_actors(people), start=start)
    posted = case.notice_posted_on
    assert posted is not None
    with pytest.raises(ValidationError, match="5个整天"):
        case_advance(case=case, actor=people["village_officer"], seq=case.seq, on=timezone.localdate())
    assert MonitoringCase.objects.get(pk=case.pk).state == lc.PUBLIC_NOTICE


def test_send_back_and_refusal_need_a_reason_and_refusal_rules_out_the_alerts(world, people):
    alert = raise_alert(world.home)
    case = case_open(household=world.home, actor=people["village_officer"], origin="alert", alerts=[alert])
    case = walk_case(case, lc.ASSET_CHECK, step_actors(people), start=timezone.localdate())
    with pytest.raises(ValidationError, match="理由"):
        case_send_back(
            case=case, actor=people["county_reviewer"], seq=case.seq, to_state=lc.HOME_CHECK, reason=" "
        )
    case = case_send_back(
        case=case,
        actor=people["county_reviewer"],
        seq=case.seq,
        to_state=lc.HOME_CHECK,
        reason="授权书签字不清",
    )
    assert case.state == lc.HOME_CHECK
    with pytest.raises(ValidationError, match="理由"):
        case_refuse(case=case, actor=people["village_officer"], seq=case.seq, reason="")
    case = case_refuse(
        case=case, actor=people["village_officer"], seq=case.seq, reason="家庭有商品房两套,收入较高"
    )
    alert.refresh_from_db()
    assert case.state == lc.REFUSED and alert.status == Alert.Status.DISMISSED
    assert "不予纳入" in alert.close_note


def test_county_approval_needs_a_helper(world, people):
    from dixian.registry.models import HelperAssignment

    HelperAssignment.objects.all().delete()
    start = timezone.localdate() - dt.timedelta(days=10)
    case = case_open(
        household=world.home, actor=people["village_officer"], origin="manual", reason="走访发现", on=start
    )
    case = walk_case(case, lc.COUNTY_APPROVAL, step_actors(people), start=start)
    with pytest.raises(ValidationError, match="帮扶联系人"):
        case_advance(case=case, actor=people["county_admin"], seq=case.seq)


def test_elimination_before_six_months_or_without_labour_is_refused_then_allowed(world, people):
    from dixian.registry.models import Person

    today = timezone.localdate()
    early = today - dt.timedelta(days=30)
    case = case_open(
        household=world.home,
        actor=people["village_officer"],
        origin="manual",
        reason="走访发现",
        first_clue_on=early,
        on=early,
    )
    case = walk_case(case, lc.MONITORING, step_actors(people), start=early)
    officer = people["village_officer"]
    with pytest.raises(ValidationError, match="识别纳入满6个月"):
        case_advance(case=case, actor=officer, seq=case.seq, method=lc.ASSISTED)
    # Identified seven months ago (as an imported household would be), with a measure applied.
    MonitoringCase.objects.filter(pk=case.pk).update(identified_on=lc.months_after(today, -7))
    case.refresh_from_db()
    Person.objects.filter(household=world.home).update(labour_skill="none")
    with pytest.raises(ValidationError, match="劳动能力"):
        walk_case(case, lc.ELIM_CHECK, step_actors(people), start=today)
    Person.objects.filter(household=world.home).update(labour_skill="ordinary")
    case = walk_case(case, lc.ELIMINATED, step_actors(people), start=today - dt.timedelta(days=20))
    world.home.refresh_from_db()
    assert world.home.monitoring_category == "" and case.eliminated_on is not None
    assert case.elimination.method == lc.ASSISTED and case.elimination.approved_on == case.eliminated_on
    assert not case.is_open


def test_history_cannot_be_changed_or_deleted(world, people):
    case = case_open(
        household=world.home, actor=people["village_officer"], origin="manual", reason="走访发现"
    )
    transition = case.transitions.get()
    transition.reason = "改写"
    with pytest.raises(ValidationError):
        transition.save()
    with pytest.raises(ValidationError):
        transition.delete()


def test_a_moved_household_takes_its_cases_to_the_new_village(world, people):
    from dixian.registry.services import household_update

    case = case_open(
        household=world.home, actor=people["village_officer"], origin="manual", reason="走访发现"
    )
    household_update(actor=None, household=world.home, data={}, region=world.other_village)
    case.refresh_from_db()
    assert (case.region, case.region_code) == (world.other_village, world.other_village.code)
    # The old village's officer no longer reaches it; the case follows the household.
    with pytest.raises(PermissionDenied):
        case_advance(case=case, actor=people["village_officer"], seq=case.seq)


def test_an_approved_case_is_neither_refused_nor_sent_back(world, people):
    start = timezone.localdate() - dt.timedelta(days=12)
    case = case_open(
        household=world.home, actor=people["village_officer"], origin="manual", reason="走访发现", on=start
    )
    case = walk_case(case, lc.ANNOUNCEMENT, step_actors(people), start=start)
    assert lc.earlier_states(case.state) == () and not lc.can_refuse(case.state)
    with pytest.raises(ValidationError, match="不能作不予纳入处理"):
        case_refuse(case=case, actor=people["township_reviewer"], seq=case.seq, reason="改变主意")
    world.home.refresh_from_db()
    assert world.home.monitoring_category == "edge"


def test_a_risk_joined_during_elimination_stays_open_and_stops_the_approval(world, people):
    today = timezone.localdate()
    early = today - dt.timedelta(days=40)
    case = case_open(
        household=world.home,
        actor=people["village_officer"],
        origin="manual",
        reason="走访发现",
        first_clue_on=early,
        on=early,
    )
    case = walk_case(case, lc.MONITORING, step_actors(people), start=early)
    MonitoringCase.objects.filter(pk=case.pk).update(identified_on=lc.months_after(today, -7))
    case.refresh_from_db()
    case = walk_case(case, lc.ELIM_COUNTY, step_actors(people), start=today - dt.timedelta(days=20))
    alert = raise_alert(world.home, risk="05")
    case = case_open(household=world.home, actor=people["village_officer"], origin="alert", alerts=[alert])
    alert.refresh_from_db()
    assert alert.status == Alert.Status.PROPOSED
    with pytest.raises(ValidationError, match="预警"):
        case_advance(case=case, actor=people["county_admin"], seq=case.seq, on=today)
