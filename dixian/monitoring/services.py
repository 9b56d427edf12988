"""Writes of the monitoring lifecycle (docs/domain.md §20): open a case from its clues, move it one legal
step at a time, send it back, refuse it, and keep the household and the alerts in step.

Every write locks the case row, checks that the form was drawn from the case as it is now (`seq`), checks
the move against `dixian.domain.lifecycle` and the account's capability and region, then writes the new
state, one append-only `CaseTransition` and the change log in one transaction. A refused move raises
ValidationError (a Chinese reason the page and the API show as it is) or PermissionDenied.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.cases.models import Alert
from dixian.cases.signals import alert_status_changed
from dixian.common.access import code_in_scope
from dixian.common.audit import change_record
from dixian.common.models import ChangeLog
from dixian.common.uploads import ATTACHMENT_MAX_BYTES, UploadRefused, attachment_clean
from dixian.domain import lifecycle as lc
from dixian.domain.risks import RISK_TYPES
from dixian.registry.models import HelperAssignment, Household
from dixian.registry.signals import moved_rows, moves_by_region, region_village

from .models import (
    CaseAttachment,
    CaseTransition,
    ConsistencyFinding,
    DeadlinePolicy,
    FollowUpCheck,
    MonitoringCase,
    RiskElimination,
)

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from dixian.accounts.models import User
    from dixian.regions.models import Region

# Who may do the steps an owner owns (docs/domain.md §20).
OWNER_CAPABILITY: dict[str, Capability] = {
    lc.VILLAGE: Capability.CASES_VILLAGE,
    lc.TOWNSHIP: Capability.CASES_TOWNSHIP,
    lc.COUNTY_CHECK: Capability.CASES_CROSS_CHECK,
    lc.COUNTY: Capability.CASES_COUNTY,
}
# Who may open a case (拟纳入): the village, and the levels above it on the village's behalf.
OPENERS = (Capability.CASES_VILLAGE, Capability.CASES_TOWNSHIP, Capability.CASES_COUNTY)
# A form drawn from the case before its last step (two tabs, two clicks): code "stale", the API's 409.
STALE = "该档案已经办理过这一步(可能是重复提交或他人已处理),请刷新页面查看最新状态。"


def deadline_policy_for(region: Region) -> tuple[int, bool]:
    """(limit in days, working days?) of the nearest region up the tree that sets one; else 15 calendar
    days. A region's subtree shares its code prefix, so the ancestors are the prefixes of the code."""
    prefixes = [region.code[:n] for n in sorted(set(region.PREFIX_LENGTH.values()))]
    policies = DeadlinePolicy.objects.filter(region__prefix__in=prefixes).values_list(
        "region__prefix", "limit_days", "working_days"
    )
    nearest = max(policies, key=lambda p: len(p[0]), default=None)
    if nearest is None:
        return lc.DEFAULT_LIMIT_DAYS, False
    return nearest[1], nearest[2]


def _village_of(household: Household) -> Region:
    region = household.region
    while region.level == "group" and region.parent is not None:
        region = region.parent
    return region


def may_act(user: User, case: MonitoringCase, owner: str | None = None) -> bool:
    """Whether `user` may do the current step of `case` (or a step of `owner`): its capability and region."""
    owner = owner if owner is not None else case.step.owner
    capability = OWNER_CAPABILITY.get(owner)
    return capability is not None and user_can(user, capability) and code_in_scope(user, case.region_code)


def _require(user: User, case: MonitoringCase, owner: str | None = None) -> None:
    if not code_in_scope(user, case.region_code):
        raise PermissionDenied("该档案不在您的管辖范围内")
    if not may_act(user, case, owner):
        owner = owner if owner is not None else case.step.owner
        raise PermissionDenied(
            f"“{case.step.label}”环节由{lc.OWNERS.get(owner, '')}办理,您的账号不能办理这一步。"
        )


