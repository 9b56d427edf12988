"""Allocations (资金下达) and arrangements (资金安排): the finance office's writes (docs/domain.md §22).

An allocation is one document's money from one level to one receiving unit; the same document, unit and level
is the same allocation (`allocation_unique`). An arrangement gives part of an allocation to a project; the
arrangements of an allocation never exceed what it issued (`fd.arrangement_problems`), checked under a lock
of the allocation's row so that two clerks arranging at once cannot both take the last yuan.

Which projects may receive money: a project of the year's plan (已纳入年度实施计划) or one the county has
approved and is publicising (公示中); a project still in the village's or township's hands, returned or
rejected may not. The project must lie inside the allocation's receiving unit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum

from dixian.accounts.capabilities import Capability, require
from dixian.common.access import code_in_scope
from dixian.common.audit import change_record, diff_fields
from dixian.common.models import ChangeLog
from dixian.domain import funds as fd
from dixian.regions.models import Region

from .models import Allocation, Arrangement, Payment, Project

if TYPE_CHECKING:
    from dixian.accounts.models import User

# Projects that may receive money (docs/domain.md §22): the plan's, and those approved and in publicity.
ARRANGEABLE_STATES = (fd.IN_PLAN, fd.PUBLICITY)
ALLOCATION_FIELDS = ("year", "level", "doc_no", "doc_date", "region_code", "amount", "purpose", "direct")


def _audit(actor: User | None, entity: str, pk: int, action: str, summary: str, **kw: object) -> None:
    change_record(
        actor=actor,
        source=str(kw.pop("source", ChangeLog.Source.WEB)),
        entity=entity,
        entity_id=pk,
        household_id=None,
        action=action,
        summary=summary[:200],
        reference=str(kw.pop("reference", "")),
        changes=kw.pop("changes", None),  # type: ignore[arg-type]  # a dict of [old, new] pairs when given
    )


def _check_region(actor: User, region: Region) -> None:
    if not code_in_scope(actor, region.code):
        raise ValidationError({"region": "接收单位不在您的管辖范围内,请选择本辖区内的单位"})


def _duplicate(doc_no: str, region: Region, level: str, exclude: int | None = None) -> None:
    same = Allocation.objects.filter(doc_no=doc_no, region_code=region.code, level=level)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise ValidationError(
            {
                "doc_no": f"文号「{doc_no}」已为{region.name}登记过{fd.FUND_LEVELS[level]}资金;"
                "同一文号、接收单位和资金级次只能登记一次,如需更正请修改原记录"
            }
        )


def _check_amount(amount: Decimal, field: str = "amount") -> None:
    if amount <= 0:
        raise ValidationError({field: "金额必须大于0"})
    if amount != amount.quantize(fd.FEN):
        raise ValidationError({field: f"金额 {amount} 超出两位小数,请精确到分"})


def allocation_create(
    *,
    actor: User,
    year: int,
    level: str,
    doc_no: str,
    doc_date: dt.date,
    region: Region,
    amount: Decimal,
    purpose: str = "",
    direct: bool = False,
) -> Allocation:
    """Record an allocation document's money to a receiving unit in the actor's subtree."""
    require(actor, Capability.FUNDS_EDIT)
    if level not in fd.FUND_LEVELS:
        raise ValidationError({"level": "资金级次应为中央、省级、市级或县级"})
    doc_no = doc_no.strip()
    if not doc_no:
        raise ValidationError({"doc_no": "请填写下达文号"})
    _check_region(actor, region)
    _check_amount(amount)
    with transaction.atomic():
        _duplicate(doc_no, region, level)
        try:
            with transaction.atomic():
                allocation = Allocation.objects.create(
                    year=year,
                    level=level,
                    doc_no=doc_no,
                    doc_date=doc_date,
                    region=region,
                    region_code=region.code,
                    amount=amount,
                    purpose=purpose.strip(),
                    direct=direct,
                    created_by=actor,
                )
        except IntegrityError:  # a second clerk saved the same document a moment earlier
            _duplicate(doc_no, region, level)
            raise
        _audit(actor, "allocation", allocation.pk, ChangeLog.Action.CREATE, f"资金下达 {allocation}")
    return allocation


def allocation_update(
    *,
    actor: User,
    allocation: Allocation,
    year: int,
    level: str,
    doc_no: str,
    doc_date: dt.date,
    region: Region,
    amount: Decimal,
    purpose: str = "",
    direct: bool = False,
) -> Allocation:
    """Correct an allocation; its amount may not fall below what has been arranged from it already."""
    require(actor, Capability.FUNDS_EDIT)
    if level not in fd.FUND_LEVELS:
        raise ValidationError({"level": "资金级次应为中央、省级、市级或县级"})
    if not code_in_scope(actor, allocation.region_code):
        raise ValidationError("该资金下达不在您的管辖范围内")
    doc_no = doc_no.strip()
    if not doc_no:
        raise ValidationError({"doc_no": "请填写下达文号"})
    _check_region(actor, region)
    _check_amount(amount)
    with transaction.atomic():
        locked = Allocation.objects.select_for_update().get(pk=allocation.pk)
        _duplicate(doc_no, region, level, exclude=locked.pk)
        arrangements = Arrangement.objects.filter(allocation=locked)
        arranged = arrangements.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        if amount < arranged:
            raise ValidationError(
                {"amount": f"已从该文号安排 {arranged:,.2f} 元,下达金额不能少于已安排金额;请先调整资金安排"}
            )
        if region.code != locked.region_code:
            outside = [
                a.project.code
                for a in arrangements.select_related("project")
                if not a.project.region_code.startswith(region.prefix)
            ]
            if outside:
                raise ValidationError(
                    {"region": f"已安排到项目 {'、'.join(outside[:5])},它们不在新的接收单位内,不能改接收单位"}
                )
        before = {f: getattr(locked, f) for f in ALLOCATION_FIELDS}
        locked.year, locked.level, locked.doc_no, locked.doc_date = year, level, doc_no, doc_date
        locked.region, locked.region_code, locked.amount = region, region.code, amount
        locked.purpose, locked.direct = purpose.strip(), direct
        locked.save()
        if region.code != before["region_code"]:
            arrangements.update(region_code=region.code)
        changes = diff_fields(before, {f: getattr(locked, f) for f in ALLOCATION_FIELDS}, ALLOCATION_FIELDS)
        if changes:
            _audit(
                actor, "allocation", locked.pk, ChangeLog.Action.UPDATE, f"资金下达 {locked}", changes=changes
            )
    return locked


def project_arrangeable_problem(*, project: Project, receiving_code: str) -> str | None:
    """Why `project` may not receive money from an allocation to the unit `receiving_code`; None if it may."""
    if project.state not in ARRANGEABLE_STATES:
        return (
            f"项目「{project.code}」当前为“{fd.PROJECT_STATES.get(project.state, project.state)}”,"
            "只有已纳入年度实施计划或县级审定公示中的项目才能安排资金"
        )
    receiving = Region.objects.filter(code=receiving_code).only("code", "level", "prefix").first()
    prefix = receiving.prefix if receiving is not None else receiving_code
    if not project.region_code.startswith(prefix):
        return f"项目「{project.code}」不在该笔资金的接收单位范围内,只能安排给接收单位辖区内的项目"
    return None


def arrangement_create(
    *,
    actor: User,
    allocation: Allocation,
    project: Project,
    amount: Decimal,
    arranged_on: dt.date,
) -> Arrangement:
    """Arrange part of `allocation` to `project` (资金安排), never beyond what the allocation issued."""
    require(actor, Capability.FUNDS_EDIT)
    if not code_in_scope(actor, allocation.region_code) or not code_in_scope(actor, project.region_code):
        raise ValidationError("该资金下达或项目不在您的管辖范围内")
    with transaction.atomic():
        # The lock makes the check and the write one step: two arrangements at once queue on this row.
        locked = Allocation.objects.select_for_update().get(pk=allocation.pk)
        if problem := project_arrangeable_problem(project=project, receiving_code=locked.region_code):
            raise ValidationError({"project": problem})
        if arranged_on < locked.doc_date:
            raise ValidationError({"arranged_on": f"安排日期不能早于资金下达日期 {locked.doc_date:%Y-%m-%d}"})
        if Arrangement.objects.filter(allocation=locked, project=project).exists():
            raise ValidationError(
                {"project": f"该文号已向项目「{project.code}」安排过资金;一个文号对一个项目只登记一笔安排"}
            )
        arranged_before = Arrangement.objects.filter(allocation=locked).aggregate(s=Sum("amount"))[
            "s"
        ] or Decimal(0)
        problems = fd.arrangement_problems(
            amount=amount, issued=locked.amount, arranged_before=arranged_before
        )
        if problems:
            raise ValidationError({"amount": problems})
        arrangement = Arrangement.objects.create(
            allocation=locked,
            project=project,
            amount=amount,
            arranged_on=arranged_on,
            region_code=locked.region_code,
            created_by=actor,
        )
        _audit(
            actor,
            "arrangement",
            arrangement.pk,
            ChangeLog.Action.CREATE,
            f"资金安排 {locked.doc_no} → {project.code} {amount}元",
        )
    return arrangement


def arrangement_withdraw(*, actor: User, arrangement: Arrangement) -> None:
    """Withdraw (撤回) an arrangement, so that a project may leave the arrangeable states (docs/domain.md §22).

    Refused once the project has a payment: the money is spent and the arrangement is its record."""
    require(actor, Capability.FUNDS_EDIT)
    if not code_in_scope(actor, arrangement.region_code):
        raise ValidationError("该资金安排不在您的管辖范围内")
    with transaction.atomic():
        # The allocation's lock is the one arrangement_create takes: a withdrawal and an arranging queue.
        Allocation.objects.select_for_update().get(pk=arrangement.allocation_id)
        locked = Arrangement.objects.select_related("allocation", "project").filter(pk=arrangement.pk).first()
        if locked is None:
            raise ValidationError("该资金安排已被撤回,请刷新页面")
        if Payment.objects.filter(project_id=locked.project_id).exists():
            raise ValidationError(
                f"项目「{locked.project.code}」已有支付记录,资金已使用,不能撤回资金安排;如需更正请联系县级财政部门"
            )
        summary = f"撤回资金安排 {locked.allocation.doc_no} → {locked.project.code} {locked.amount}元"
        pk = locked.pk
        locked.delete()
        _audit(actor, "arrangement", pk, ChangeLog.Action.DELETE, summary)
