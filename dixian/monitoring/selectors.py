"""Reads of monitoring cases, scoped like every other record (docs/security.md §4): an account sees the
cases of its subtree, a 帮扶干部 those of its assigned households; anything else is a 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import region_range_q, scope_by_region
from dixian.domain import lifecycle as lc
from dixian.registry.selectors import household_scope_for_user

from .models import CaseAttachment, CaseTransition, MonitoringCase

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.regions.models import Region
    from dixian.registry.models import Household


def case_scope_for_user(user: User) -> QuerySet[MonitoringCase]:
    """The cases `user` may open: one range condition on the case's own code for staff of a subtree (the
    case_queue index); the assigned households' cases for a 帮扶干部."""
    if not user_can(user, Capability.CASES_VIEW):
        return MonitoringCase.objects.none()
    cases = scope_by_region(user, MonitoringCase.objects.all())
    if user_can(user, Capability.REGISTRY_VIEW):
        return cases
    households = household_scope_for_user(user).filter(pk=OuterRef("household_id"))
    return cases.filter(Exists(households))


def case_get_for_user(user: User, pk: int) -> MonitoringCase:
    try:
        return case_scope_for_user(user).select_related("household", "region").get(pk=pk)
    except MonitoringCase.DoesNotExist:
        raise Http404("档案不存在或不在您的管辖范围内") from None


# --- the case queue ---------------------------------------------------------------------------------------

# The queue's step groups (docs/domain.md §20): 认定中 up to the county's approval, 监测帮扶中 (公告 and
# monitored), 消除中, 已办结.
STEP_GROUPS: dict[str, tuple[str, frozenset[str]]] = {
    "identifying": ("认定中", lc.IDENTIFYING),
    "monitoring": ("监测帮扶中", frozenset({lc.ANNOUNCEMENT, lc.MONITORING})),
    "eliminating": ("消除中", lc.ELIMINATING),
    "closed": ("已办结", lc.CLOSED),
}
OPEN = "open"  # the default: every case not closed
# 监测对象: from county approval until the elimination is approved (公告, 监测帮扶中 and the elimination's
# steps), the households the leaders' figures count as monitored (docs/domain.md §20, §21).
MONITORED = "monitored"
# The queue's month filters: the cases whose decision of that kind is dated in the month (the figures of
# docs/domain.md §21 drill here), each the case's own date of it.
MONTH_FILTERS: dict[str, str] = {
    "identified": "identified_on",  # 识别纳入 (county approval, or an imported household's 识别时间)
    "decided": "decided_on",  # county approval or 不予纳入
    "eliminated": "eliminated_on",  # 风险消除 approved
}


