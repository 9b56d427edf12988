"""Writes of payments (支出), the negative list's versions and the year's funds policy (docs/domain.md §22).

A payment is checked by `dixian.domain.funds.payment_problems` (the same function the workbook import and
the API ask) against the negative list in force on its date. The project's row is locked first, so two
payments recorded at the same moment are checked one after the other and cannot together pass the budget.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import code_in_scope
from dixian.common.audit import change_record
from dixian.common.models import ChangeLog
from dixian.domain import funds as fd

from .models import FundsPolicy, NegativeListItem, NegativeListVersion, Payment, Project
from .negative_list import negative_list_on

if TYPE_CHECKING:
    from dixian.accounts.models import User

PUBLICITY_DAYS_MAX = 60


def paid_total(project: Project) -> Decimal:
    return Payment.objects.filter(project=project).aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


@transaction.atomic
def payment_record(
    *,
    project: Project,
    actor: User,
    paid_on: dt.date,
    amount: Decimal,
    use_category: str,
    payee_category: str,
    level: str = "",
    payee: str = "",
    voucher_no: str = "",
) -> Payment:
    """Record a payment against a project: refused before its start, beyond its budget (exact to the fen)
    and for a use on the negative list in force on `paid_on`, with the rule that forbids it."""
    if not user_can(actor, Capability.FUNDS_EDIT):
        raise PermissionDenied("资金支付由财政部门录入,您的账号不能录入")
    if not code_in_scope(actor, project.region_code):
        raise PermissionDenied("该项目不在您的管辖范围内")
    # The lock: a second payment of the same project waits here until the first commits, then sees it.
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.state != fd.IN_PLAN:
        raise ValidationError("只有已纳入年度实施计划的项目可以支付")
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": "支付日期不能晚于今天"})
    if payee_category not in fd.PAYEE_CATEGORIES:
        raise ValidationError({"payee_category": "请从目录中选择收款方类别"})
    if level and level not in fd.FUND_LEVELS:
        raise ValidationError({"level": "请从目录中选择资金来源"})
    problems = fd.payment_problems(
        paid_on=paid_on,
        amount=amount,
        started_on=project.started_on,
        budget_total=project.budget_total,
        paid_before=paid_total(project),
        use_category=use_category,
        negative_list=negative_list_on(paid_on),
    )
    if problems:
        raise ValidationError(problems)
    payment = Payment.objects.create(
        project=project,
        paid_on=paid_on,
        amount=amount,
        level=level,
        use_category=use_category,
        payee_category=payee_category,
        payee=payee.strip(),
        voucher_no=voucher_no.strip(),
        region_code=project.region_code,
        created_by=actor if actor.is_authenticated else None,
    )
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="payment",
        entity_id=payment.pk,
        household_id=None,
        action=ChangeLog.Action.CREATE,
        summary=f"项目 {project.code} 支付 {amount:,.2f} 元({paid_on:%Y-%m-%d})",
    )
    return payment


# ---- the negative list (负面清单) -------------------------------------------------------------------------


@transaction.atomic
def negative_list_version_add(
    *, actor: User, valid_from: dt.date, note: str, items: Mapping[str, str]
) -> NegativeListVersion:
    """A new version of the city's negative list from `valid_from` (tomorrow or later): a version in force is
    never edited, and a payment already recorded keeps the judgement of the list of its date — today's
    payments too, so a new version never starts today."""
    if not user_can(actor, Capability.FUNDS_RULES_EDIT):
        raise PermissionDenied("负面清单由市级维护,您的账号不能修改")
    today = timezone.localdate()
    if valid_from <= today:
        raise ValidationError(
            {
                "valid_from": f"生效日期最早为明天({today + dt.timedelta(days=1):%Y-%m-%d}):"
                "今天及以前已登记的支付按当日清单判断,已生效的清单不能追溯修改"
            }
        )
    note = note.strip()
    if not note:
        raise ValidationError({"note": "请填写修订说明(依据的文件或修改的内容)"})
    clean: dict[str, str] = {}
    for code, rule in items.items():
        if code not in fd.USE_CATEGORIES:
            raise ValidationError(f"资金用途“{code}”不在用途目录中")
        rule = rule.strip()
        if not rule:
            raise ValidationError(f"“{fd.USE_CATEGORIES[code].label}”列入负面清单须写明禁止依据")
        clean[code] = rule[:300]
    # Numbers in order: the lock on the newest keeps two saves at once from taking the same number.
    last = NegativeListVersion.objects.select_for_update().order_by("-number").first()
    number = (last.number if last else 0) + 1
    version = NegativeListVersion.objects.create(
        number=number, valid_from=valid_from, note=note[:500], created_by=actor
    )
    NegativeListItem.objects.bulk_create(
        NegativeListItem(version=version, use_category=code, rule=rule) for code, rule in clean.items()
    )
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="negative_list",
        entity_id=version.pk,
        household_id=None,
        action=ChangeLog.Action.CREATE,
        changes={"items": [None, clean]},
        summary=f"负面清单第{number}版,{valid_from:%Y-%m-%d}起生效:{note}",
    )
    return version


def negative_list_versions() -> list[NegativeListVersion]:
    return list(NegativeListVersion.objects.prefetch_related("items").select_related("created_by"))


def newest_number() -> int:
    return NegativeListVersion.objects.aggregate(n=Max("number"))["n"] or 0


# ---- the year's settings (FundsPolicy) -----------------------------------------------------------------


@transaction.atomic
def funds_policy_set(
    *, actor: User, year: int, industry_share_min: Decimal, publicity_days: int
) -> FundsPolicy:
    """Set the year's industry-share minimum and publicity period, audited. A project already in publicity
    keeps the period it started with."""
    if not user_can(actor, Capability.FUNDS_RULES_EDIT):
        raise PermissionDenied("年度资金管理要求由市级设定,您的账号不能修改")
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": "年度应为四位年份,如 2026"})
    if not Decimal("0") <= industry_share_min <= Decimal("1"):
        raise ValidationError({"industry_share_min": "产业发展资金占比下限应在 0% 到 100% 之间"})
    if not 1 <= publicity_days <= PUBLICITY_DAYS_MAX:
        raise ValidationError({"publicity_days": f"公示天数应在 1 到 {PUBLICITY_DAYS_MAX} 天之间"})
    policy = FundsPolicy.objects.select_for_update().filter(year=year).first()
    old = [str(policy.industry_share_min), policy.publicity_days] if policy else None
    if policy is None:
        policy = FundsPolicy(year=year)
    policy.industry_share_min = industry_share_min.quantize(Decimal("0.0001"))
    policy.publicity_days = publicity_days
    policy.updated_by = actor
    policy.save()
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="funds_policy",
        entity_id=policy.pk,
        household_id=None,
        action=ChangeLog.Action.CREATE if old is None else ChangeLog.Action.UPDATE,
        changes={"policy": [old, [str(policy.industry_share_min), publicity_days]]},
        summary=f"{year}年资金管理要求:产业发展占比≥{policy.industry_share_min:.2%},公示{publicity_days}天",
    )
    return policy