def lock_case(case: MonitoringCase) -> MonitoringCase:
    """The household's row, then the case's (only those: not the village's row a join would also lock), in
    the order every write of the lifecycle takes them, case_open included, so two writes on one household
    wait for each other instead of deadlocking."""
    Household.objects.select_for_update().filter(pk=case.household_id).first()
    return (
        MonitoringCase.objects.select_for_update(of=("self",))
        .select_related("household", "region")
        .get(pk=case.pk)
    )


def _locked(case: MonitoringCase, seq: int | None) -> MonitoringCase:
    locked = lock_case(case)
    if seq is not None and locked.seq != seq:
        raise ValidationError(STALE, code="stale")
    return locked


def _actor_name(actor: User | None) -> str:
    if actor is None or not actor.is_authenticated:
        return "系统"
    return actor.get_full_name() or actor.username


def _record(
    case: MonitoringCase,
    *,
    action: str,
    from_state: str,
    actor: User | None,
    on: dt.date,
    reason: str = "",
    data: Mapping[str, Any] | None = None,
    source: str = ChangeLog.Source.WEB,
) -> CaseTransition:
    """Append the transition to `case` (already moved to its new state) and save both, with the change log."""
    case.seq += 1
    if from_state != case.state:
        case.state_since = timezone.now()
    case.save()
    try:
        with transaction.atomic():
            transition = CaseTransition.objects.create(
                case=case,
                seq=case.seq,
                action=action,
                from_state=from_state,
                to_state=case.state,
                on=on,
                at=timezone.now(),
                actor=actor if actor is not None and actor.is_authenticated else None,
                actor_name=_actor_name(actor),
                reason=reason,
                data=dict(data or {}),
            )
    except IntegrityError:
        raise ValidationError(STALE, code="stale") from None
    step_from = lc.STEPS[from_state].label if from_state else "—"
    change_record(
        actor=actor,
        source=source,
        entity="monitoring_case",
        entity_id=case.pk,
        household_id=case.household_id,
        action=ChangeLog.Action.CREATE if action == CaseTransition.Action.OPEN else ChangeLog.Action.UPDATE,
        changes={"state": [from_state, case.state]},
        summary=f"监测帮扶档案 第{case.episode}次:{CaseTransition.Action(action).label} {step_from} → {case.step.label}",
    )
    return transition


def _set_alerts(
    case: MonitoringCase, alerts: Iterable[Alert], status: str, note: str, actor: User | None
) -> None:
    for alert in alerts:
        if alert.status == status or not alert.is_open:
            continue
        old = alert.status
        alert.status = status
        if status in (Alert.Status.CONFIRMED, Alert.Status.DISMISSED):
            alert.closed_at = timezone.now()
            alert.closed_by = actor if actor is not None and actor.is_authenticated else None
        alert.close_note = note[:500]
        alert.save()
        change_record(
            actor=actor,
            source=ChangeLog.Source.WEB,
            entity="alert",
            entity_id=alert.pk,
            household_id=alert.household_id,
            action=ChangeLog.Action.UPDATE,
            changes={"status": [old, status]},
            summary=f"预警线索 {RISK_TYPES[alert.risk_code].name}:{Alert.Status(old).label} → {alert.get_status_display()}"
            f"(监测帮扶档案 第{case.episode}次)",
        )
        # The declarations behind the alert follow it (docs/architecture.md).
        alert_status_changed.send(sender=Alert, alert=alert, note=alert.close_note, actor=actor)


