"""Writes of village governance (docs/domain.md §28). Every write checks GOVERNANCE_EDIT and the account's
subtree, runs in one transaction and leaves a change-log entry; pages, the check command and the demo loader
all come through here (the loader writes in bulk and then calls `decision_refresh` and `governance_check`).

A decision keeps its derived facts (steps done, missing steps, next step and its due date) on its row,
recomputed by `decision_refresh` after every change of its steps or state, so lists and the dispatch page
read one row per decision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import code_in_scope
from dixian.common.audit import change_record
from dixian.common.models import ChangeLog
from dixian.common.uploads import ATTACHMENT_MAX_BYTES, UploadRefused, attachment_clean
from dixian.rectification.models import Finding
from dixian.rectification.services import finding_raise
from dixian.regions.models import Region
from dixian.registry.models import Household
from dixian.registry.signals import moved_rows, moves_by_region

from . import rules
from .models import Decision, DecisionStep, PointsAward, PointsRedemption, PointsRule, VillageDocument

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from dixian.accounts.models import User

NOT_FOUND = "该记录不存在或不在您的管辖范围内"


def _need(actor: User) -> None:
    if not user_can(actor, Capability.GOVERNANCE_EDIT):
        raise PermissionDenied(f"您的账号没有“{Capability.GOVERNANCE_EDIT.label}”的权限")


def _in_scope(actor: User, code: str) -> None:
    if not code_in_scope(actor, code):
        raise ValidationError(NOT_FOUND)


def _today() -> dt.date:
    return timezone.localdate()


def _log(actor: User | None, entity: str, pk: int, summary: str, *, household_id: int | None = None) -> None:
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB if actor is not None else ChangeLog.Source.SYSTEM,
        entity=entity,
        entity_id=pk,
        household_id=household_id,
        action=ChangeLog.Action.CREATE if summary.startswith("新增") else ChangeLog.Action.UPDATE,
        changes={},
        summary=summary,
    )


def _village(actor: User, region: Region | None) -> Region:
    if region is None or region.level != Region.Level.VILLAGE:
        raise ValidationError({"region": "请选择一个村"})
    if not code_in_scope(actor, region.code):
        raise ValidationError({"region": "该村不在您的管辖范围内"})
    return region


def file_store(upload: UploadedFile[bytes] | None, folder: str, field: str, *, required: bool) -> str:
    """An attachment checked by its content (a photo or a scanned PDF, at most 10 MB: the helper relocation's
    problem evidence uses, dixian/common/uploads.py) and stored as <folder>/<sha256>.<ext> in default_storage
    (MEDIA_ROOT inside DATA_DIR); '' when none was given and none is required."""
    if upload is None:
        if required:
            raise ValidationError({field: "请上传文件(照片或扫描的PDF文件)"})
        return ""
    name = (upload.name or "附件").replace("/", "_")[-200:]
    if upload.size is not None and upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError({field: f"文件「{name}」超过 10 MB,请压缩后再上传"})
    try:
        clean = attachment_clean(upload.read(ATTACHMENT_MAX_BYTES + 1), name)
    except UploadRefused as exc:
        raise ValidationError({field: exc.message}) from None
    path = f"{folder}/{hashlib.sha256(clean.content).hexdigest()}.{clean.extension}"
    if not default_storage.exists(path):
        stored = default_storage.save(path, ContentFile(clean.content))
        if stored != path:  # the same file saved meanwhile by a second submission: keep one copy
            default_storage.delete(stored)
    return path


# ---- 四议两公开 --------------------------------------------------------------------------------------------


@transaction.atomic
def decision_create(
    *, actor: User, region: Region | None, title: str, category: str, amount: Decimal | None = None
) -> Decision:
    _need(actor)
    village = _village(actor, region)
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = "请填写事项名称"
    if category not in Decision.Category.values:
        errors["category"] = "请选择事项类别"
    if amount is not None and amount < 0:
        errors["amount"] = "涉及金额不能为负数"
    if errors:
        raise ValidationError(errors)
    decision = Decision.objects.create(
        region=village,
        region_code=village.code,
        title=title,
        category=category,
        amount=amount,
        recorded_by=actor,
    )
    decision_refresh(decision)
    _log(actor, "governance_decision", decision.pk, f"新增四议两公开事项:{title}")
    return decision


def decision_refresh(decision: Decision) -> Decision:
    """Recompute the decision's derived facts from its steps and state (docs/domain.md §28) and save them."""
    recorded = dict(DecisionStep.objects.filter(decision=decision).values_list("step", "held_on"))
    missing = rules.missing_steps(recorded, decision.status)
    next_step, due = rules.next_due(recorded, decision.status, decision.implemented_on)
    decision.steps_done = len(recorded)
    decision.missing = ",".join(missing)
    decision.next_step, decision.next_due_on = next_step, due
    decision.save(update_fields=["steps_done", "missing", "next_step", "next_due_on", "updated_at"])
    return decision


