"""A case's assistance (一户一策, docs/domain.md §6, §20): its 帮扶联系人, its plan of measures, what the case
page proposes and warns about, through the services and the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dixian.accounts.models import Role
from dixian.common.models import ChangeLog
from dixian.common.testing import persona
from dixian.domain import lifecycle as lc
from dixian.monitoring import assistance
from dixian.monitoring.models import Measure, MonitoringCase
from dixian.monitoring.services import case_open
from dixian.monitoring.testing import walk_case
from dixian.registry.models import HelperAssignment, Person
from dixian.registry.selectors import household_scope_for_user
from dixian.registry.testing import step_actors

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def opened(world, people, household=None) -> MonitoringCase:
    # The township opens cases in both of its villages.
    return case_open(
        household=household or world.home,
        actor=people["township_reviewer"],
        origin="manual",
        reason="走访发现",
    )


def monitored(world, people, *, days_ago: int = 60, risks=("01",)) -> MonitoringCase:
    case = opened(world, people)
    start = TODAY() - dt.timedelta(days=days_ago)
    return walk_case(case, lc.MONITORING, step_actors(people), start=start, risk_codes=risks)


def measure_data(**extra) -> dict:
    return {
        "category": "industry",
        "item": "产业奖补",
        "detail": "养殖黄牛2头",
        "start_on": TODAY(),
        "end_on": None,
        "amount": Decimal("3000"),
        "deliverer": "县农业农村局",
        **extra,
    }


# --- 帮扶联系人 ----------------------------------------------------------------------------------------------


def test_the_candidates_are_the_accounts_above_the_household_that_may_help(world, people):
    away = persona("away_helper", world.other_village, Role.HELPER)
    gone = persona("gone_helper", world.village, Role.HELPER)
    gone.is_active = False
    gone.save()
    names = {u.username for u in assistance.helper_candidates(world.home)}
    assert {"helper", "village_officer", "township_reviewer"} <= names
    # No helper's or front-line capability, another village, another county, a deactivated account.
    assert not names & {"county_admin", "city_admin", "leader", away.username, gone.username}
    assert "other_county_reviewer" not in names


def test_the_village_pairs_a_helper_who_then_sees_the_household_and_it_is_logged(world, people):
    case = opened(world, people, world.neighbour)
    cadre = persona("cadre", world.township, Role.HELPER)
    assert world.neighbour not in household_scope_for_user(cadre)
    assignment = assistance.helper_assign(
        case=case, actor=people["township_reviewer"], helper=cadre, unit="县农业农村局", start_date=TODAY()
    )
    assert world.neighbour in household_scope_for_user(cadre)
    log = ChangeLog.objects.get(entity="helper_assignment", entity_id=assignment.pk)
    assert log.household_id == world.neighbour.pk and "县农业农村局" in log.summary
    with pytest.raises(ValidationError, match="已是该户的帮扶联系人"):
        assistance.helper_assign(
            case=case, actor=people["township_reviewer"], helper=cadre, unit="", start_date=TODAY()
        )


def test_only_the_village_and_township_of_the_household_pair_helpers(world, people):
    case = opened(world, people)
    cadre = persona("cadre", world.village, Role.HELPER)
    for who in ("helper", "county_admin", "leader"):
        with pytest.raises(PermissionDenied):
            assistance.helper_assign(case=case, actor=people[who], helper=cadre, unit="", start_date=TODAY())
    other = persona("other_officer", world.far_village, Role.VILLAGE_OFFICER)
    with pytest.raises(PermissionDenied):
        assistance.helper_assign(case=case, actor=other, helper=cadre, unit="", start_date=TODAY())
    away = persona("away", world.far_village, Role.HELPER)
    with pytest.raises(ValidationError, match="不能作为该户的帮扶联系人"):
        assistance.helper_assign(
            case=case, actor=people["village_officer"], helper=away, unit="", start_date=TODAY()
        )
    with pytest.raises(ValidationError, match="晚于今天"):
        assistance.helper_assign(
            case=case,
            actor=people["village_officer"],
            helper=cadre,
            unit="",
            start_date=TODAY() + dt.timedelta(days=1),
        )


def test_a_monitored_household_keeps_a_helper_until_another_is_in_place(world, people):
    case = monitored(world, people)
    current = HelperAssignment.objects.get(household=world.home, helper=people["helper"])
    officer = people["village_officer"]
    with pytest.raises(ValidationError, match="请先安排新的帮扶联系人"):
        assistance.helper_end(case=case, actor=officer, assignment=current, end_date=TODAY())
    cadre = persona("cadre", world.village, Role.HELPER)
    assistance.helper_assign(case=case, actor=officer, helper=cadre, unit="驻村工作队", start_date=TODAY())
    with pytest.raises(ValidationError, match="不能早于结对开始日期"):
        assistance.helper_end(case=case, actor=officer, assignment=current, end_date=dt.date(2024, 1, 1))
    assistance.helper_end(case=case, actor=officer, assignment=current, end_date=TODAY())
    # The old helper's pairing counts up to (not including) its end date: the household leaves its scope.
    assert world.home not in household_scope_for_user(people["helper"])
    assert world.home in household_scope_for_user(cadre)


# --- 帮扶措施 ------------------------------------------------------------------------------------------------


def test_a_plan_is_drafted_while_identifying_and_applied_only_after_county_approval(world, people):
    case = opened(world, people)
    officer = people["village_officer"]
    measure = assistance.measure_create(case=case, actor=officer, data=measure_data())
    assert measure.status == Measure.Status.PLANNED
    with pytest.raises(ValidationError, match="县级审定纳入监测后"):
        assistance.measure_set_status(
            case=case, measure=measure, actor=officer, status=Measure.Status.APPLIED, on=TODAY()
        )
    case = walk_case(case, lc.MONITORING, step_actors(people), start=TODAY() - dt.timedelta(days=30))
    measure = assistance.measure_set_status(
        case=case, measure=measure, actor=officer, status=Measure.Status.APPLIED, on=TODAY()
    )
    assert measure.status == Measure.Status.APPLIED and measure.applied_on == TODAY()
    # A second click of the same button finds it done and writes nothing.
    with pytest.raises(ValidationError, match="重复提交"):
        assistance.measure_set_status(
            case=case, measure=measure, actor=officer, status=Measure.Status.APPLIED, on=TODAY()
        )
    measure = assistance.measure_set_status(
        case=case, measure=measure, actor=officer, status=Measure.Status.FINISHED, on=TODAY()
    )
    assert measure.end_on == TODAY()
    with pytest.raises(ValidationError, match="不能再修改"):
        assistance.measure_update(case=case, measure=measure, actor=officer, data=measure_data(item="改"))
    logs = ChangeLog.objects.filter(entity="measure", entity_id=measure.pk).order_by("at", "id")
    assert [row.changes.get("status") for row in logs][1:] == [
        ["planned", "applied"],
        ["applied", "finished"],
    ]


def test_cancelling_needs_a_reason_and_a_closed_case_is_read_only(world, people):
    case = monitored(world, people)
    officer = people["village_officer"]
    measure = assistance.measure_create(case=case, actor=officer, data=measure_data())
    with pytest.raises(ValidationError, match="理由"):
        assistance.measure_set_status(
            case=case, measure=measure, actor=officer, status=Measure.Status.CANCELLED, on=TODAY()
        )
    assistance.measure_set_status(
        case=case,
        measure=measure,
        actor=officer,
        status=Measure.Status.CANCELLED,
        on=TODAY(),
        note="户主外出务工",
    )
    assert Measure.objects.get(pk=measure.pk).status_note == "户主外出务工"
    MonitoringCase.objects.filter(pk=case.pk).update(state=lc.ELIMINATED)
    case.refresh_from_db()
    with pytest.raises(ValidationError, match="已消除风险"):
        assistance.measure_create(case=case, actor=officer, data=measure_data())


def test_the_helper_plans_for_its_own_household_and_no_other(world, people):
    own = opened(world, people)
    other = opened(world, people, world.neighbour)
    helper = people["helper"]
    assert assistance.measure_create(case=own, actor=helper, data=measure_data()).created_by == helper
    with pytest.raises(PermissionDenied):
        assistance.measure_create(case=other, actor=helper, data=measure_data())
    with pytest.raises(PermissionDenied):
        assistance.measure_create(case=own, actor=people["leader"], data=measure_data())


def test_bad_measure_input_is_refused_in_plain_chinese(world, people):
    case = opened(world, people)
    officer = people["village_officer"]
    for data, message in (
        (measure_data(category="lottery"), "措施类别"),
        (measure_data(item="  "), "具体措施"),
        (measure_data(end_on=TODAY() - dt.timedelta(days=1)), "结束日期不能早于开始日期"),
        (measure_data(amount=Decimal("-1")), "负数"),
        (measure_data(deliverer=""), "落实单位"),
    ):
        with pytest.raises(ValidationError, match=message):
            assistance.measure_create(case=case, actor=officer, data=data)
    assert not Measure.objects.exists()


def test_an_edit_drawn_before_another_change_writes_nothing(world, people):
    case = opened(world, people)
    officer = people["village_officer"]
    measure = assistance.measure_create(case=case, actor=officer, data=measure_data())
    stamp = measure.updated_at.isoformat()
    assistance.measure_update(
        case=case, measure=measure, actor=officer, data=measure_data(item="肉牛养殖"), stamp=stamp
    )
    with pytest.raises(ValidationError, match="已被他人修改"):
        assistance.measure_update(
            case=case, measure=measure, actor=officer, data=measure_data(item="生猪养殖"), stamp=stamp
        )
    assert Measure.objects.get(pk=measure.pk).item == "肉牛养殖"


# --- proposals and warnings ----------------------------------------------------------------------------------


def test_the_risks_propose_measures_and_unanswered_risks_are_warned(world, people):
    case = monitored(world, people, risks=("01", "07"))
    context = assistance.assistance_panel(people["village_officer"], case)
    assert [p.category for p in context["assist_proposals"]] == [
        "health",
        "social_security",
        "employment",
        "public_job",
        "other_education",
    ]
    assert any("因病" in w and "还没有对应的帮扶措施" in w for w in context["assist_warnings"])
    assistance.measure_create(
        case=case, actor=people["village_officer"], data=measure_data(category="health")
    )
    context = assistance.assistance_panel(people["village_officer"], case)
    assert "health" not in [p.category for p in context["assist_proposals"]]
    unanswered = [w for w in context["assist_warnings"] if "还没有对应的帮扶措施" in w]
    assert len(unanswered) == 1 and "因病" not in unanswered[0]


def test_a_household_that_can_work_is_warned_about_only_social_security(world, people):
    case = monitored(world, people, days_ago=20)
    officer = people["village_officer"]
    assistance.measure_create(
        case=case, actor=officer, data=measure_data(category="social_security", item="低保")
    )
    warnings = assistance.assistance_panel(officer, case)["assist_warnings"]
    assert any("只有综合保障" in w for w in warnings)
    Person.objects.filter(household=world.home).update(labour_skill="lost")
    warnings = assistance.assistance_panel(officer, case)["assist_warnings"]
    assert not any("只有综合保障" in w for w in warnings)


def test_no_development_measure_a_month_after_identification_is_warned(world, people):
    case = monitored(world, people, days_ago=90)
    officer = people["village_officer"]
    assert case.identified_on <= TODAY() - dt.timedelta(days=31)

    def warned() -> bool:
        return any(
            "开发式帮扶措施" in w for w in assistance.assistance_panel(officer, case)["assist_warnings"]
        )

    assert warned()
    measure = assistance.measure_create(case=case, actor=officer, data=measure_data(category="employment"))
    assert warned()  # planned is not enough
    assistance.measure_set_status(case=case, measure=measure, actor=officer, status="applied", on=TODAY())
    assert not warned()
    # A household without labour capacity is not expected to take a development measure.
    Measure.objects.filter(pk=measure.pk).update(status=Measure.Status.CANCELLED)
    assert warned()
    Person.objects.filter(household=world.home).update(labour_skill="none")
    assert not warned()


def test_a_fresh_identification_is_not_yet_warned_about_development(world, people):
    case = monitored(world, people, days_ago=12)
    warnings = assistance.assistance_panel(people["village_officer"], case)["assist_warnings"]
    assert case.identified_on > TODAY() - dt.timedelta(days=28)
    assert not any("开发式帮扶措施" in w for w in warnings)


# --- the pages ---------------------------------------------------------------------------------------------


def test_the_plan_page_shows_the_helper_with_a_masked_phone(client, world, people):
    case = monitored(world, people)
    helper = people["helper"]
    helper.first_name, helper.phone = "赵帮扶", "13912345678"
    helper.save()
    client.force_login(people["village_officer"])
    page = client.get(reverse("monitoring:case_plan", args=[case.pk])).content.decode()
    assert "赵帮扶" in page and "13912345678" not in page and "5678" in page
    assert "安排帮扶联系人" in page and "添加帮扶措施" in page
    client.force_login(helper)
    page = client.get(reverse("monitoring:case_plan", args=[case.pk])).content.decode()
    # The helper plans but does not pair accounts with households.
    assert "添加帮扶措施" in page and "安排帮扶联系人" not in page


def test_the_plan_page_says_a_helper_is_needed_before_county_approval_while_identifying(
    client, world, people
):
    case = opened(world, people, world.neighbour)  # nobody is paired with the neighbour
    client.force_login(people["township_reviewer"])
    url = reverse("monitoring:case_plan", args=[case.pk])
    assert "该户还没有帮扶联系人;县级审定纳入监测前须落实结对帮扶。" in client.get(url).content.decode()
    # Once approved the rule has been applied: the page no longer speaks of an approval to come.
    monitored_case = monitored(world, people)
    HelperAssignment.objects.filter(household=world.home).update(end_date=TODAY() - dt.timedelta(days=1))
    page = client.get(reverse("monitoring:case_plan", args=[monitored_case.pk])).content.decode()
    assert "该户还没有帮扶联系人。" in page and "县级审定纳入监测前" not in page


def test_the_helper_sees_only_its_households_plans(client, world, people):
    other = opened(world, people, world.neighbour)
    client.force_login(people["helper"])
    assert client.get(reverse("monitoring:case_plan", args=[other.pk])).status_code == 404
    assert client.post(reverse("monitoring:measure_new", args=[other.pk]), measure_form()).status_code == 404
    assert not Measure.objects.exists()
    own = opened(world, people)
    assert client.post(reverse("monitoring:helper_assign", args=[own.pk]), {}).status_code == 403


def measure_form(**extra) -> dict[str, str]:
    return {
        "category": "employment",
        "item": "公益性岗位推荐",
        "detail": "",
        "start_on": TODAY().isoformat(),
        "end_on": "",
        "amount": "",
        "deliverer": "县人社局",
        **extra,
    }


def test_a_proposal_opens_a_prefilled_form_and_the_form_saves_and_comes_back(client, world, people):
    case = opened(world, people)
    client.force_login(people["helper"])
    page = client.get(reverse("monitoring:measure_new", args=[case.pk]), {"category": "health"})
    assert page.status_code == 200
    assert '<option value="health" selected>' in page.content.decode()
    refused = client.post(reverse("monitoring:measure_new", args=[case.pk]), measure_form(item=""))
    assert refused.status_code == 200 and "请填写具体措施" in refused.content.decode()
    back = f"/monitoring/{case.pk}/plan/?from=case"
    done = client.post(reverse("monitoring:measure_new", args=[case.pk]), {**measure_form(), "next": back})
    assert done.status_code == 302 and done["Location"] == back
    assert Measure.objects.get(case=case).item == "公益性岗位推荐"
    # Another host is never a place to come back to.
    done = client.post(
        reverse("monitoring:measure_new", args=[case.pk]), {**measure_form(), "next": "https://evil.example/"}
    )
    assert done["Location"] == reverse("monitoring:case_plan", args=[case.pk])


def test_the_panel_forms_apply_a_measure_and_pair_a_helper(client, world, people):
    case = opened(world, people)
    measure = assistance.measure_create(case=case, actor=people["village_officer"], data=measure_data())
    client.force_login(people["village_officer"])
    url = reverse("monitoring:measure_status", args=[case.pk, measure.pk])
    response = client.post(url, {"status": "applied", "on": TODAY().isoformat()}, follow=True)
    assert "县级审定纳入监测后才能落实" in response.content.decode()
    assert Measure.objects.get(pk=measure.pk).status == Measure.Status.PLANNED
    cadre = persona("cadre", world.village, Role.HELPER)
    response = client.post(
        reverse("monitoring:helper_assign", args=[case.pk]),
        {"account": cadre.pk, "unit": "驻村工作队", "start_date": TODAY().isoformat()},
        follow=True,
    )
    assert "已安排" in response.content.decode()
    assert HelperAssignment.objects.filter(household=world.home, helper=cadre, unit="驻村工作队").exists()
    response = client.post(
        reverse("monitoring:helper_assign", args=[case.pk]),
        {"account": people["county_admin"].pk, "start_date": TODAY().isoformat()},
        follow=True,
    )
    assert "不能作为该户的帮扶联系人" in response.content.decode()


def test_the_plan_page_costs_the_same_queries_with_more_measures(client, world, people):
    case = monitored(world, people)
    client.force_login(people["village_officer"])
    url = reverse("monitoring:case_plan", args=[case.pk])
    assistance.measure_create(case=case, actor=people["village_officer"], data=measure_data())
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for category in ("health", "employment", "finance", "housing"):
        assistance.measure_create(
            case=case, actor=people["village_officer"], data=measure_data(category=category)
        )
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).status_code == 200
    assert len(five) == len(one)
