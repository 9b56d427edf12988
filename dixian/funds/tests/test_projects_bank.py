"""The project bank (docs/domain.md §22): village proposes, township reviews, county decides, publicity, plan;
each move by the level that owns it, refusals explained, history kept, double submission harmless."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dixian.common.models import ChangeLog
from dixian.domain import funds as fd
from dixian.funds import projects as svc
from dixian.funds.models import FundsPolicy, Project, ProjectBudget, ProjectTransition
from dixian.funds.testing import funds_personas

pytestmark = pytest.mark.django_db
D = Decimal
DAY = dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)


def propose(world, people, **kw) -> Project:
    args = {
        "actor": people["village_officer"],
        "region": world.village,
        "year": 2026,
        "data": {"name": "良塘村蔬菜大棚", "kind": "industry", "owner_unit": "良塘村委会"},
        "budgets": {"central": D("300000.00"), "province": D("50000.50"), "city": None},
    }
    args.update(kw)
    return svc.project_propose(**args)


def move(project: Project, code: str, actor, reason: str = "") -> Project:
    project.refresh_from_db()
    return svc.project_move(project=project, move_code=code, seq=project.seq, reason=reason, actor=actor)


def test_a_village_proposal_keeps_its_budget_by_source_and_the_sum(world, people):
    project = propose(world, people)
    assert project.state == fd.PROPOSED
    assert project.code.startswith("XM2026360424100")
    assert project.budget_total == D("350000.50")
    assert dict(ProjectBudget.objects.filter(project=project).values_list("level", "amount")) == {
        "central": D("300000.00"),
        "province": D("50000.50"),
    }
    [t] = ProjectTransition.objects.filter(project=project)
    assert (t.action, t.to_state, t.actor_name) == ("propose", fd.PROPOSED, "village_officer")
    assert ChangeLog.objects.filter(entity="project", entity_id=project.pk).exists()


def test_generated_codes_are_unique_and_a_given_code_taken_is_refused(world, people):
    first, second = propose(world, people), propose(world, people)
    assert first.code != second.code
    with pytest.raises(ValidationError, match="已被使用"):
        propose(world, people, code=first.code)
    assert propose(world, people, code="LT-2026-01").code == "LT-2026-01"


def test_a_proposal_outside_the_village_or_without_budget_is_refused(world, people):
    with pytest.raises(ValidationError, match="不在您的管辖范围内"):
        propose(world, people, region=world.other_village)
    with pytest.raises(ValidationError, match="至少填写一个资金来源"):
        propose(world, people, budgets={"central": None})
    with pytest.raises(ValidationError, match="精确到分"):
        propose(world, people, budgets={"central": D("1.001")})
    with pytest.raises(PermissionDenied):
        propose(world, people, actor=people["township_reviewer"], region=world.village)
    assert not Project.objects.exists()


@time_machine.travel(DAY, tick=False)
def test_the_whole_bank_path_each_step_by_its_owner_only(world, people):
    village, township, county = people["village_officer"], people["township_reviewer"], people["county_admin"]
    project = propose(world, people)
    # The county cannot pass for the township, the village cannot pass its own project.
    for wrong in (village, county, funds_personas(world)["finance"]):
        with pytest.raises(PermissionDenied, match="由乡镇办理"):
            move(project, "township_pass", wrong)
    move(project, "township_pass", township)
    with pytest.raises(PermissionDenied, match="由县级办理"):
        move(project, "county_approve", township)
    project = move(project, "county_approve", county)
    assert project.state == fd.PUBLICITY and project.publicity_started_on == dt.date(2026, 4, 1)
    assert project.publicity_days == 10
    with pytest.raises(ValidationError) as refused:
        move(project, "publicity_close", county)
    assert "2026-04-12 起方可结束公示" in refused.value.messages[0]
    with time_machine.travel(dt.datetime(2026, 4, 11, 23, 0, tzinfo=dt.UTC), tick=False):  # 4-12 in 上海
        project = move(project, "publicity_close", county)
    assert project.state == fd.IN_PLAN and project.planned_on == dt.date(2026, 4, 12)
    history = list(ProjectTransition.objects.filter(project=project).order_by("at", "pk"))
    assert [t.action for t in history] == ["propose", "township_pass", "county_approve", "publicity_close"]
    assert [t.actor_name for t in history] == [
        "village_officer",
        "township_reviewer",
        "county_admin",
        "county_admin",
    ]


@time_machine.travel(DAY, tick=False)
def test_the_publicity_period_is_the_years_setting(world, people):
    FundsPolicy.objects.create(year=2026, publicity_days=3)
    project = propose(world, people)
    move(project, "township_pass", people["township_reviewer"])
    project = move(project, "county_approve", people["county_admin"])
    assert project.publicity_days == 3
    with pytest.raises(ValidationError, match="须满 3 天,2026-04-05 起"):
        move(project, "publicity_close", people["county_admin"])


def test_returns_and_rejections_need_a_reason_and_return_to_the_village(world, people):
    township, county, village = people["township_reviewer"], people["county_admin"], people["village_officer"]
    project = propose(world, people)
    with pytest.raises(ValidationError, match="须填写理由"):
        move(project, "township_return", township, reason="  ")
    project = move(project, "township_return", township, reason="预算缺少明细")
    assert project.state == fd.RETURNED
    svc.project_update(
        actor=village,
        project=project,
        region=world.village,
        data={"name": "良塘村蔬菜大棚(修改)", "kind": "industry", "owner_unit": "良塘村委会"},
        budgets={"central": D("200000.00")},
    )
    project.refresh_from_db()
    assert project.budget_total == D("200000.00") and project.budgets.count() == 1
    project = move(project, "resubmit", village)
    move(project, "township_pass", township)
    project = move(project, "county_reject", county, reason="与已有项目重复")
    assert project.state == fd.REJECTED
    with pytest.raises(ValidationError, match="不能再修改"):
        svc.project_update(
            actor=village,
            project=project,
            region=world.village,
            data={"name": "x", "kind": "industry", "owner_unit": "x"},
            budgets={"central": D("1.00")},
        )
    assert svc.why_not(county, project) == "项目不予入库,项目库流程已结束。"
    reasons = list(
        ProjectTransition.objects.filter(project=project).exclude(reason="").values_list("reason", flat=True)
    )
    assert reasons == ["预算缺少明细", "与已有项目重复"]


@time_machine.travel(DAY, tick=False)
def test_an_objection_during_publicity_sends_the_project_back_to_the_county(world, people):
    project = propose(world, people)
    move(project, "township_pass", people["township_reviewer"])
    move(project, "county_approve", people["county_admin"])
    project = move(project, "publicity_objection", people["county_admin"], reason="群众反映选址占用耕地")
    assert project.state == fd.TOWNSHIP_PASSED and project.publicity_started_on is None


def test_a_second_submission_of_the_same_form_writes_nothing(world, people):
    project = propose(world, people)
    seq = project.seq
    svc.project_move(project=project, move_code="township_pass", seq=seq, actor=people["township_reviewer"])
    with pytest.raises(ValidationError, match="重复提交"):
        svc.project_move(
            project=project, move_code="township_pass", seq=seq, actor=people["township_reviewer"]
        )
    assert ProjectTransition.objects.filter(project=project, action="township_pass").count() == 1


def test_another_countys_account_cannot_move_the_project(world, people):
    project = propose(world, people)
    with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):
        move(project, "township_pass", people["other_county_reviewer"])


def test_the_move_page_explains_a_refusal_and_a_double_submission(client, world, people):
    project = propose(world, people)
    url = reverse("funds:project_move", args=[project.pk])
    client.force_login(people["county_admin"])
    response = client.post(url, {"move": "township_pass", "seq": project.seq}, follow=True)
    assert "“乡镇审核通过”由乡镇办理,您的账号不能办理这一步。" in response.content.decode()
    client.force_login(people["township_reviewer"])
    page = client.get(reverse("funds:project_detail", args=[project.pk])).content.decode()
    assert "乡镇审核通过" in page and "退回村级修改" in page
    client.post(url, {"move": "township_pass", "seq": project.seq})
    response = client.post(url, {"move": "township_pass", "seq": project.seq}, follow=True)
    assert "重复提交" in response.content.decode()
    project.refresh_from_db()
    assert project.state == fd.TOWNSHIP_PASSED and project.seq == 1


def test_the_village_proposes_on_the_page_and_the_project_names_its_history(client, world, people):
    client.force_login(people["village_officer"])
    response = client.post(
        reverse("funds:project_new"),
        {
            "name": "良塘村产业路",
            "year": "2026",
            "kind": "infrastructure",
            "region": world.village.pk,
            "owner_unit": "良塘村委会",
            "budget_central": "1,234.50",
            "budget_county": "１００",
        },
    )
    project = Project.objects.get(name="良塘村产业路")
    assert response.status_code == 302
    assert project.budget_total == D("1334.50")
    page = client.get(reverse("funds:project_detail", args=[project.pk])).content.decode()
    assert "村级申报" in page and "下一步由乡镇办理" in page
    bad = client.post(
        reverse("funds:project_new"),
        {
            "name": "x",
            "year": "2026",
            "kind": "industry",
            "region": world.village.pk,
            "owner_unit": "x",
            "budget_central": "12.345",
        },
    )
    assert "超过两位小数" in bad.content.decode()