@transaction.atomic
def case_open(
    *,
    household: Household,
    actor: User | None,
    origin: str,
    alerts: Iterable[Alert] = (),
    reason: str = "",
    first_clue_on: dt.date | None = None,
    on: dt.date | None = None,
) -> MonitoringCase:
    """拟纳入: open the household's case from its clues, or join them to the case already open.

    The clock starts at the earliest clue (an alert's first evidence, or `first_clue_on`). Opening by hand
    (no alert) needs a reason. The alerts become 拟纳入 and follow the case from then on.
    """
    today = timezone.localdate()
    on = on or today
    alerts = list(alerts)
    reason = reason.strip()
    if any(a.household_id != household.pk for a in alerts):
        raise ValidationError("所选预警线索不属于同一户,不能并入同一份档案")
    if any(not a.is_open for a in alerts):
        raise ValidationError("所选预警线索中有已办结的,不能再拟纳入")
    if not alerts and not reason:
        raise ValidationError("没有预警线索时发起监测,请填写发起理由")
    village = _village_of(household)
    if actor is not None and not (
        code_in_scope(actor, household.region_code) and any(user_can(actor, c) for c in OPENERS)
    ):
        raise PermissionDenied("您的账号不能为该户发起监测帮扶档案")
    Household.objects.select_for_update().filter(pk=household.pk).first()
    case = (
        MonitoringCase.objects.select_for_update()
        .filter(household=household)
        .exclude(state__in=lc.CLOSED)
        .first()
    )
    clue_dates = [timezone.localdate(a.raised_at) for a in alerts] + (
        [first_clue_on] if first_clue_on else []
    )
    first = min(clue_dates) if clue_dates else on
    if case is not None:
        case.alerts.add(*alerts)
        if first < case.first_clue_on and case.state in lc.IDENTIFYING:
            case.first_clue_on = first
            case.due_on = lc.add_days(first, case.limit_days, working_days=case.working_days)
        _record(
            case,
            action=CaseTransition.Action.JOIN,
            from_state=case.state,
            actor=actor,
            on=on,
            reason=reason,
            data={"alerts": [a.pk for a in alerts]},
        )
        if case.state in lc.IDENTIFYING or case.state in lc.ELIMINATING:
            # While an elimination is under way a new risk stays open: the county's recheck of the
            # criteria (no open alert) then refuses the elimination until it is dealt with.
            _set_alerts(case, alerts, Alert.Status.PROPOSED, reason, actor)
        elif case.state in lc.MONITORED_STATES:
            _set_alerts(case, alerts, Alert.Status.CONFIRMED, reason or "已在监测帮扶中", actor)
        return case
    last = MonitoringCase.objects.filter(household=household).aggregate(n=Max("episode"))["n"] or 0
    previous = MonitoringCase.objects.filter(household=household, episode=last).first() if last else None
    days, working = deadline_policy_for(village)
    case = MonitoringCase(
        household=household,
        region=village,
        region_code=household.region_code,
        episode=last + 1,
        previous=previous,
        state=lc.HOME_CHECK,
        state_since=timezone.now(),
        origin=origin,
        origin_note=reason[:500],
        risk_codes=sorted({a.risk_code for a in alerts})[: lc.MAX_RISKS],
        first_clue_on=first,
        limit_days=days,
        working_days=working,
        due_on=lc.add_days(first, days, working_days=working),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        raise ValidationError("该户已有正在办理的监测帮扶档案,请刷新页面后并入该档案") from None
    case.alerts.add(*alerts)
    case.seq = 0
    _record(
        case,
        action=CaseTransition.Action.OPEN,
        from_state="",
        actor=actor,
        on=on,
        reason=reason,
        data={"alerts": [a.pk for a in alerts], "origin": origin},
    )
    _set_alerts(case, alerts, Alert.Status.PROPOSED, reason, actor)
    return case


def _check_home_check(case: MonitoringCase, data: Mapping[str, Any]) -> dict[str, Any]:
    category = str(data.get("category") or "")
    risks = [str(r) for r in data.get("risk_codes") or []]
    if category not in dict(lc_categories()):
        raise ValidationError("请选择监测对象类别(脱贫不稳定户、边缘易致贫户或突发严重困难户)")
    if not risks:
        raise ValidationError("请至少选择一项风险类型")
    if len(risks) > lc.MAX_RISKS:
        raise ValidationError(f"风险类型最多选择{lc.MAX_RISKS}项,请保留主要的{lc.MAX_RISKS}项")
    unknown = [r for r in risks if r not in RISK_TYPES]
    if unknown:
        raise ValidationError(f"未知的风险类型代码:{'、'.join(unknown)}")
    if not case.attachments.filter(kind=CaseAttachment.Kind.AUTHORISATION).exists():
        raise ValidationError("请先上传农户签字的承诺授权书(照片或PDF),再完成入户核实")
    case.category = category
    case.risk_codes = list(dict.fromkeys(risks))
    return {"category": category, "risk_codes": case.risk_codes}


def lc_categories() -> list[tuple[str, str]]:
    from .models import CATEGORY_CHOICES

    return CATEGORY_CHOICES


def _active_helper(household: Household, on: dt.date) -> HelperAssignment | None:
    return (
        HelperAssignment.objects.filter(household=household, start_date__lte=on)
        .exclude(end_date__isnull=False, end_date__lte=on)
        .select_related("helper")
        .first()
    )


@transaction.atomic
def case_advance(
    *,
    case: MonitoringCase,
    actor: User | None,
    seq: int | None,
    on: dt.date | None = None,
    reason: str = "",
    data: Mapping[str, Any] | None = None,
    method: str = "",
) -> MonitoringCase:
    """Complete the case's current step and move it to the next (docs/domain.md §5, §7).

    Each step's own conditions are checked here: the home check's category, risk types and signed
    authorisation; the notice's five full days; a helper before county approval; the elimination criteria
    before an elimination is proposed; the method of elimination.
    """
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise ValidationError("办理日期不能晚于今天")
    case = _locked(case, seq)
    if not case.is_open:
        raise ValidationError(f"该档案已{case.step.label},不能再办理")
    if actor is not None:
        _require(actor, case)
    # A step is done after the steps before it, a send-back or a rejected elimination included: a
    # backdated review would shorten the notice. (Opening the case is not a step: a home check done
    # yesterday may be entered with a case opened today.)
    last_on = (
        case.transitions.exclude(
            action__in=[CaseTransition.Action.OPEN, CaseTransition.Action.JOIN, CaseTransition.Action.IMPORT]
        )
        .order_by("-seq")
        .values_list("on", flat=True)
        .first()
    )
    if last_on is not None and on < last_on:
        raise ValidationError(f"办理日期不能早于上一步的办理日期({last_on:%Y年%-m月%-d日})")
    from_state = case.state
    recorded: dict[str, Any] = {}
    if from_state == lc.HOME_CHECK:
        recorded.update(_check_home_check(case, data or {}))
        recorded["checklist"] = dict((data or {}).get("checklist") or {})
    elif from_state in (lc.PUBLIC_NOTICE, lc.ELIM_NOTICE):
        posted = case.notice_posted_on
        earliest = lc.notice_may_close_on(posted) if posted else None
        if earliest is None or on < earliest:
            raise ValidationError(
                f"公示须满{lc.NOTICE_FULL_DAYS}个整天:本次公示于{posted:%Y年%-m月%-d日}开始,"
                f"{earliest:%Y年%-m月%-d日}起才能结束公示。"
                if posted and earliest
                else "公示尚未开始,不能结束"
            )
        recorded["notice"] = {
            "posted_on": posted.isoformat() if posted else None,
            "closed_on": on.isoformat(),
        }
    elif from_state == lc.COUNTY_APPROVAL:
        helper = _active_helper(case.household, on)
        if helper is None:
            raise ValidationError("审定纳入监测前,请先为该户落实帮扶联系人(结对帮扶)")
        recorded["helper"] = {"id": helper.helper_id, "unit": helper.unit}
    elif from_state == lc.MONITORING:
        from .criteria import elimination_criteria

        if method not in lc.ELIMINATION_METHODS:
            raise ValidationError("请选择风险消除方式(帮扶消除或自然消除)")
        criteria = elimination_criteria(case, on=on, method=method)
        unmet = [c for c in criteria if not c.met]
        if unmet:
            raise ValidationError(
                "尚不符合风险消除条件:" + ";".join(f"{c.label}({c.evidence})" for c in unmet)
            )
        snapshot = [c.as_dict() for c in criteria]
        RiskElimination.objects.update_or_create(
            case=case,
            defaults={"method": method, "proposed_on": on, "criteria": snapshot, "approved_on": None},
        )
        recorded.update({"method": method, "criteria": snapshot})
    elif from_state == lc.ELIM_COUNTY:
        # The criteria are checked again the moment the county approves (docs/domain.md §20): a household
        # whose income fell or that gained an alert since the proposal is not released on paper.
        from .criteria import elimination_criteria

        elimination = RiskElimination.objects.get(case=case)
        criteria = elimination_criteria(case, on=on, method=elimination.method)
        unmet = [c for c in criteria if not c.met]
        if unmet:
            raise ValidationError(
                "风险消除条件已不再全部满足,不能审定风险消除:"
                + ";".join(f"{c.label}({c.evidence})" for c in unmet)
                + "。请退回或作“不同意消除”处理。"
            )
        recorded["criteria"] = [c.as_dict() for c in criteria]
    case.state = lc.next_state(from_state)
    if case.state in (lc.PUBLIC_NOTICE, lc.ELIM_NOTICE):
        case.notice_posted_on = on
    if from_state == lc.COUNTY_APPROVAL:
        case.identified_on = on
        case.decided_on = on
        _set_household_category(case, case.category, actor)
        _set_alerts(case, case.alerts.all(), Alert.Status.CONFIRMED, reason or "县级审定纳入监测", actor)
    if case.state == lc.ELIMINATED:
        elimination = RiskElimination.objects.get(case=case)
        elimination.approved_on = on
        elimination.save(update_fields=["approved_on", "updated_at"])
        case.eliminated_on = on
        case.elimination_method = elimination.method
        case.closed_at = timezone.now()
        _set_household_category(case, "", actor)
        FollowUpCheck.objects.bulk_create(
            FollowUpCheck(case=case, due_on=lc.months_after(on, months)) for months in lc.FOLLOW_UP_MONTHS
        )
        recorded["follow_ups"] = [lc.months_after(on, m).isoformat() for m in lc.FOLLOW_UP_MONTHS]
    _record(
        case,
        action=CaseTransition.Action.ADVANCE,
        from_state=from_state,
        actor=actor,
        on=on,
        reason=reason,
        data={
            **recorded,
            **{k: v for k, v in (data or {}).items() if k not in recorded and k != "checklist"},
        },
    )
    return case


@transaction.atomic
def case_send_back(
    *, case: MonitoringCase, actor: User | None, seq: int | None, to_state: str, reason: str
) -> MonitoringCase:
    """退回: send the case back to an earlier step of its procedure, with a reason."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("退回必须填写理由")
    case = _locked(case, seq)
    if actor is not None:
        _require(actor, case)
    if to_state not in lc.earlier_states(case.state):
        raise ValidationError(
            f"“{case.step.label}”不能退回到“{lc.STEPS.get(to_state, lc.STEPS[lc.HOME_CHECK]).label}”"
        )
    from_state = case.state
    case.state = to_state
    # A case sent back to its notice is posted again: the five full days run anew.
    case.notice_posted_on = timezone.localdate() if to_state in (lc.PUBLIC_NOTICE, lc.ELIM_NOTICE) else None
    _record(
        case,
        action=CaseTransition.Action.SEND_BACK,
        from_state=from_state,
        actor=actor,
        on=timezone.localdate(),
        reason=reason,
    )
    return case


@transaction.atomic
def case_refuse(*, case: MonitoringCase, actor: User | None, seq: int | None, reason: str) -> MonitoringCase:
    """不予纳入: close a case still being identified, with the reason; its alerts are ruled out with it."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("不予纳入必须填写理由")
    case = _locked(case, seq)
    if actor is not None:
        _require(actor, case)
    if not lc.can_refuse(case.state):
        raise ValidationError(f"档案处于“{case.step.label}”,不能作不予纳入处理")
    from_state = case.state
    case.state = lc.REFUSED
    case.decided_on = timezone.localdate()
    case.closed_at = timezone.now()
    _record(
        case,
        action=CaseTransition.Action.REFUSE,
        from_state=from_state,
        actor=actor,
        on=case.decided_on,
        reason=reason,
    )
    _set_alerts(case, case.alerts.all(), Alert.Status.DISMISSED, f"不予纳入:{reason}", actor)
    return case


@transaction.atomic
def case_reject_elimination(
    *, case: MonitoringCase, actor: User | None, seq: int | None, reason: str
) -> MonitoringCase:
    """不同意消除: a proposed elimination is turned down; the household stays monitored."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("不同意风险消除必须填写理由")
    case = _locked(case, seq)
    if actor is not None:
        _require(actor, case)
    if not lc.can_reject_elimination(case.state):
        raise ValidationError("档案不在风险消除程序中")
    from_state = case.state
    case.state = lc.MONITORING
    case.notice_posted_on = None
    RiskElimination.objects.filter(case=case).delete()
    # A new risk that joined during the elimination is now worked under the monitored case.
    _set_alerts(
        case,
        case.alerts.filter(status=Alert.Status.PROPOSED),
        Alert.Status.CONFIRMED,
        "已在监测帮扶中",
        actor,
    )
    _record(
        case,
        action=CaseTransition.Action.REJECT,
        from_state=from_state,
        actor=actor,
        on=timezone.localdate(),
        reason=reason,
    )
    return case


def _set_household_category(case: MonitoringCase, category: str, actor: User | None) -> None:
    """The household's 监测对象类别 is written here only (the household form does not offer it)."""
    household = Household.objects.select_for_update().get(pk=case.household_id)
    old = household.monitoring_category
    if old == category:
        return
    household.monitoring_category = category
    household.save(update_fields=["monitoring_category", "updated_at"])
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="household",
        entity_id=household.pk,
        household_id=household.pk,
        action=ChangeLog.Action.UPDATE,
        changes={"monitoring_category": [old, category]},
        summary=f"监测对象类别随监测帮扶档案 第{case.episode}次变更",
    )


