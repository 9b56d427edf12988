"""Identification deadlines (docs/domain.md §5, §20): the worker's daily counts of open and overdue cases
per village, the timeliness report by region and month, and the per-region limit (DeadlinePolicy).

Timeliness is read from the cases themselves: a case is decided on `decided_on` (county approval or
不予纳入) and within its limit when `decided_on <= due_on`. Cases imported as already monitored carry no
clock of their own (their due date is their 识别时间) and are left out of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import region_range_q, user_prefix
from dixian.common.audit import change_record
from dixian.common.models import ChangeLog
from dixian.domain import lifecycle as lc
from dixian.regions.models import Region

from .models import DeadlineDailyCount, DeadlinePolicy, MonitoringCase
from .selectors import case_scope_for_user

if TYPE_CHECKING:
    from dixian.accounts.models import User

# --- the worker's daily counts ----------------------------------------------------------------------


def deadline_counts_write(day: dt.date) -> int:
    """Write `day`'s count of each village's open identification cases (due soon, overdue), replacing what
    an earlier run of the same day wrote; returns the number of villages. Villages without an open
    identification case get no row (the report reads a missing row as zero)."""
    soon = day + dt.timedelta(days=lc.DUE_SOON_DAYS)
    rows = (
        MonitoringCase.objects.filter(state__in=lc.IDENTIFYING)
        .order_by()
        .values("region_id", "region__code")
        .annotate(
            open_cases=Count("id"),
            overdue=Count("id", filter=Q(due_on__lt=day)),
            due_soon=Count("id", filter=Q(due_on__gte=day, due_on__lte=soon)),
        )
    )
    counts = [
        DeadlineDailyCount(
            day=day,
            region_id=r["region_id"],
            region_code=r["region__code"],
            open_cases=r["open_cases"],
            due_soon=r["due_soon"],
            overdue=r["overdue"],
        )
        for r in rows
    ]
    with transaction.atomic():
        DeadlineDailyCount.objects.filter(day=day).delete()
        DeadlineDailyCount.objects.bulk_create(counts, batch_size=1000)
    return len(counts)


# --- the timeliness report -----------------------------------------------------------------------------


def month_bounds(month: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of "YYYY-MM" (ValueError with a Chinese message if malformed or in the future)."""
    try:
        year, mon = (int(part) for part in month.split("-"))
        first = dt.date(year, mon, 1)
    except (ValueError, TypeError):
        raise ValueError("月份格式应为 YYYY-MM,例如 2026-11") from None
    if first > today:
        raise ValueError("不能统计未来的月份")
    last = lc.months_after(first, 1) - dt.timedelta(days=1)
    return first, last


@dataclass
class TimelinessRow:
    code: str
    name: str
    decided: int = 0
    within: int = 0
    open_overdue: int = 0
    is_total: bool = False

    @property
    def late(self) -> int:
        return self.decided - self.within

    @property
    def rate(self) -> float | None:
        """Decided within the limit, in percent of the cases decided (None: none decided)."""
        return round(100 * self.within / self.decided, 1) if self.decided else None


@dataclass
class DailyCount:
    day: dt.date
    open_cases: int
    due_soon: int
    overdue: int


@dataclass
class Timeliness:
    month: str
    first: dt.date
    last: dt.date
    as_of: dt.date  # the last day of the month, or today in the current month
    level_label: str
    rows: list[TimelinessRow]
    total: TimelinessRow
    daily: list[DailyCount] = field(default_factory=list)
    daily_shown: bool = True  # the village counts are for accounts that see their subtree's registry


def _child_regions(region: Region) -> tuple[list[Region], int]:
    """The regions one level below `region` (itself for a village), and their prefix length."""
    children = list(
        Region.objects.filter(parent=region)
        .exclude(level=Region.Level.GROUP)
        .only("id", "code", "prefix", "name", "level")
        .order_by("code")
    )
    if not children:
        return [region], len(region.prefix)
    return children, len(children[0].prefix)


