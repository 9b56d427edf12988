"""Assistance of a monitoring case (一户一策, docs/domain.md §6, §20): the household's 帮扶联系人 (结对帮扶,
`registry.HelperAssignment`) and the plan of measures (`Measure`), with what the case page says about them.

Writes follow the services of the lifecycle: keyword-only, `actor=`, one transaction with its change-log
rows, a refused write raises ValidationError (a Chinese reason) or PermissionDenied. Who may write:
- a measure: an account with MEASURES_EDIT that may open the case (its subtree, or a 帮扶干部's own
  household); planned from the home check on (a draft plan while identifying), 落实 only from county
  approval on, nothing once the case is closed;
- a helper assignment: an account with HELPERS_ASSIGN that may open the case (the village, the township).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from dixian.accounts.capabilities import Capability, holding_any, user_can
from dixian.accounts.models import User
from dixian.common.access import may_view_pii
from dixian.common.audit import change_record, diff_fields
from dixian.common.masking import phone_shown
from dixian.common.models import ChangeLog
from dixian.domain import lifecycle as lc
from dixian.domain.dictionaries import LABOURER_SKILLS
from dixian.domain.risks import RISK_TYPES
from dixian.regions.models import Region
from dixian.registry.models import HelperAssignment, Household, Person

from .models import Measure, MonitoringCase
from .selectors import case_scope_for_user
from .services import lock_case

# 落实 (and finishing) a measure belongs to a household being monitored: from county approval on, through
# the elimination steps. Planning is open on any open case, so the plan can be drafted while identifying.
APPLY_STATES: frozenset[str] = frozenset({lc.COUNTY_APPROVAL}) | lc.MONITORED_STATES
# Who may be a 帮扶联系人: a helper's capability, or the front line's own (村/乡 cadres pair up too).
HELPER_CAPABILITIES = (Capability.REGISTRY_VIEW_ASSIGNED, Capability.MEASURES_EDIT)
MEASURE_FIELDS = ("category", "item", "detail", "start_on", "end_on", "amount", "deliverer")
# The statuses a measure may move to from each, the target's Chinese verb in the messages.
NEXT_STATUS: dict[str, tuple[str, ...]] = {
    Measure.Status.PLANNED: (Measure.Status.APPLIED, Measure.Status.CANCELLED),
    Measure.Status.APPLIED: (Measure.Status.FINISHED, Measure.Status.CANCELLED),
    Measure.Status.FINISHED: (),
    Measure.Status.CANCELLED: (),
}
STATUS_VERB = {
    Measure.Status.APPLIED: "标记落实",
    Measure.Status.FINISHED: "标记完成",
    Measure.Status.CANCELLED: "取消",
}
# How long after identification a household with labour capacity should have a development measure.
DEVELOPMENT_WITHIN_MONTHS = 1


def _may_open(actor: User, case: MonitoringCase) -> bool:
    return case_scope_for_user(actor).filter(pk=case.pk).exists()


def _require(actor: User, case: MonitoringCase, capability: Capability) -> None:
    if not _may_open(actor, case):
        raise PermissionDenied("该档案不在您的管辖范围内")
    if not user_can(actor, capability):
        raise PermissionDenied(f"您的账号没有“{capability.label}”的权限。")


def _name(user: User) -> str:
    return user.get_full_name() or user.username


def _today() -> dt.date:
    return timezone.localdate()


# --- 帮扶联系人 -------------------------------------------------------------------------------------------


def helper_candidates(household: Household) -> list[User]:
    """The active accounts that may be the household's 帮扶联系人: those whose region covers the household
    (so that, once paired, it is in their scope) and that hold a helper's or the front line's capability."""
    prefixes = sorted({household.region_code[:n] for n in Region.PREFIX_LENGTH.values()})
    accounts = (
        User.objects.filter(is_active=True, region__prefix__in=prefixes)
        .select_related("region")
        .order_by("region__code", "last_name", "first_name", "username")
    )
    return [u for u in holding_any(accounts, *HELPER_CAPABILITIES) if u.region is not None]


def _active(household: Household, on: dt.date) -> Q:
    return Q(household=household, start_date__lte=on) & (Q(end_date__isnull=True) | Q(end_date__gt=on))


def _locked_case(case: MonitoringCase) -> tuple[MonitoringCase, Household]:
    """The case row locked, as `case_advance` locks it: a pairing ended while the county approves (which
    needs an active one) waits for the approval, and the approval sees the pairing as it ends up."""
    locked = lock_case(case)
    return locked, locked.household


def _assignment_summary(assignment: HelperAssignment, helper: User) -> str:
    unit = f"({assignment.unit})" if assignment.unit else ""
    return f"帮扶联系人 {_name(helper)}{unit}"


@transaction.atomic
def helper_assign(
    *, case: MonitoringCase, actor: User, helper: User, unit: str, start_date: dt.date
) -> HelperAssignment:
    """结对帮扶: pair `helper` with the case's household from `start_date` (not later than today)."""
    _require(actor, case, Capability.HELPERS_ASSIGN)
    case, household = _locked_case(case)
    if not case.is_open:
        raise ValidationError(f"该档案已{case.step.label},不能再安排帮扶联系人")
    if helper.pk not in {u.pk for u in helper_candidates(household)}:
        raise ValidationError("所选账号不能作为该户的帮扶联系人(须为本辖区在用的帮扶干部或村、乡镇干部账号)")
    today = _today()
    if start_date > today:
        raise ValidationError("结对开始日期不能晚于今天")
    unit = unit.strip()
    if len(unit) > 100:
        raise ValidationError("帮扶单位最多100字")
    if HelperAssignment.objects.filter(
        _active(household, start_date) | _active(household, today), helper=helper
    ).exists():
        raise ValidationError(f"{_name(helper)}已是该户的帮扶联系人")
    assignment = HelperAssignment.objects.create(
        household=household, helper=helper, unit=unit, start_date=start_date
    )
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="helper_assignment",
        entity_id=assignment.pk,
        household_id=household.pk,
        action=ChangeLog.Action.CREATE,
        changes={"unit": [None, unit], "start_date": [None, start_date.isoformat()]},
        summary=f"安排{_assignment_summary(assignment, helper)},{start_date:%Y-%m-%d}起",
    )
    return assignment


