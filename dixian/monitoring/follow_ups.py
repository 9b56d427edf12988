"""回头看 (docs/domain.md §7, §20): the checks of a household after its risk elimination was approved.

`case_advance` schedules them when the county approves an elimination (lifecycle.FOLLOW_UP_MONTHS). Each
is recorded once, by the village (CASES_VILLAGE), as stable or as a new risk. The eliminated case stays
closed: the check is appended to its history as a FOLLOW_UP transition whose from and to state are both
已消除风险 (the timeline shows it; the state does not move). A new risk opens monitoring again as a new
episode (`case_open`, origin REOPEN, linked to the eliminated case as `previous`), or joins the
household's case already open.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import code_in_scope
from dixian.common.audit import change_record
from dixian.common.models import ChangeLog
from dixian.domain import lifecycle as lc

from .models import CaseTransition, FollowUpCheck, MonitoringCase
from .selectors import case_scope_for_user
from .services import _record, case_open

if TYPE_CHECKING:
    from dixian.accounts.models import User

# A pending check is "due soon" this many days before its day (the list marks it orange).
FOLLOW_UP_DUE_SOON_DAYS = 7


def follow_up_may_record(user: User, follow_up: FollowUpCheck) -> bool:
    """The village records 回头看 (it may also reopen monitoring, which only the case's openers may)."""
    return user_can(user, Capability.CASES_VILLAGE) and code_in_scope(user, follow_up.case.region_code)


def follow_ups_for_user(user: User) -> QuerySet[FollowUpCheck]:
    """The checks of the cases `user` may open (case_scope_for_user), with their case and household."""
    return FollowUpCheck.objects.filter(case__in=case_scope_for_user(user)).select_related(
        "case", "case__household", "case__region"
    )


def follow_up_get_for_user(user: User, pk: int) -> FollowUpCheck:
    from django.http import Http404

    try:
        return follow_ups_for_user(user).get(pk=pk)
    except FollowUpCheck.DoesNotExist:
        raise Http404("回头看记录不存在或不在您的管辖范围内") from None


def follow_up_colour(follow_up: FollowUpCheck, today: dt.date) -> str:
    """red once past its day and not done, orange within FOLLOW_UP_DUE_SOON_DAYS of it."""
    if follow_up.done_on is not None:
        return lc.GREEN
    if today > follow_up.due_on:
        return lc.RED
    if (follow_up.due_on - today).days <= FOLLOW_UP_DUE_SOON_DAYS:
        return lc.ORANGE
    return lc.GREEN


@transaction.atomic
def follow_up_record(
    *, follow_up: FollowUpCheck, actor: User, result: str, note: str, on: dt.date
) -> MonitoringCase | None:
    """Record one 回头看. Returns the case a new risk opened (or joined), else None.

    Refused with a Chinese reason: a check already recorded (a second tab, a second click), a day in the
    future or before the elimination, a new risk without a note, an account that may not record it.
    """
    note = note.strip()
    today = timezone.localdate()
    locked = FollowUpCheck.objects.select_for_update().select_related("case").get(pk=follow_up.pk)
    case = locked.case
    if not code_in_scope(actor, case.region_code):
        raise PermissionDenied("该档案不在您的管辖范围内")
    if not follow_up_may_record(actor, locked):
        raise PermissionDenied("回头看由村级办理,您的账号不能记录回头看。")
    if locked.done_on is not None:
        raise ValidationError("这次回头看已经记录过(可能是重复提交或他人已记录),请刷新页面查看。")
    if case.state != lc.ELIMINATED:
        raise ValidationError("该档案尚未消除风险,不需要回头看")
    if result not in (FollowUpCheck.Result.STABLE, FollowUpCheck.Result.NEW_RISK):
        raise ValidationError("请选择回头看结果(稳定或发现新风险)")
    if on > today:
        raise ValidationError("回头看日期不能晚于今天")
    if case.eliminated_on is not None and on < case.eliminated_on:
        raise ValidationError(f"回头看日期不能早于风险消除日期({case.eliminated_on:%Y年%-m月%-d日})")
    if result == FollowUpCheck.Result.NEW_RISK and not note:
        raise ValidationError("发现新风险时请写明情况(将作为重新纳入监测的发起理由)")
    locked.done_on = on
    locked.result = result
    locked.note = note[:500]
    locked.done_by = actor
    locked.save(update_fields=["done_on", "result", "note", "done_by", "updated_at"])
    reopened = None
    if result == FollowUpCheck.Result.NEW_RISK:
        reopened = case_open(
            household=case.household,
            actor=actor,
            origin=MonitoringCase.Origin.REOPEN,
            reason=f"回头看发现新风险:{note}"[:500],
            first_clue_on=on,
            on=on,
        )
    case = MonitoringCase.objects.select_for_update().get(pk=case.pk)
    _record(
        case,
        action=CaseTransition.Action.FOLLOW_UP,
        from_state=case.state,
        actor=actor,
        on=on,
        reason=note,
        data={
            "follow_up": locked.pk,
            "due_on": locked.due_on.isoformat(),
            "result": result,
            "reopened_case": reopened.pk if reopened is not None else None,
        },
    )
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="follow_up",
        entity_id=locked.pk,
        household_id=case.household_id,
        action=ChangeLog.Action.UPDATE,
        changes={"result": ["", result]},
        summary=f"回头看(监测帮扶档案 第{case.episode}次):{locked.get_result_display()}",
    )
    return reopened