def decision_findings_raise(decision: Decision, *, actor: User | None = None) -> int:
    """File a rectification finding for each missing step (docs/domain.md §28); returns how many were new.
    Keyed by governance.decision:<pk>:<step>, so a rerun files nothing twice."""
    created = 0
    for code in [c for c in decision.missing.split(",") if c]:
        label = rules.STEP_LABELS[code]
        _finding, new = finding_raise(
            actor=actor,
            source=Finding.Source.PLATFORM,
            category=rules.FINDING_CATEGORY,
            title=f"{decision.region.name}「{decision.title}」缺少{label}",
            region=decision.region,
            found_on=_today(),
            description=(
                f"事项「{decision.title}」已{decision.get_status_display()},但没有{label}的记录"
                "(四议两公开,docs/domain.md §28)。请补办并上传记录,或说明原因。"
            ),
            origin_key=f"governance.decision:{decision.pk}:{code}",
        )
        created += int(new)
    return created


def _locked(decision: Decision) -> Decision:
    return Decision.objects.select_for_update().select_related("region").get(pk=decision.pk)


def step_record(
    *,
    actor: User,
    decision: Decision,
    step: str,
    held_on: dt.date,
    expected: int | None = None,
    attending: int | None = None,
    votes_for: int | None = None,
    votes_against: int | None = None,
    votes_abstain: int | None = None,
    note: str = "",
    attachment: UploadedFile[bytes] | None = None,
) -> DecisionStep:
    """Record one step once, in order: its date between the earlier and the later steps recorded, not in the
    future (rules.order_problem); 实施结果公开 only after the implementation, not before its date."""
    _need(actor)
    _in_scope(actor, decision.region_code)
    if step not in rules.STEP_CODES:
        raise ValidationError({"step": "请选择程序"})
    label = rules.STEP_LABELS[step]
    problem = rules.votes_problem(expected, attending, (votes_for, votes_against, votes_abstain))
    if problem:
        raise ValidationError({"attending": problem})
    path = file_store(attachment, f"governance/decisions/{decision.pk}", "attachment", required=False)
    with transaction.atomic():
        locked = _locked(decision)
        if locked.status == Decision.Status.CLOSED:
            raise ValidationError(f"事项已于 {locked.closed_on:%Y-%m-%d} 办结,不能再登记程序")
        recorded = dict(DecisionStep.objects.filter(decision=locked).values_list("step", "held_on"))
        if step in recorded:
            raise ValidationError({"step": f"{label}已于 {recorded[step]:%Y-%m-%d} 登记,不能重复登记"})
        order = rules.order_problem(step, held_on, recorded, _today())
        if order:
            raise ValidationError({"held_on": order})
        if step == "result_disclosure":
            if locked.implemented_on is None:
                raise ValidationError({"step": "事项尚未实施,请先登记实施,再登记实施结果公开"})
            if held_on < locked.implemented_on:
                raise ValidationError(
                    {"held_on": f"实施结果公开的日期不能早于实施日期({locked.implemented_on:%Y-%m-%d})"}
                )
        if (
            locked.implemented_on is not None
            and step in rules.DELIBERATIONS
            and held_on > locked.implemented_on
        ):
            raise ValidationError(
                {"held_on": f"{label}的日期不能晚于实施日期({locked.implemented_on:%Y-%m-%d}),请核对"}
            )
        meeting = step in rules.MEETINGS
        try:
            with transaction.atomic():
                row = DecisionStep.objects.create(
                    decision=locked,
                    region_code=locked.region_code,
                    step=step,
                    held_on=held_on,
                    expected=expected if meeting else None,
                    attending=attending if meeting else None,
                    votes_for=votes_for if meeting else None,
                    votes_against=votes_against if meeting else None,
                    votes_abstain=votes_abstain if meeting else None,
                    note=(note or "").strip()[:300],
                    attachment=path,
                    recorded_by=actor,
                )
        except IntegrityError:
            raise ValidationError({"step": f"{label}已登记,不能重复登记"}) from None
        decision_refresh(locked)
        _log(actor, "governance_decision", locked.pk, f"四议两公开「{locked.title}」登记{label}")
    return row