@transaction.atomic
def helper_end(
    *, case: MonitoringCase, actor: User, assignment: HelperAssignment, end_date: dt.date
) -> HelperAssignment:
    """End a pairing on `end_date` (the last day it counts is the day before). A household being monitored
    keeps at least one 帮扶联系人: its last one ends only once another is in place."""
    _require(actor, case, Capability.HELPERS_ASSIGN)
    case, household = _locked_case(case)
    assignment = HelperAssignment.objects.select_related("helper").get(pk=assignment.pk, household=household)
    if assignment.end_date is not None and assignment.end_date <= _today():
        raise ValidationError("该结对帮扶已经结束")
    if end_date > _today():
        raise ValidationError("结束日期不能晚于今天")
    if end_date < assignment.start_date:
        raise ValidationError(f"结束日期不能早于结对开始日期({assignment.start_date:%Y-%m-%d})")
    if case.state in APPLY_STATES:
        others = HelperAssignment.objects.filter(_active(household, _today())).exclude(pk=assignment.pk)
        if not others.exists():
            raise ValidationError("该户正在监测帮扶中,须有帮扶联系人:请先安排新的帮扶联系人,再结束原结对")
    old = assignment.end_date
    assignment.end_date = end_date
    assignment.save(update_fields=["end_date"])
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="helper_assignment",
        entity_id=assignment.pk,
        household_id=household.pk,
        action=ChangeLog.Action.UPDATE,
        changes={"end_date": [old.isoformat() if old else None, end_date.isoformat()]},
        summary=f"结束{_assignment_summary(assignment, assignment.helper)},{end_date:%Y-%m-%d}止",
    )
    return assignment


# --- 帮扶措施 --------------------------------------------------------------------------------------------