@dataclass(frozen=True)
class CaseFilters:
    """A validated set of queue filters (built by `forms.CaseFilterForm.filters()`)."""

    state: str = OPEN  # OPEN, "all", a STEP_GROUPS key or one step code
    region: Region | None = None
    deadline: str = ""  # "" / lc.ORANGE (临期) / lc.RED (超期)
    mine: bool = False  # 待我办理: the steps the account may do
    notices: tuple[str, ...] = field(default_factory=tuple)
    # (MONTH_FILTERS key, the month's first day, its last day), from "identified=2026-10" and the like.
    months: tuple[tuple[str, dt.date, dt.date], ...] = ()

    def params(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.state != OPEN:
            out.append(("state", self.state))
        if self.region is not None:
            out.append(("region", str(self.region.pk)))
        if self.deadline:
            out.append(("deadline", self.deadline))
        if self.mine:
            out.append(("mine", "1"))
        out.extend((name, f"{first:%Y-%m}") for name, first, _ in self.months)
        return out


def my_steps(user: User) -> list[str]:
    """The steps waiting for `user`: those whose owner it may act as (services.may_act without the region,
    which the scope is). 监测帮扶中 waits for nobody: the village proposes elimination when the criteria
    hold, not as a task on a clock."""
    from .services import OWNER_CAPABILITY

    owners = {owner for owner, capability in OWNER_CAPABILITY.items() if user_can(user, capability)}
    return [code for code, step in lc.STEPS.items() if step.owner in owners and code != lc.MONITORING]


def _clock(today: dt.date) -> Any:
    """0 overdue, 1 within DUE_SOON_DAYS of the limit, 2 running, 3 no clock (decided): lc.deadline_colour
    as a query, for the identification steps only (a decided case's clock has stopped)."""
    soon = today + dt.timedelta(days=lc.DUE_SOON_DAYS)
    running = Q(state__in=lc.IDENTIFYING)
    return Case(
        When(running & Q(due_on__lt=today), then=Value(0)),
        When(running & Q(due_on__lte=soon), then=Value(1)),
        When(running, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )


def case_queue_segments(
    user: User, filters: CaseFilters | None = None, today: dt.date | None = None
) -> list[QuerySet[MonitoringCase]]:
    """The account's cases, filtered, most urgent first: overdue (red), due soon (orange), then by the
    limit's date; decided cases after them (by the limit's date, newest step first).

    That order (the clock, due_on, -state_since, -id) comes as two lists read one after the other: the
    cases on an identification step (clock 0-2: a few in a city, sorted on the spot), then every other
    case (clock 3), which the `case_queue_order` index hands out in order. One ORDER BY over the clock, an
    expression of today's date that no index serves, read and sorted the city's 40,000 monitored cases on
    every page (docs/benchmarks.md "Case queue and household timeline")."""
    today = today or timezone.localdate()
    filters = filters or CaseFilters()
    qs = _queue_base(user, filters)
    running = qs.filter(state__in=lc.IDENTIFYING).annotate(_clock=_clock(today))
    if filters.deadline == lc.RED:
        running = running.filter(_clock=0)
    elif filters.deadline == lc.ORANGE:
        running = running.filter(_clock=1)
    running = running.order_by("_clock", "due_on", "-state_since", "-id")
    if filters.deadline:  # 超期 / 临期: only a running clock can be either
        return [running]
    return [running, qs.exclude(state__in=lc.IDENTIFYING).order_by("due_on", "-state_since", "-id")]


def _queue_base(user: User, filters: CaseFilters) -> QuerySet[MonitoringCase]:
    qs = case_scope_for_user(user)
    if filters.region is not None:
        qs = qs.filter(region_range_q(filters.region.prefix))
    if filters.state == OPEN:
        qs = qs.exclude(state__in=lc.CLOSED)
    elif filters.state in STEP_GROUPS:
        qs = qs.filter(state__in=STEP_GROUPS[filters.state][1])
    elif filters.state == MONITORED:
        qs = qs.filter(state__in=lc.MONITORED_STATES)
    elif filters.state in lc.STEPS:
        qs = qs.filter(state=filters.state)
    if filters.mine:
        qs = qs.filter(state__in=my_steps(user))
    for name, first, last in filters.months:
        qs = qs.filter(**{f"{MONTH_FILTERS[name]}__gte": first, f"{MONTH_FILTERS[name]}__lte": last})
    return qs


def case_counts_for_user(user: User, today: dt.date | None = None) -> dict[str, int]:
    """The queue's summary: open cases, overdue and due soon among them, and the account's own steps.
    Two queries: the open cases counted from the `case_queue` index, then the clocks and the account's
    steps grouped over the cases on an identification step or on one of those steps (not over the
    monitored cases, which have neither)."""
    today = today or timezone.localdate()
    mine = my_steps(user)
    scope = case_scope_for_user(user).order_by()
    counts = {"total": scope.exclude(state__in=lc.CLOSED).count(), "red": 0, "orange": 0, "mine": 0}
    rows = (
        scope.filter(state__in=lc.IDENTIFYING.union(mine))
        .exclude(state__in=lc.CLOSED)
        .annotate(_clock=_clock(today))
        .values("_clock")
        .annotate(n=Count("id"), mine=Count("id", filter=Q(state__in=mine)))
    )
    for row in rows:
        counts["mine"] += row["mine"]
        if row["_clock"] == 0:
            counts["red"] += row["n"]
        elif row["_clock"] == 1:
            counts["orange"] += row["n"]
    return counts


def cases_of_household(household: Household) -> list[MonitoringCase]:
    """Every episode of a household (fetched through the scoped selector), newest first."""
    cases = list(MonitoringCase.objects.filter(household=household).order_by("-episode"))
    for case in cases:
        case.household = household  # already in hand: no query per case
    return cases


def transitions_of(cases: list[MonitoringCase]) -> dict[int, list[CaseTransition]]:
    """The transitions of `cases` in order, by case (one query)."""
    out: dict[int, list[CaseTransition]] = {c.pk: [] for c in cases}
    if cases:
        for t in CaseTransition.objects.filter(case__in=[c.pk for c in cases]).order_by("case_id", "seq"):
            out[t.case_id].append(t)
    return out


def attachments_of(cases: list[MonitoringCase]) -> dict[int, list[CaseAttachment]]:
    """The attachments of `cases` in the order they came, with their uploader, by case (one query)."""
    out: dict[int, list[CaseAttachment]] = {c.pk: [] for c in cases}
    if cases:
        rows = (
            CaseAttachment.objects.filter(case__in=[c.pk for c in cases])
            .select_related("uploaded_by")
            .order_by("case_id", "uploaded_at", "id")
        )
        for a in rows:
            out[a.case_id].append(a)
    return out