def decision_implement(*, actor: User, decision: Decision, implemented_on: dt.date) -> Decision:
    """已实施: dated not in the future and not before any deliberation recorded; each missing step is then a
    finding (docs/domain.md §28)."""
    _need(actor)
    _in_scope(actor, decision.region_code)
    with transaction.atomic():
        locked = _locked(decision)
        if locked.status != Decision.Status.OPEN:
            raise ValidationError(f"事项已{locked.get_status_display()},不能重复登记实施")
        if implemented_on > _today():
            raise ValidationError({"implemented_on": "实施日期不能晚于今天,请核对"})
        latest = (
            DecisionStep.objects.filter(decision=locked, step__in=rules.DELIBERATIONS)
            .order_by("-held_on")
            .first()
        )
        if latest is not None and implemented_on < latest.held_on:
            raise ValidationError(
                {
                    "implemented_on": f"实施日期不能早于{latest.get_step_display()}"
                    f"({latest.held_on:%Y-%m-%d}),请核对"
                }
            )
        locked.status, locked.implemented_on = Decision.Status.IMPLEMENTED, implemented_on
        locked.save(update_fields=["status", "implemented_on", "updated_at"])
        decision_refresh(locked)
        decision_findings_raise(locked, actor=actor)
        _log(actor, "governance_decision", locked.pk, f"四议两公开「{locked.title}」登记实施")
    return locked


def decision_close(*, actor: User, decision: Decision, closed_on: dt.date) -> Decision:
    """已办结: after the implementation; a step still missing (实施结果公开 included) is a finding."""
    _need(actor)
    _in_scope(actor, decision.region_code)
    with transaction.atomic():
        locked = _locked(decision)
        if locked.status == Decision.Status.CLOSED:
            raise ValidationError(f"事项已于 {locked.closed_on:%Y-%m-%d} 办结")
        if locked.status != Decision.Status.IMPLEMENTED or locked.implemented_on is None:
            raise ValidationError("事项尚未实施,请先登记实施,再办结")
        if closed_on > _today():
            raise ValidationError({"closed_on": "办结日期不能晚于今天,请核对"})
        if closed_on < locked.implemented_on:
            raise ValidationError(
                {"closed_on": f"办结日期不能早于实施日期({locked.implemented_on:%Y-%m-%d})"}
            )
        locked.status, locked.closed_on = Decision.Status.CLOSED, closed_on
        locked.save(update_fields=["status", "closed_on", "updated_at"])
        decision_refresh(locked)
        decision_findings_raise(locked, actor=actor)
        _log(actor, "governance_decision", locked.pk, f"四议两公开「{locked.title}」办结")
    return locked


def governance_check(*, prefix: str = "") -> tuple[int, int]:
    """The nightly check (`dixian governance_check`): refresh every implemented or closed decision under
    `prefix` and raise its missing steps as findings. Returns (decisions missing a step, findings filed now)."""
    qs = Decision.objects.exclude(status=Decision.Status.OPEN).select_related("region").order_by("pk")
    if prefix:
        qs = qs.filter(region_code__gte=prefix, region_code__lt=prefix + "~")
    flagged = filed = 0
    for decision in qs.iterator(chunk_size=500):
        with transaction.atomic():
            decision_refresh(decision)
            if decision.missing:
                flagged += 1
                filed += decision_findings_raise(decision)
    return flagged, filed


# ---- 积分制 -------------------------------------------------------------------------------------------------


@transaction.atomic
def rule_create(*, actor: User, region: Region | None, item: str, points: int) -> PointsRule:
    _need(actor)
    village = _village(actor, region)
    item = (item or "").strip()
    errors: dict[str, str] = {}
    if not item:
        errors["item"] = "请填写积分项目"
    if points == 0:
        errors["points"] = "分值不能为 0:加分填正数,扣分填负数"
    elif abs(points) > 1000:
        errors["points"] = "分值应在 -1000 到 1000 之间"
    if errors:
        raise ValidationError(errors)
    if PointsRule.objects.filter(region=village, item=item).exists():
        raise ValidationError({"item": f"本村已有积分项目「{item}」,请换一个名称或停用原项目"})
    rule = PointsRule.objects.create(region=village, region_code=village.code, item=item, points=points)
    _log(actor, "governance_rule", rule.pk, f"新增积分规则:{village.name} {item}({points:+d})")
    return rule


@transaction.atomic
def rule_toggle(*, actor: User, rule: PointsRule) -> PointsRule:
    _need(actor)
    _in_scope(actor, rule.region_code)
    rule.active = not rule.active
    rule.save(update_fields=["active", "updated_at"])
    _log(actor, "governance_rule", rule.pk, f"积分规则「{rule.item}」{'启用' if rule.active else '停用'}")
    return rule


def balance_of(household_id: int) -> int:
    """Points awarded − points redeemed (docs/domain.md §28), by two aggregates."""
    awarded = PointsAward.objects.filter(household_id=household_id).aggregate(s=Sum("points"))["s"] or 0
    spent = PointsRedemption.objects.filter(household_id=household_id).aggregate(s=Sum("points"))["s"] or 0
    return int(awarded) - int(spent)