@transaction.atomic
def case_from_import(
    *,
    household: Household,
    identified_on: dt.date,
    category: str,
    risk_codes: list[str],
    actor: User | None = None,
    source: str = ChangeLog.Source.IMPORT,
) -> MonitoringCase | None:
    """A household imported as already monitored (with its 识别时间) becomes a case in 监测帮扶中 with that
    history, so the national system's data and the platform agree. Nothing when it has an open case."""
    if MonitoringCase.objects.filter(household=household).exclude(state__in=lc.CLOSED).exists():
        return None
    last = MonitoringCase.objects.filter(household=household).aggregate(n=Max("episode"))["n"] or 0
    village = _village_of(household)
    case = MonitoringCase.objects.create(
        household=household,
        region=village,
        region_code=household.region_code,
        episode=last + 1,
        state=lc.MONITORING,
        state_since=timezone.now(),
        origin=MonitoringCase.Origin.IMPORT,
        category=category,
        risk_codes=[r for r in risk_codes if r in RISK_TYPES][: lc.MAX_RISKS],
        first_clue_on=identified_on,
        due_on=identified_on,
        decided_on=identified_on,
        identified_on=identified_on,
    )
    _record(
        case,
        action=CaseTransition.Action.IMPORT,
        from_state="",
        actor=actor,
        on=identified_on,
        reason="全国防返贫监测信息系统导入:已识别为监测对象",
        data={"category": category, "risk_codes": case.risk_codes},
        source=source,
    )
    return case


