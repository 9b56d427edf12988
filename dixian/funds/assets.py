"""Project assets (项目资产) and their income (docs/domain.md §9 and §22): registration from an accepted
project, the maintenance ledger (管护台账), an operating asset's yearly income and its distribution to
households of the registry (收益分配), and disposal proposed by the sector office and decided by the county.

Every service is keyword-only, takes `actor=`, runs in one transaction and raises `ValidationError` with a
Chinese message that says what is wrong and what to do. Rows are scoped by `region_code`: an asset carries
its project's place, or, for a 到户类 asset, its household's (so it follows the household when it moves,
`assets_follow_households`); an income its asset's; a distribution its household's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import code_in_scope, region_range_q, user_prefix
from dixian.domain import funds as fd
from dixian.registry.choices import Relation
from dixian.registry.models import Household, Person
from dixian.registry.signals import moved_rows, moves_by_region

from .models import (
    Asset,
    AssetEvent,
    AssetIncome,
    AssetMaintenance,
    BenefitLink,
    Distribution,
    Payment,
    Project,
)
from .recipients import civil_registry_departures

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.regions.models import Region

# How an asset leaves the books (国办函〔2021〕51号: 处置 with approval).
DISPOSAL_KINDS: dict[str, str] = {
    "transfer": "转让",
    "auction": "拍卖",
    "scrap": "报废",
    "reassign": "无偿划转",
    "loss": "毁损灭失核销",
    "other": "其他",
}
PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
ZERO = Decimal("0")


def _need(actor: User, capability: Capability) -> None:
    if not user_can(actor, capability):
        raise PermissionDenied(f"您的账号没有“{capability.label}”的权限")


def _in_scope(actor: User, code: str) -> None:
    if not code_in_scope(actor, code):
        # Outside the subtree is "not found", never "forbidden" (docs/security.md).
        raise ValidationError("该记录不存在或不在您的管辖范围内")


def _money(value: Decimal, label: str, *, positive: bool = True) -> None:
    if value < 0 or (positive and value == 0):
        raise ValidationError({"amount": f"{label}必须大于0"})
    if value != value.quantize(fd.FEN):
        raise ValidationError({"amount": f"{label} {value} 超出两位小数,请精确到分"})


def _event(asset: Asset, action: str, actor: User | None, note: str = "") -> AssetEvent:
    return AssetEvent.objects.create(
        asset=asset,
        action=action,
        note=note,
        actor=actor,
        actor_name=(actor.get_full_name() or actor.username) if actor else "",
        at=timezone.now(),
    )


def household_in_scope(actor: User, household_no: str) -> Household:
    """The household of the registry numbered `household_no` inside the account's subtree."""
    no = "".join((household_no or "").split())
    prefix = user_prefix(actor)
    household = (
        Household.objects.filter(region_range_q(prefix)).filter(household_no=no).first() if prefix else None
    )
    if household is None:
        raise ValidationError(
            {"household_no": f"户编号“{no}”在您辖区的农户信息库中不存在,请核对户编号(16位或以上数字)"}
        )
    return household


def project_paid(project: Project) -> Decimal:
    return Payment.objects.filter(project=project).aggregate(s=Sum("amount"))["s"] or ZERO


def asset_register(
    *,
    actor: User,
    project: Project,
    name: str,
    asset_class: str,
    value: Decimal,
    owner_unit: str,
    manager: str = "",
    operator: str = "",
    handed_over_on: dt.date | None = None,
    household_no: str = "",
) -> Asset:
    """Register an asset of an accepted project (docs/domain.md §22). All money becomes assets, but no more
    than was paid: the assets of a project never exceed its payments."""
    _need(actor, Capability.ASSETS_EDIT)
    _in_scope(actor, project.region_code)
    if asset_class not in fd.ASSET_CLASSES:
        raise ValidationError({"asset_class": "请选择资产类别:经营性、公益性或到户类"})
    if not name.strip():
        raise ValidationError({"name": "请填写资产名称"})
    if not owner_unit.strip():
        raise ValidationError({"owner_unit": "请填写所有权人(确权对象),如村集体经济组织或受益农户"})
    _money(value, "资产价值")
    household = None
    if asset_class == fd.HOUSEHOLD:
        if not household_no.strip():
            raise ValidationError({"household_no": "到户类资产请填写受益农户的户编号"})
        household = household_in_scope(actor, household_no)
    elif household_no.strip():
        raise ValidationError({"household_no": "只有到户类资产登记受益农户;经营性、公益性资产请留空"})
    with transaction.atomic():
        # Locked so that two registrations of one project cannot together exceed what it paid.
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.accepted_on is None:
            raise ValidationError(
                f"项目“{locked.name}”尚未验收,不能登记资产;请先登记验收日期(docs/domain.md §22:验收后形成资产)"
            )
        if handed_over_on is not None and handed_over_on < locked.accepted_on:
            raise ValidationError(
                {
                    "handed_over_on": f"移交日期 {handed_over_on:%Y-%m-%d} 早于验收日期 {locked.accepted_on:%Y-%m-%d}"
                }
            )
        paid = project_paid(locked)
        before = Asset.objects.filter(project=locked).aggregate(s=Sum("value"))["s"] or ZERO
        if before + value > paid:
            raise ValidationError(
                {
                    "value": f"资产价值合计 {before + value:,.2f} 元将超过项目已支付的 {paid:,.2f} 元"
                    f"(已登记资产 {before:,.2f} 元,最多还可登记 {max(paid - before, ZERO):,.2f} 元);"
                    "请核对资产价值,或先登记项目的资金支付"
                }
            )
        asset = Asset.objects.create(
            project=locked,
            name=name.strip(),
            asset_class=asset_class,
            value=value,
            owner_unit=owner_unit.strip(),
            manager=manager.strip(),
            operator=operator.strip(),
            handed_over_on=handed_over_on,
            household=household,
            region_code=household.region_code if household else locked.region_code,
        )
        _event(
            asset, AssetEvent.Action.REGISTERED, actor, f"{asset.get_asset_class_display()} {value:,.2f} 元"
        )
    return asset