def timeliness_for_user(user: User, month: str, today: dt.date | None = None) -> Timeliness:
    """The account's timeliness of identification for `month` ("YYYY-MM"), by the regions one level below
    its own: cases decided in the month, of which within the limit, and cases still undecided past their
    limit at the end of the month (today in the current month). Three aggregate queries."""
    today = today or timezone.localdate()
    first, last = month_bounds(month, today)
    as_of = min(last, today)
    region = user.region if user_prefix(user) is not None else None
    if region is None:
        empty = TimelinessRow("", "合计", is_total=True)
        return Timeliness(month, first, last, as_of, "", [], empty, daily_shown=False)
    children, length = _child_regions(region)
    cases: QuerySet[MonitoringCase] = case_scope_for_user(user).exclude(origin=MonitoringCase.Origin.IMPORT)
    key = Substr("region_code", 1, length)
    decided: dict[str, dict[str, Any]] = {
        r["key"]: dict(r)
        for r in cases.filter(decided_on__gte=first, decided_on__lte=last)
        .annotate(key=key)
        .order_by()
        .values("key")
        .annotate(decided=Count("id"), within=Count("id", filter=Q(decided_on__lte=F("due_on"))))
    }
    # Undecided at the end of `as_of` though past the limit, among the cases open by then.
    known_by = timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()))
    overdue = {
        r["key"]: r["n"]
        for r in cases.filter(due_on__lt=as_of, created_at__lt=known_by)
        .filter(Q(decided_on__isnull=True) | Q(decided_on__gt=as_of))
        .annotate(key=key)
        .order_by()
        .values("key")
        .annotate(n=Count("id"))
    }
    total = TimelinessRow(region.code, f"{region.name}合计", is_total=True)
    rows = []
    for child in children:
        d: dict[str, Any] = decided.get(child.prefix, {})
        row = TimelinessRow(
            code=child.code,
            name=child.name,
            decided=d.get("decided", 0),
            within=d.get("within", 0),
            open_overdue=overdue.get(child.prefix, 0),
        )
        rows.append(row)
        total.decided += row.decided
        total.within += row.within
        total.open_overdue += row.open_overdue
    daily_shown = user_can(user, Capability.REGISTRY_VIEW)
    daily: list[DailyCount] = []
    if daily_shown:
        daily = [
            DailyCount(r["day"], r["open_cases"] or 0, r["due_soon"] or 0, r["overdue"] or 0)
            for r in DeadlineDailyCount.objects.filter(
                region_range_q(region.prefix), day__gte=first, day__lte=last
            )
            .order_by("day")
            .values("day")
            .annotate(open_cases=Sum("open_cases"), due_soon=Sum("due_soon"), overdue=Sum("overdue"))
        ]
    level = children[0].get_level_display() if children else ""
    return Timeliness(month, first, last, as_of, level, rows, total, daily, daily_shown)


