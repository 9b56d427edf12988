"""Review findings of issue 16 on the project bank and its money (docs/domain.md §22): a project leaves the
arrangeable states only after its arrangements are withdrawn; a village's change makes a reviewer's form
stale."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from dixian.accounts.models import Role
from dixian.common.models import ChangeLog
from dixian.common.testing import persona
from dixian.domain import funds as fd
from dixian.funds import projects as svc
from dixian.funds.allocations import allocation_create, arrangement_create, arrangement_withdraw
from dixian.funds.models import Arrangement, Payment, Project
from dixian.funds.testing import funds_personas

pytestmark = pytest.mark.django_db
D = Decimal
DAY = dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)


def propose(world, people) -> Project:
    return svc.project_propose(
        actor=people["village_officer"],
        region=world.village,
        year=2026,
        data={"name": "良塘村蔬菜大棚", "kind": "industry", "owner_unit": "良塘村委会"},
        budgets={"central": D("300000.00")},
    )


def move(project: Project, code: str, actor, reason: str = "") -> Project:
    project.refresh_from_db()
    return svc.project_move(project=project, move_code=code, seq=project.seq, reason=reason, actor=actor)


def in_publicity_with_money(world, people) -> tuple[Project, Arrangement]:
    finance = funds_personas(world)["finance"]
    project = propose(world, people)
    move(project, "township_pass", people["township_reviewer"])
    project = move(project, "county_approve", people["county_admin"])
    allocation = allocation_create(
        actor=finance,
        year=2026,
        level=fd.CENTRAL,
        doc_no="修财农〔2026〕1号",
        doc_date=dt.date(2026, 2, 1),
        region=world.county,
        amount=D("1000.00"),
    )
    arrangement = arrangement_create(
        actor=finance,
        allocation=allocation,
        project=project,
        amount=D("500.00"),
        arranged_on=dt.date(2026, 4, 1),
    )
    return project, arrangement


@time_machine.travel(DAY, tick=False)
def test_an_objection_is_refused_while_money_is_arranged_and_passes_once_withdrawn(world, people):
    project, arrangement = in_publicity_with_money(world, people)
    with pytest.raises(ValidationError, match="先在资金下达页面撤回"):
        move(project, "publicity_objection", people["county_admin"], reason="群众反映选址占用耕地")
    project.refresh_from_db()
    assert project.state == fd.PUBLICITY
    arrangement_withdraw(actor=funds_personas(world)["finance"], arrangement=arrangement)
    assert not Arrangement.objects.filter(project=project).exists()
    assert ChangeLog.objects.filter(entity="arrangement", entity_id=arrangement.pk, action="delete").exists()
    project = move(project, "publicity_objection", people["county_admin"], reason="群众反映选址占用耕地")
    assert project.state == fd.TOWNSHIP_PASSED
    move(project, "county_reject", people["county_admin"], reason="选址不当")


@time_machine.travel(DAY, tick=False)
def test_a_withdrawal_is_refused_once_the_project_has_a_payment_or_for_another_county(world, people):
    project, arrangement = in_publicity_with_money(world, people)
    offices = funds_personas(world)
    with pytest.raises(ValidationError, match="不在您的管辖范围内"):
        arrangement_withdraw(actor=offices["other_finance"], arrangement=arrangement)
    Payment.objects.create(
        project=project,
        paid_on=dt.date(2026, 4, 1),
        amount=D("10.00"),
        use_category="construction",
        payee_category="contractor",
        region_code=project.region_code,
    )
    with pytest.raises(ValidationError, match="已有支付记录"):
        arrangement_withdraw(actor=offices["finance"], arrangement=arrangement)
    assert Arrangement.objects.filter(pk=arrangement.pk).exists()


def test_a_village_change_makes_the_reviewers_open_form_stale(world, people):
    project = propose(world, people)
    seen = project.seq
    svc.project_update(
        actor=people["village_officer"],
        project=project,
        region=world.village,
        data={"name": "良塘村蔬菜大棚", "kind": "industry", "owner_unit": "良塘村委会"},
        budgets={"central": D("900000.00")},
    )
    with pytest.raises(ValidationError, match="请刷新页面"):
        svc.project_move(
            project=project, move_code="township_pass", seq=seen, actor=people["township_reviewer"]
        )
    project.refresh_from_db()
    assert project.state == fd.PROPOSED


@time_machine.travel(DAY, tick=False)
def test_the_budget_of_a_project_with_money_arranged_cannot_be_changed(world, people):
    project, arrangement = in_publicity_with_money(world, people)
    # An arrangement left from before the rule: the project went back to the village with money on it.
    Project.objects.filter(pk=project.pk).update(state=fd.RETURNED)
    project.refresh_from_db()
    with pytest.raises(ValidationError, match="先撤回资金安排"):
        svc.project_update(
            actor=people["village_officer"],
            project=project,
            region=world.village,
            data={"name": "良塘村蔬菜大棚", "kind": "industry", "owner_unit": "良塘村委会"},
            budgets={"central": D("1.00")},
        )
    assert project.budgets.get().amount == D("300000.00")


def test_an_account_with_village_and_township_roles_cannot_pass_its_own_proposal(world, people):
    both = persona("two_hats", world.township, Role.VILLAGE_OFFICER, Role.TOWNSHIP_REVIEWER)
    project = svc.project_propose(
        actor=both,
        region=world.village,
        year=2026,
        data={"name": "良塘村道路", "kind": "industry", "owner_unit": "良塘村委会"},
        budgets={"central": D("1000.00")},
    )
    with pytest.raises(ValidationError, match="另一位人员"):
        move(project, "township_pass", both)
    project = move(project, "township_pass", people["township_reviewer"])
    assert project.state == fd.TOWNSHIP_PASSED