def _measure_check(case: MonitoringCase, data: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {f: data.get(f) for f in MEASURE_FIELDS}
    if clean["category"] not in lc.MEASURE_CATEGORIES:
        raise ValidationError({"category": "请选择措施类别"})
    for name, label, limit in (("item", "具体措施", 100), ("deliverer", "落实单位或责任人", 100)):
        text = str(clean[name] or "").strip()
        if not text:
            raise ValidationError({name: f"请填写{label}"})
        if len(text) > limit:
            raise ValidationError({name: f"{label}最多{limit}字"})
        clean[name] = text
    detail = str(clean["detail"] or "").strip()
    clean["detail"] = detail
    if len(detail) > 500:
        raise ValidationError({"detail": "措施说明最多500字"})
    start, end = clean["start_on"], clean["end_on"]
    if not isinstance(start, dt.date):
        raise ValidationError({"start_on": "请填写开始日期"})
    if start < case.first_clue_on - dt.timedelta(days=366):
        raise ValidationError({"start_on": "开始日期早于本次监测一年以上,请核对"})
    if end is not None and end < start:
        raise ValidationError({"end_on": "结束日期不能早于开始日期"})
    amount = clean["amount"]
    if amount is not None and Decimal(amount) < 0:
        raise ValidationError({"amount": "金额不能为负数"})
    return clean


def _editable(case: MonitoringCase) -> None:
    if not case.is_open:
        raise ValidationError(f"该档案已{case.step.label},帮扶计划不能再修改")


def _measure_label(measure: Measure) -> str:
    return f"帮扶措施 {lc.MEASURE_CATEGORIES[measure.category].label} {measure.item}"


@transaction.atomic
def measure_create(*, case: MonitoringCase, actor: User, data: dict[str, Any]) -> Measure:
    """Add a measure to the case's plan (计划实施)."""
    _require(actor, case, Capability.MEASURES_EDIT)
    case = MonitoringCase.objects.select_for_update().get(pk=case.pk)
    _editable(case)
    clean = _measure_check(case, data)
    measure = Measure.objects.create(case=case, created_by=actor, **clean)
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="measure",
        entity_id=measure.pk,
        household_id=case.household_id,
        action=ChangeLog.Action.CREATE,
        changes=diff_fields({}, clean, MEASURE_FIELDS),
        summary=f"新增{_measure_label(measure)}(监测帮扶档案 第{case.episode}次)",
    )
    return measure


def _locked_measure(case: MonitoringCase, measure: Measure) -> Measure:
    try:
        return Measure.objects.select_for_update().select_related("case").get(pk=measure.pk, case=case)
    except Measure.DoesNotExist:
        raise ValidationError("该措施不属于本档案") from None


@transaction.atomic
def measure_update(
    *, case: MonitoringCase, measure: Measure, actor: User, data: dict[str, Any], stamp: str = ""
) -> Measure:
    """Change a measure still planned or applied. `stamp` is the measure's `updated_at` the form was drawn
    with: a form drawn before someone else's change writes nothing."""
    _require(actor, case, Capability.MEASURES_EDIT)
    measure = _locked_measure(case, measure)
    _editable(measure.case)
    if stamp and stamp != measure.updated_at.isoformat():
        raise ValidationError("该措施已被他人修改,请刷新页面后重新填写")
    if not NEXT_STATUS[measure.status]:
        raise ValidationError(f"该措施{measure.get_status_display()},不能再修改")
    clean = _measure_check(measure.case, data)
    if measure.applied_on and clean["end_on"] and clean["end_on"] < measure.applied_on:
        raise ValidationError({"end_on": "结束日期不能早于落实日期"})
    changes = diff_fields({f: getattr(measure, f) for f in MEASURE_FIELDS}, clean, MEASURE_FIELDS)
    if not changes:
        return measure
    for name, value in clean.items():
        setattr(measure, name, value)
    measure.save()
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="measure",
        entity_id=measure.pk,
        household_id=measure.case.household_id,
        action=ChangeLog.Action.UPDATE,
        changes=changes,
        summary=f"修改{_measure_label(measure)}",
    )
    return measure