def timeliness_workbook(report: Timeliness, target: Any) -> None:
    """The report's two tables as an .xlsx (common/spreadsheets.py: text never read as a formula)."""
    from dixian.common.spreadsheets import excel_text, workbook

    book = workbook(target)
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#F0F2F4", "border": 1})
    pct = book.add_format({"num_format": "0.0%"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet("认定时效")
    sheet.write_string(0, 0, f"识别认定时效 {report.month}(截至 {report.as_of:%Y-%m-%d})", bold)
    headers = [
        "区划代码",
        report.level_label or "区划",
        "当月办结",
        "其中按时",
        "超时办结",
        "按时率",
        "超期未办结",
    ]
    sheet.write_row(2, 0, headers, head)
    for i, r in enumerate([*report.rows, report.total], start=3):
        fmt = bold if r.is_total else None
        sheet.write_string(i, 0, r.code, fmt)
        sheet.write_string(i, 1, excel_text(r.name), fmt)
        sheet.write_number(i, 2, r.decided, fmt)
        sheet.write_number(i, 3, r.within, fmt)
        sheet.write_number(i, 4, r.late, fmt)
        if r.decided:
            sheet.write_number(i, 5, r.within / r.decided, pct)
        else:
            sheet.write_string(i, 5, "—", fmt)
        sheet.write_number(i, 6, r.open_overdue, fmt)
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 16)
    sheet.set_column(2, 6, 12)
    sheet.freeze_panes(3, 0)
    if report.daily_shown:
        days = book.add_worksheet("每日超期统计")
        days.write_row(0, 0, ["日期", "在办认定档案", "临期", "超期"], head)
        for i, d in enumerate(report.daily, start=1):
            days.write_datetime(i, 0, dt.datetime.combine(d.day, dt.time()), date)
            days.write_number(i, 1, d.open_cases)
            days.write_number(i, 2, d.due_soon)
            days.write_number(i, 3, d.overdue)
        days.set_column(0, 3, 14)
        days.freeze_panes(1, 0)
    book.close()


# --- the limit of a region (DeadlinePolicy) -------------------------------------------------------------

POLICY_LEVELS = (Region.Level.CITY, Region.Level.COUNTY, Region.Level.TOWNSHIP)
LIMIT_DAYS_MAX = 60


def policy_regions_for(user: User) -> QuerySet[Region]:
    """The regions whose limit `user` may set: its own and those below it, down to the townships."""
    prefix = user_prefix(user)
    if prefix is None or not user_can(user, Capability.DEADLINES_EDIT):
        return Region.objects.none()
    return Region.objects.in_use().filter(region_range_q(prefix, "code"), level__in=POLICY_LEVELS)


def policies_for_user(user: User) -> QuerySet[DeadlinePolicy]:
    """The policies of the account's subtree, and those above it that decide its own limit."""
    prefix = user_prefix(user)
    if prefix is None:
        return DeadlinePolicy.objects.none()
    above = [prefix[:n] for n in sorted(set(Region.PREFIX_LENGTH.values())) if n < len(prefix)]
    return (
        DeadlinePolicy.objects.filter(region_range_q(prefix, "region__code") | Q(region__prefix__in=above))
        .select_related("region")
        .order_by("region__code")
    )


def _describe(limit_days: int, working_days: bool) -> str:
    return f"{limit_days}个工作日" if working_days else f"{limit_days}天"


@transaction.atomic
def deadline_policy_set(
    *, actor: User, region: Region, limit_days: int, working_days: bool
) -> DeadlinePolicy:
    """Set the identification limit of `region` and its subtree (cases opened from now on), audited."""
    if not policy_regions_for(actor).filter(pk=region.pk).exists():
        raise PermissionDenied("您不能设定该区划的认定时限")
    if not 1 <= limit_days <= LIMIT_DAYS_MAX:
        raise ValidationError(f"办理时限应在 1 到 {LIMIT_DAYS_MAX} 天之间")
    policy = DeadlinePolicy.objects.select_for_update().filter(region=region).first()
    old: tuple[int, bool] | None = (policy.limit_days, policy.working_days) if policy else None
    if policy is None:
        policy = DeadlinePolicy(region=region)
    policy.limit_days, policy.working_days = limit_days, working_days
    policy.save()
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="deadline_policy",
        entity_id=policy.pk,
        household_id=None,
        action=ChangeLog.Action.CREATE if old is None else ChangeLog.Action.UPDATE,
        changes={"limit": [list(old) if old else None, [limit_days, working_days]]},
        summary=f"认定时限 {region.name}:"
        + (f"{_describe(*old)} → " if old else "")
        + _describe(limit_days, working_days),
    )
    return policy


@transaction.atomic
def deadline_policy_clear(*, actor: User, region: Region) -> bool:
    """Remove `region`'s own limit (it follows the region above again), audited. False if it had none."""
    if not policy_regions_for(actor).filter(pk=region.pk).exists():
        raise PermissionDenied("您不能设定该区划的认定时限")
    policy = DeadlinePolicy.objects.select_for_update().filter(region=region).first()
    if policy is None:
        return False
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="deadline_policy",
        entity_id=policy.pk,
        household_id=None,
        action=ChangeLog.Action.DELETE,
        changes={"limit": [[policy.limit_days, policy.working_days], None]},
        summary=f"认定时限 {region.name}:取消 {_describe(policy.limit_days, policy.working_days)},按上级设定",
    )
    policy.delete()
    return True