def _active(asset: Asset) -> None:
    if asset.state == Asset.State.DISPOSED:
        raise ValidationError("该资产已处置,不能再登记管护、收益或分配")


def maintenance_record(
    *, actor: User, asset: Asset, done_on: dt.date, kind: str, cost: Decimal = ZERO, note: str = ""
) -> AssetMaintenance:
    """One entry of the maintenance ledger (管护台账)."""
    _need(actor, Capability.ASSETS_EDIT)
    _in_scope(actor, asset.region_code)
    _active(asset)
    if not kind.strip():
        raise ValidationError({"kind": "请填写管护内容"})
    _money(cost, "管护费用", positive=False)
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": "管护日期不能晚于今天"})
    with transaction.atomic():
        return AssetMaintenance.objects.create(
            asset=asset, done_on=done_on, kind=kind.strip(), cost=cost, note=note.strip(), recorded_by=actor
        )


def income_record(*, actor: User, asset: Asset, year: int, amount: Decimal) -> AssetIncome:
    """An operating asset's income of a year (资产收益), to be distributed to households."""
    _need(actor, Capability.ASSETS_EDIT)
    _in_scope(actor, asset.region_code)
    _active(asset)
    if asset.asset_class != fd.OPERATING:
        raise ValidationError("只有经营性资产登记年度收益;公益性、到户类资产没有收益分配")
    _money(amount, "收益金额")
    if not 2000 <= year <= timezone.localdate().year:
        raise ValidationError({"year": f"收益年度 {year} 不在有效范围内"})
    with transaction.atomic():
        duplicate = ValidationError({"year": f"该资产{year}年的收益已登记,不能重复登记"})
        if AssetIncome.objects.filter(asset=asset, year=year).exists():
            raise duplicate
        try:
            # Two saves at once both pass the check; the unique constraint refuses the second (a savepoint, so
            # the outer transaction stays usable and the user reads the same message, never a 500).
            with transaction.atomic():
                return AssetIncome.objects.create(
                    asset=asset, year=year, amount=amount, region_code=asset.region_code
                )
        except IntegrityError:
            raise duplicate from None


def recipient_of(household: Household, name: str) -> Person:
    """The person of the household named `name`, or its head when no name is given."""
    members = list(Person.objects.filter(household=household).order_by("pk"))
    name = "".join((name or "").split())
    if not name:
        heads = [p for p in members if p.relation == Relation.HEAD]
        if not heads:
            raise ValidationError({"recipient_name": "该户没有登记户主,请填写领取人姓名"})
        return heads[0]
    named = [p for p in members if p.name == name]
    if not named:
        raise ValidationError(
            {"recipient_name": f"该户没有名为“{name}”的成员;领取人须是本户在册成员,留空则由户主领取"}
        )
    if len(named) > 1:
        raise ValidationError({"recipient_name": f"该户有{len(named)}位成员名为“{name}”,请在户内核对"})
    return named[0]


def period_validate(period: str) -> str:
    period = (period or "").strip()
    if not PERIOD.match(period):
        raise ValidationError({"period": f"发放月份“{period}”格式不对,请写成 2026-05"})
    return period