def _household(actor: User, household: Household) -> Household:
    _in_scope(actor, household.region_code)
    # Locked: two redemptions of the same household at once see each other's spending.
    return Household.objects.select_for_update().get(pk=household.pk)


@transaction.atomic
def points_award(
    *, actor: User, household: Household, rule: PointsRule | None, reason: str, awarded_on: dt.date
) -> PointsAward:
    """Points by a rule of the household's own village, active; the date not in the future."""
    _need(actor)
    locked = _household(actor, household)
    errors: dict[str, str] = {}
    if rule is None or rule.region_code != locked.region_code[:12]:
        errors["rule"] = "请选择本村的积分规则"
    elif not rule.active:
        errors["rule"] = f"积分规则「{rule.item}」已停用,请选择在用的规则"
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "请填写事由"
    if awarded_on > _today():
        errors["awarded_on"] = "日期不能晚于今天,请核对"
    if errors:
        raise ValidationError(errors)
    assert rule is not None  # noqa: S101 - checked above
    award = PointsAward.objects.create(
        household=locked,
        region_code=locked.region_code,
        rule=rule,
        points=rule.points,
        reason=reason[:200],
        awarded_on=awarded_on,
        recorded_by=actor,
    )
    _log(
        actor,
        "governance_award",
        award.pk,
        f"积分:{rule.item} {rule.points:+d}({reason[:40]})",
        household_id=locked.pk,
    )
    return award


@transaction.atomic
def points_redeem(
    *, actor: User, household: Household, item: str, points: int, redeemed_on: dt.date
) -> PointsRedemption:
    """积分超市: spend points on an item; refused beyond the household's balance."""
    _need(actor)
    locked = _household(actor, household)
    errors: dict[str, str] = {}
    item = (item or "").strip()
    if not item:
        errors["item"] = "请填写兑换物品"
    if points <= 0:
        errors["points"] = "消耗积分应为正整数"
    if redeemed_on > _today():
        errors["redeemed_on"] = "兑换日期不能晚于今天,请核对"
    if errors:
        raise ValidationError(errors)
    balance = balance_of(locked.pk)
    if points > balance:
        raise ValidationError(
            {"points": f"本户积分余额为 {balance} 分,不足以兑换 {points} 分的「{item}」,请减少兑换数量"}
        )
    redemption = PointsRedemption.objects.create(
        household=locked,
        region_code=locked.region_code,
        item=item[:100],
        points=points,
        redeemed_on=redeemed_on,
        recorded_by=actor,
    )
    _log(actor, "governance_redeem", redemption.pk, f"积分兑换:{item} -{points}", household_id=locked.pk)
    return redemption


# ---- 村规民约 and 红白理事会 ------------------------------------------------------------------------------------


def document_add(
    *,
    actor: User,
    region: Region | None,
    kind: str,
    title: str,
    adopted_on: dt.date,
    file: UploadedFile[bytes] | None,
) -> VillageDocument:
    _need(actor)
    village = _village(actor, region)
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = "请填写标题"
    if kind not in VillageDocument.Kind.values:
        errors["kind"] = "请选择类别"
    if adopted_on > _today():
        errors["adopted_on"] = "通过日期不能晚于今天,请核对"
    if errors:
        raise ValidationError(errors)
    path = file_store(file, f"governance/documents/{village.code}", "file", required=True)
    with transaction.atomic():
        document = VillageDocument.objects.create(
            region=village,
            region_code=village.code,
            kind=kind,
            title=title,
            adopted_on=adopted_on,
            file=path,
            recorded_by=actor,
        )
        _log(actor, "governance_document", document.pk, f"新增{document.get_kind_display()}:{title}")
    return document


def governance_follow_households(
    *, moves: Mapping[int, Region], **_: object
) -> dict[int, dict[str, list[int]]]:
    """A moved household's awards and redemptions take its new code, so the points lists naming it are
    scoped by where it lives now (docs/security.md §4, docs/domain.md §28). Connected to registry's
    `household_moved` (apps.py), in the move's transaction."""
    moved: dict[int, dict[str, list[int]]] = {}
    for region, pks in moves_by_region(moves):
        for model in (PointsAward, PointsRedemption):
            for i in range(0, len(pks), 500):
                rows_qs = model.objects.filter(household_id__in=pks[i : i + 500])
                rows = list(rows_qs.order_by().values_list("pk", "household_id"))
                rows_qs.update(region_code=region.code)
                for owner, found in moved_rows(rows, str(model._meta.verbose_name)).items():
                    moved.setdefault(owner, {}).update(found)
    return moved