@transaction.atomic
def measure_set_status(
    *, case: MonitoringCase, measure: Measure, actor: User, status: str, on: dt.date, note: str = ""
) -> Measure:
    """落实 (with the day it was), 完成, or 取消 (with the reason) a measure, one step at a time."""
    _require(actor, case, Capability.MEASURES_EDIT)
    measure = _locked_measure(case, measure)
    case = measure.case
    _editable(case)
    note = note.strip()
    if status not in STATUS_VERB:
        raise ValidationError("请选择要办理的落实情况")
    if status not in NEXT_STATUS[measure.status]:
        raise ValidationError(
            f"该措施{measure.get_status_display()},不能{STATUS_VERB[Measure.Status(status)]}"
            "(可能是重复提交,请刷新页面查看)"
        )
    if on > _today():
        raise ValidationError({"on": "日期不能晚于今天"})
    if status in (Measure.Status.APPLIED, Measure.Status.FINISHED) and case.state not in APPLY_STATES:
        raise ValidationError(f"档案处于“{case.step.label}”,县级审定纳入监测后才能落实帮扶措施")
    if status == Measure.Status.APPLIED and on < case.first_clue_on:
        raise ValidationError({"on": f"落实日期不能早于首次发现日期({case.first_clue_on:%Y-%m-%d})"})
    if status == Measure.Status.FINISHED and measure.applied_on and on < measure.applied_on:
        raise ValidationError({"on": f"完成日期不能早于落实日期({measure.applied_on:%Y-%m-%d})"})
    if status == Measure.Status.CANCELLED and not note:
        raise ValidationError({"note": "取消措施须填写理由"})
    if len(note) > 300:
        raise ValidationError({"note": "说明最多300字"})
    before = {"status": measure.status, "applied_on": measure.applied_on, "end_on": measure.end_on}
    measure.status = status
    if status == Measure.Status.APPLIED:
        measure.applied_on = on
    elif status == Measure.Status.FINISHED:
        measure.end_on = on
    measure.status_note = note or measure.status_note
    measure.save()
    after = {"status": measure.status, "applied_on": measure.applied_on, "end_on": measure.end_on}
    changes = diff_fields(before, after, ("status", "applied_on", "end_on"))
    if note:
        changes["status_note"] = [None, note]
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="measure",
        entity_id=measure.pk,
        household_id=case.household_id,
        action=ChangeLog.Action.UPDATE,
        changes=changes,
        summary=f"{_measure_label(measure)}:{measure.get_status_display()}({on:%Y-%m-%d})",
    )
    return measure


def measure_get_for_case(case: MonitoringCase, pk: int) -> Measure:
    """A measure of a case already fetched through `case_get_for_user`; 404 for anything else."""
    try:
        return Measure.objects.get(pk=pk, case=case)
    except Measure.DoesNotExist:
        raise Http404("该措施不存在") from None


def assignment_get_for_case(case: MonitoringCase, pk: int) -> HelperAssignment:
    """A pairing of the case's household (the case fetched through `case_get_for_user`); 404 otherwise."""
    try:
        return HelperAssignment.objects.select_related("helper").get(pk=pk, household_id=case.household_id)
    except HelperAssignment.DoesNotExist:
        raise Http404("该结对帮扶不存在") from None


def measures_open_for_follow_up(user: User, household: Household) -> list[Measure]:
    """The measures of the household's open case that a visit may follow up (planned or applied), when
    `user` may open that case; none otherwise."""
    case = case_scope_for_user(user).filter(household=household).exclude(state__in=lc.CLOSED).first()
    if case is None:
        return []
    return list(
        Measure.objects.filter(
            case=case, status__in=(Measure.Status.PLANNED, Measure.Status.APPLIED)
        ).order_by("start_on", "id")
    )


@transaction.atomic
def measure_follow_up(*, measure: Measure, actor: User, on: dt.date, how: str) -> Measure:
    """A visit (dixian.visits) followed up `measure` on `on`: the measure keeps its latest follow-up."""
    if not _may_open(actor, measure.case):
        raise PermissionDenied("该档案不在您的管辖范围内")
    measure = Measure.objects.select_for_update().select_related("case").get(pk=measure.pk)
    measure.follow_ups += 1
    if measure.followed_up_on is None or on >= measure.followed_up_on:
        measure.followed_up_on = on
        measure.followed_up_by = _name(actor)
    measure.save(update_fields=["follow_ups", "followed_up_on", "followed_up_by", "updated_at"])
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="measure",
        entity_id=measure.pk,
        household_id=measure.case.household_id,
        action=ChangeLog.Action.UPDATE,
        changes={"follow_ups": [measure.follow_ups - 1, measure.follow_ups]},
        summary=f"{_measure_label(measure)}:{on:%Y-%m-%d} {how}跟进",
    )
    return measure


# --- what the case page shows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HelperRow:
    assignment: HelperAssignment
    name: str
    phone: str
    current: bool


@dataclass(frozen=True)
class MeasureRow:
    measure: Measure
    category: str
    may_apply: bool
    may_finish: bool
    may_cancel: bool
    may_edit: bool


@dataclass(frozen=True)
class Proposal:
    category: str
    label: str
    risks: str  # the risk types it answers, in words


