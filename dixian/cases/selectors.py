"""Reads of alerts (预警线索) and of the 应纳未纳 list, always scoped to the account.

Who sees what: an account sees the alerts whose region_code lies in its subtree; a 帮扶干部 only the
alerts of the households assigned to it (through `household_scope_for_user`); a department account
(部门数据员) sees none. Out-of-scope records answer 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import region_range_q, scope_by_region
from dixian.registry.selectors import household_scope_for_user

from .models import Alert, AlertEvidence, Channel, UnmatchedRecord

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.regions.models import Region
    from dixian.registry.models import Household


def alert_scope_for_user(user: User) -> QuerySet[Alert]:
    qs = scope_by_region(user, Alert.objects.all())
    if not user_can(user, Capability.ALERTS_VIEW):
        return qs.none()
    if user_can(user, Capability.REGISTRY_VIEW):
        return qs
    # A 帮扶干部: the alerts of the households assigned to it.
    return qs.filter(household__in=household_scope_for_user(user).values("pk"))


def alert_get_for_user(user: User, pk: int) -> Alert:
    try:
        return alert_scope_for_user(user).select_related("household", "region", "closed_by").get(pk=pk)
    except Alert.DoesNotExist:
        raise Http404("预警线索不存在或不在您的管辖范围内") from None


def case_clock_of(alert_ids: list[int]) -> dict[int, tuple[int, dt.date]]:
    """{alert pk: (its monitoring case's pk, the case's 认定期限)} for 拟纳入 alerts: a proposed alert
    follows its case's clock, not its own (docs/domain.md §20). One query over the cases' link table,
    reached through the reverse relation (cases imports nothing of monitoring, docs/architecture.md)."""
    if not alert_ids:
        return {}
    through = Alert.monitoring_cases.through
    rows = (
        through.objects.filter(alert_id__in=alert_ids)
        .order_by("monitoringcase_id")
        .values_list("alert_id", "monitoringcase_id", "monitoringcase__due_on")
    )
    return {alert_id: (case_id, due_on) for alert_id, case_id, due_on in rows}


def overdue_q(today: dt.date) -> Q:
    """Overdue alerts: one still to verify past its own 核实期限, or one 拟纳入 whose case is past its
    认定期限 (the case's clock rules it from the proposal on, docs/domain.md §20)."""
    through = Alert.monitoring_cases.through
    late_case = through.objects.filter(
        alert_id=OuterRef("pk"), monitoringcase__due_on__lt=today, monitoringcase__closed_at__isnull=True
    )
    return Q(status__in=Alert.TO_VERIFY_STATUSES, due_date__lt=today) | Q(
        Exists(late_case), status=Alert.Status.PROPOSED
    )


OPEN_FIRST = Case(
    When(status__in=Alert.OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
)


def urgency_ordered(qs: QuerySet[Alert], today: dt.date | None = None) -> QuerySet[Alert]:
    """Open first, then 红 → 橙 → 黄, overdue first, the nearest deadline, the newest evidence."""
    today = today or timezone.localdate()
    overdue_first = Case(
        When(Q(status__in=Alert.TO_VERIFY_STATUSES, due_date__lt=today), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return qs.annotate(_open=OPEN_FIRST, _overdue=overdue_first).order_by(
        "_open", "grade_rank", "_overdue", "due_date", "-last_evidence_at", "-id"
    )


def month_range(month: str) -> tuple[dt.datetime, dt.datetime]:
    """The instants [start, end) of a month "2026-10" in the platform's time zone (a validated value)."""
    year, mon = (int(x) for x in month.split("-"))
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, mon, 1, tzinfo=tz)
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=tz)
    return start, end


@dataclass(frozen=True)
class AlertFilters:
    """A validated set of queue filters (built by `forms.AlertFilterForm.filters()`)."""

    status: str = "active"  # active = open, verifying or proposed; all; or one Alert.Status value
    grade: str = ""
    risk: str = ""
    channel: str = ""
    region: Region | None = None
    overdue: bool = False
    # "2026-10": first raised / closed in that month (the figures of docs/domain.md §21 link here).
    raised: str = ""
    closed: str = ""
    notices: tuple[str, ...] = field(default_factory=tuple)

    def apply(self, qs: QuerySet[Alert], today: dt.date | None = None) -> QuerySet[Alert]:
        today = today or timezone.localdate()
        if self.region is not None:
            qs = qs.filter(region_range_q(self.region.prefix))
        if self.status == "active":
            qs = qs.filter(status__in=Alert.OPEN_STATUSES)
        elif self.status in Alert.Status.values:
            qs = qs.filter(status=self.status)
        if self.grade:
            qs = qs.filter(grade=self.grade)
        if self.risk:
            qs = qs.filter(risk_code=self.risk)
        if self.channel:
            # channels is a JSON list: "contains" is not available on SQLite, the evidence table is.
            qs = qs.filter(Exists(AlertEvidence.objects.filter(alert=OuterRef("pk"), channel=self.channel)))
        if self.overdue:
            qs = qs.filter(overdue_q(today))
        if self.raised:
            start, end = month_range(self.raised)
            qs = qs.filter(raised_at__gte=start, raised_at__lt=end)
        if self.closed:
            start, end = month_range(self.closed)
            qs = qs.filter(closed_at__gte=start, closed_at__lt=end)
        return qs

    def params(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.status != "active":
            out.append(("status", self.status))
        for name in ("grade", "risk", "channel"):
            value = getattr(self, name)
            if value:
                out.append((name, value))
        if self.region is not None:
            out.append(("region", str(self.region.pk)))
        if self.overdue:
            out.append(("overdue", "1"))
        for name in ("raised", "closed"):
            value = getattr(self, name)
            if value:
                out.append((name, value))
        return out


def alert_queue_for_user(user: User, filters: AlertFilters | None = None) -> QuerySet[Alert]:
    qs = alert_scope_for_user(user)
    if filters is not None:
        qs = filters.apply(qs)
    return urgency_ordered(qs).select_related("household", "region")


def alerts_for_household(household: Household, *, limit: int = 20) -> list[Alert]:
    """A household's alerts for its page (the household was fetched through the scoped selector), open first."""
    alerts = list(urgency_ordered(Alert.objects.filter(household=household)).select_related("region")[:limit])
    for a in alerts:
        a.household = household  # already in hand: no query per row
    return alerts


def alert_counts_for_user(user: User) -> dict[str, int]:
    """The queue summary: open alerts by grade, and how many are overdue (one grouped query)."""
    today = timezone.localdate()
    counts = {"red": 0, "orange": 0, "yellow": 0, "overdue": 0, "total": 0}
    keys = {"红": "red", "橙": "orange", "黄": "yellow"}
    rows = (
        alert_scope_for_user(user)
        .filter(status__in=Alert.OPEN_STATUSES)
        .order_by()
        .values("grade")
        .annotate(n=Count("id"), late=Count("id", filter=overdue_q(today)))
    )
    for row in rows:
        counts[keys[row["grade"]]] += row["n"]
        counts["total"] += row["n"]
        counts["overdue"] += row["late"]
    return counts


def evidences_of(alert: Alert) -> list[AlertEvidence]:
    return list(
        AlertEvidence.objects.filter(alert=alert)
        .select_related("rule_version__rule", "delivery", "declaration", "visit")
        .order_by("channel", "-created_at", "-id")
    )


CHANNEL_ORDER = [Channel.DEPARTMENT, Channel.SELF_DECLARED, Channel.CADRE_VISIT]


# --- 应纳未纳 -------------------------------------------------------------------------------------------


def unmatched_scope_for_user(user: User) -> QuerySet[UnmatchedRecord]:
    if not user_can(user, Capability.UNMATCHED_VIEW):
        return UnmatchedRecord.objects.none()
    return scope_by_region(user, UnmatchedRecord.objects.all())


def unmatched_get_for_user(user: User, pk: int) -> UnmatchedRecord:
    try:
        return unmatched_scope_for_user(user).select_related("region", "delivery").get(pk=pk)
    except UnmatchedRecord.DoesNotExist:
        raise Http404("该记录不存在或不在您的管辖范围内") from None