def distribution_record(
    *,
    actor: User,
    income: AssetIncome,
    household_no: str,
    period: str,
    amount: Decimal,
    recipient_name: str = "",
) -> Distribution:
    """A share of an income paid to a household of the registry in a month (收益分配).

    The shares of an income never exceed it; a recipient who died or left (公安 户籍变动 feed) receives
    nothing from the month after (docs/domain.md §22)."""
    _need(actor, Capability.ASSETS_EDIT)
    _in_scope(actor, income.region_code)
    period = period_validate(period)
    _money(amount, "分配金额")
    household = household_in_scope(actor, household_no)
    person = recipient_of(household, recipient_name)
    departure = civil_registry_departures([person.id_number]).values()
    for gone in departure:
        if gone.stops(period):
            raise ValidationError(
                {
                    "recipient_name": f"{gone.text(person.name)};{period} 的收益不能分配给此人,"
                    "请改由户内其他成员领取,或核实公安户籍变动信息"
                }
            )
    with transaction.atomic():
        locked = AssetIncome.objects.select_for_update().select_related("asset").get(pk=income.pk)
        _active(locked.asset)
        before = Distribution.objects.filter(income=locked).aggregate(s=Sum("amount"))["s"] or ZERO
        if before + amount > locked.amount:
            raise ValidationError(
                {
                    "amount": f"分配合计 {before + amount:,.2f} 元将超过{locked.year}年收益 {locked.amount:,.2f} 元"
                    f"(已分配 {before:,.2f} 元,最多还可分配 {locked.amount - before:,.2f} 元)"
                }
            )
        return Distribution.objects.create(
            income=locked,
            household=household,
            person=person,
            recipient_name=person.name,
            period=period,
            amount=amount,
            region_code=household.region_code,
        )


def disposal_propose(*, actor: User, asset: Asset, kind: str, reason: str) -> Asset:
    """The sector office proposes a disposal; the county decides it (`disposal_decide`)."""
    _need(actor, Capability.ASSETS_EDIT)
    _in_scope(actor, asset.region_code)
    if kind not in DISPOSAL_KINDS:
        raise ValidationError({"kind": "请选择处置方式"})
    if not reason.strip():
        raise ValidationError({"reason": "请填写处置理由"})
    with transaction.atomic():
        locked = Asset.objects.select_for_update().get(pk=asset.pk)
        if locked.state != Asset.State.ACTIVE:
            raise ValidationError(f"该资产{locked.get_state_display()},不能再申请处置")
        locked.state = Asset.State.DISPOSAL_PROPOSED
        locked.disposal_kind, locked.disposal_reason = kind, reason.strip()[:500]
        locked.save(update_fields=["state", "disposal_kind", "disposal_reason", "updated_at"])
        _event(locked, AssetEvent.Action.DISPOSAL_PROPOSED, actor, f"{DISPOSAL_KINDS[kind]}:{reason.strip()}")
    return locked


def disposal_decide(
    *, actor: User, asset: Asset, approve: bool, note: str = "", disposed_on: dt.date | None = None
) -> Asset:
    """The county approves (the asset is disposed of on `disposed_on`) or refuses (it stays in use, with the
    reason kept in the history)."""
    _need(actor, Capability.ASSETS_DISPOSE_APPROVE)
    _in_scope(actor, asset.region_code)
    if not approve and not note.strip():
        raise ValidationError({"note": "不予处置时请填写理由"})
    with transaction.atomic():
        locked = Asset.objects.select_for_update().get(pk=asset.pk)
        if locked.state != Asset.State.DISPOSAL_PROPOSED:
            raise ValidationError("该资产没有待审批的处置申请")
        if approve:
            day = disposed_on or timezone.localdate()
            locked.state, locked.disposed_on, locked.disposal_approved_by = Asset.State.DISPOSED, day, actor
            action = AssetEvent.Action.DISPOSAL_APPROVED
        else:
            locked.state = Asset.State.ACTIVE
            locked.disposal_kind = locked.disposal_reason = ""
            action = AssetEvent.Action.DISPOSAL_REFUSED
        locked.save()
        _event(locked, action, actor, note.strip())
    return locked


FOLLOW_CHUNK = 500


def assets_follow_households(*, moves: Mapping[int, Region], **_: object) -> dict[int, dict[str, list[int]]]:
    """A moved household's distributions, benefit links and 到户类 assets take its new code: they are scoped
    by where the household lives now (docs/security.md §4). Connected to registry's `household_moved`
    (apps.py), in the move's transaction."""
    moved: dict[int, dict[str, list[int]]] = {}
    for region, pks in moves_by_region(moves):
        for i in range(0, len(pks), FOLLOW_CHUNK):
            chunk = pks[i : i + FOLLOW_CHUNK]
            for model in (Asset, Distribution, BenefitLink):
                rows_qs = model.objects.filter(household_id__in=chunk)
                rows = list(rows_qs.order_by().values_list("pk", "household_id"))
                rows_qs.update(region_code=region.code)
                for owner, found in moved_rows(rows, str(model._meta.verbose_name)).items():
                    moved.setdefault(owner, {}).update(found)
    return moved