def plan_warnings(case: MonitoringCase, measures: list[Measure], labourers: int, today: dt.date) -> list[str]:
    """What the plan lacks (docs/domain.md §6, §20), in plain Chinese: a risk no measure answers; only
    综合保障 for a household that can work; no development measure applied a month after identification."""
    live = [m for m in measures if m.status != Measure.Status.CANCELLED]
    categories = {m.category for m in live}
    found: list[str] = []
    unanswered = lc.measures_match(case.risk_codes, categories)
    if unanswered:
        names = "、".join(RISK_TYPES[r].name if r in RISK_TYPES else r for r in unanswered)
        found.append(f"风险类型“{names}”还没有对应的帮扶措施(缺什么补什么)")
    if labourers and live and categories == {"social_security"}:
        found.append(f"该户有劳动能力成员{labourers}人,帮扶措施只有综合保障,应安排产业、就业等开发式帮扶")
    if (
        labourers
        and case.identified_on is not None
        and case.state in lc.MONITORED_STATES
        and today >= lc.months_after(case.identified_on, DEVELOPMENT_WITHIN_MONTHS)
        and not any(
            m.category in lc.DEVELOPMENT_CATEGORIES and m.status in Measure.APPLIED_STATUSES for m in live
        )
    ):
        found.append(
            f"识别纳入({case.identified_on:%Y-%m-%d})已满{DEVELOPMENT_WITHIN_MONTHS}个月,"
            "尚未落实产业、就业、金融、公益岗位等开发式帮扶措施"
        )
    return found


def plan_proposals(case: MonitoringCase, measures: list[Measure]) -> list[Proposal]:
    """The categories the case's risk types call for (lc.proposed_measures) not yet in the plan."""
    have = {m.category for m in measures if m.status != Measure.Status.CANCELLED}
    proposals = []
    for category in lc.proposed_measures(case.risk_codes):
        if category in have:
            continue
        answers = [
            RISK_TYPES[r].name if r in RISK_TYPES else r
            for r in case.risk_codes
            if category in lc.RISK_MEASURES.get(r[:2] if r.startswith("02") else r, ())
        ]
        proposals.append(Proposal(category, lc.MEASURE_CATEGORIES[category].label, "、".join(answers)))
    return proposals


def assistance_panel(user: User, case: MonitoringCase) -> dict[str, Any]:
    """The case page's 帮扶联系人 and 帮扶计划 panel (order 20), in a fixed number of queries."""
    today = _today()
    pii = may_view_pii(user)
    household = case.household
    assignments = list(
        HelperAssignment.objects.filter(household_id=case.household_id)
        .select_related("helper")
        .order_by("-start_date", "-id")
    )
    helpers = [
        HelperRow(
            assignment=a,
            name=_name(a.helper),
            phone=phone_shown(a.helper.phone, pii=pii),
            current=a.start_date <= today and (a.end_date is None or a.end_date > today),
        )
        for a in assignments
    ]
    measures = list(Measure.objects.filter(case=case).order_by("start_on", "id"))
    labourers = Person.objects.filter(
        household_id=case.household_id, labour_skill__in=LABOURER_SKILLS
    ).count()
    can_assign = case.is_open and user_can(user, Capability.HELPERS_ASSIGN)
    can_edit = case.is_open and user_can(user, Capability.MEASURES_EDIT)
    can_apply = can_edit and case.state in APPLY_STATES
    return {
        "assist_case": case,
        "assist_helpers": [h for h in helpers if h.current],
        "assist_past_helpers": [h for h in helpers if not h.current],
        "assist_candidates": helper_candidates(household) if can_assign else [],
        "assist_can_assign": can_assign,
        "assist_can_edit": can_edit,
        "assist_can_apply": can_apply,
        "assist_measures": [
            MeasureRow(
                measure=m,
                category=lc.MEASURE_CATEGORIES[m.category].label,
                may_apply=can_apply and Measure.Status.APPLIED in NEXT_STATUS[m.status],
                may_finish=can_apply and Measure.Status.FINISHED in NEXT_STATUS[m.status],
                may_cancel=can_edit and Measure.Status.CANCELLED in NEXT_STATUS[m.status],
                may_edit=can_edit and bool(NEXT_STATUS[m.status]),
            )
            for m in measures
        ],
        "assist_warnings": plan_warnings(case, measures, labourers, today) if case.is_open else [],
        "assist_proposals": plan_proposals(case, measures) if can_edit else [],
        "assist_draft": case.state in lc.IDENTIFYING,
        "assist_today": today,
    }