def attachment_add(
    *, case: MonitoringCase, kind: str, upload: UploadedFile[bytes], actor: User | None
) -> CaseAttachment:
    """Attach a photo or a scanned PDF to `case` (the signed authorisation, a photo of the home check …).

    The file is checked by its content (JPEG/PNG/WebP re-encoded without its metadata; a PDF by its header
    and shape), at most 10 MB (docs/security.md §2), and stored under MEDIA_ROOT/cases/<case>/<sha256>.<ext>,
    outside the web root: only `views.attachment` serves it, to accounts that may open the case. The row is
    append-only like the transitions; the uploader is whoever may do the case's current step.
    """
    if kind not in CaseAttachment.Kind.values:
        raise ValidationError("材料类型无效,请从页面上的选项中选择")
    if not case.is_open:
        raise ValidationError(f"该档案已{case.step.label},不能再上传材料")
    if actor is not None:
        _require(actor, case)
    name = (upload.name or "材料").replace("/", "_")[-200:]
    if upload.size is not None and upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(f"文件「{name}」超过 10 MB,请压缩后再上传。")
    data = upload.read(ATTACHMENT_MAX_BYTES + 1)
    try:
        clean = attachment_clean(data, name)
    except UploadRefused as exc:
        raise ValidationError(exc.message) from None
    sha = hashlib.sha256(clean.content).hexdigest()
    path = f"cases/{case.pk}/{sha}.{clean.extension}"
    written = False
    if not default_storage.exists(path):
        stored = default_storage.save(path, ContentFile(clean.content))
        if stored != path:  # written by a concurrent upload of the same file meanwhile: keep one copy
            default_storage.delete(stored)
        written = stored == path
    try:
        with transaction.atomic():
            attachment = CaseAttachment.objects.create(
                case=case,
                kind=kind,
                path=path,
                original_name=name,
                content_type=clean.content_type,
                size=len(clean.content),
                sha256=sha,
                uploaded_at=timezone.now(),
                uploaded_by=actor if actor is not None and actor.is_authenticated else None,
            )
            change_record(
                actor=actor,
                source=ChangeLog.Source.WEB,
                entity="monitoring_case",
                entity_id=case.pk,
                household_id=case.household_id,
                action=ChangeLog.Action.UPDATE,
                changes={"attachment": ["", attachment.get_kind_display()]},
                summary=f"监测帮扶档案 第{case.episode}次:上传{attachment.get_kind_display()}",
            )
    except BaseException:
        if written:  # the row is gone with the transaction; the file holds personal data
            default_storage.delete(path)
        raise
    return attachment


# Cases updated per statement when households move (an IN list both databases take).
FOLLOW_CHUNK = 500


def monitoring_follow_households(
    *, moves: Mapping[int, Region], **_: object
) -> dict[int, dict[str, list[int]]]:
    """A moved household's cases (open or closed) take its new village and code, and its consistency
    findings the code, so that they are scoped, listed, noticed and worked where the household lives now
    (docs/security.md §4). Connected to registry's `household_moved` (apps.py), in the move's transaction."""
    moved: dict[int, dict[str, list[int]]] = {}
    for region, pks in moves_by_region(moves):
        village = region_village(region)
        for i in range(0, len(pks), FOLLOW_CHUNK):
            chunk = pks[i : i + FOLLOW_CHUNK]
            cases = MonitoringCase.objects.filter(household_id__in=chunk)
            rows = list(cases.order_by().values_list("pk", "household_id"))
            cases.update(region=village, region_code=region.code)
            ConsistencyFinding.objects.filter(household_id__in=chunk).update(region_code=region.code)
            for owner, found in moved_rows(rows, str(MonitoringCase._meta.verbose_name)).items():
                moved.setdefault(owner, {}).update(found)
    return moved
