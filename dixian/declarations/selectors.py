"""Reads of self-declarations and of the villages they come from.

Staff reads go through `declaration_scope_for_user` (region scoping, 404 outside the subtree); the public
page reads only region names and, for the status lookup, one declaration's status.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from dixian.accounts.capabilities import Capability, require, user_can
from dixian.cases.models import Alert, AlertEvidence
from dixian.common.access import code_in_scope, scope_by_region
from dixian.common.models import ChangeLog
from dixian.monitoring.models import MonitoringCase
from dixian.regions.models import Region

from .models import Declaration
from .validation import reference_normalise

if TYPE_CHECKING:
    from dixian.accounts.models import User


# Village officers, township and county staff (and the city administrator above them) handle
# declarations (Capability.DECLARATIONS_HANDLE); helpers, department accounts and leaders do not.
def declaration_scope_for_user(user: User) -> QuerySet[Declaration]:
    if not user_can(user, Capability.DECLARATIONS_HANDLE):
        return Declaration.objects.none()
    return scope_by_region(user, Declaration.objects.all())


def declaration_list_for_user(
    user: User, *, status: str = "", difficulty: str = "", registered: str = ""
) -> QuerySet[Declaration]:
    qs = declaration_scope_for_user(user)
    if status:
        qs = qs.filter(status=status)
    if difficulty:
        qs = qs.filter(difficulty=difficulty)
    if registered:
        qs = qs.filter(household__isnull=registered == "no")
    return qs.select_related("village").order_by("-created_at", "-id")


def declaration_get_for_user(user: User, pk: int) -> Declaration:
    try:
        return declaration_scope_for_user(user).select_related("village", "handled_by").get(pk=pk)
    except Declaration.DoesNotExist:
        raise Http404("申报不存在或不在您的管辖范围内") from None


def declaration_history(declaration: Declaration) -> QuerySet[ChangeLog]:
    return ChangeLog.objects.filter(entity="declaration", entity_id=declaration.pk).order_by("-at", "-id")


def declaration_status_lookup(*, reference: str, phone: str) -> Declaration | None:
    """The declaration with this reference and phone; None for any other pair (either one wrong)."""
    canonical = reference_normalise(reference)
    if canonical is None or not phone:
        return None
    return Declaration.objects.filter(reference=canonical, phone=phone).only("reference", "status").first()


# ---- villages -----------------------------------------------------------------------------------


def villages_for_user(user: User) -> QuerySet[Region]:
    """The villages of the account's subtree, for the QR code page."""
    if not user_can(user, Capability.DECLARATIONS_HANDLE):
        return Region.objects.none()
    return scope_by_region(
        user, Region.objects.filter(level=Region.Level.VILLAGE), field="code"
    ).select_related("parent")


def village_get_for_user(user: User, code: str) -> Region:
    require(user, Capability.DECLARATIONS_HANDLE)  # 403 whatever the code, for an account that never may
    village = Region.objects.filter(code=code, level=Region.Level.VILLAGE).first()
    if village is None or not code_in_scope(user, village.code):
        raise Http404("该村不存在或不在您的管辖范围内")
    return village


def village_public(code: str) -> Region:
    """A village named by a QR code (public: the name is all the page shows)."""
    village = (
        Region.objects.filter(code=code, level=Region.Level.VILLAGE).select_related("parent__parent").first()
    )
    if village is None:
        raise Http404("二维码中的村代码不存在")
    return village


def region_children(parent_code: str, level: str) -> list[Region]:
    """The townships of a county or the villages of a township, by name (public: code and name only)."""
    if not parent_code:
        return []
    return list(
        Region.objects.in_use()
        .filter(parent__code=parent_code, level=level)
        .only("code", "name")
        .order_by("code")
    )


def counties() -> list[Region]:
    return list(
        Region.objects.in_use().filter(level=Region.Level.COUNTY).only("code", "name").order_by("code")
    )


def working_days_after(start: dt.date, days: int) -> dt.date:
    """The date `days` working days (Monday–Friday) after `start`; public holidays are not known here."""
    current = start
    while days > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


@dataclass(frozen=True)
class AlertClock:
    """The alert a declaration became, and the monitoring case that alert follows (if 拟纳入 or decided):
    the clock the declaration shows instead of one of its own (docs/domain.md §20)."""

    alert: Alert
    case_id: int | None
    case_due: dt.date | None


def declaration_clocks(declarations: list[Declaration]) -> dict[int, AlertClock]:
    """{declaration pk: AlertClock} for the declarations that became alerts, in two queries for a page."""
    pks = [d.pk for d in declarations]
    if not pks:
        return {}
    evidence = (
        AlertEvidence.objects.filter(declaration_id__in=pks, alert__isnull=False)
        .select_related("alert")
        .order_by("declaration_id", "pk")
    )
    alerts: dict[int, Alert] = {}
    for e in evidence:
        if e.alert is not None:
            alerts.setdefault(e.declaration_id, e.alert)  # type: ignore[arg-type]  # declaration_id__in above
    cases = dict(
        (alert_id, (case_id, due))
        for alert_id, case_id, due in MonitoringCase.alerts.through.objects.filter(
            alert_id__in=[a.pk for a in alerts.values()]
        )
        .order_by("monitoringcase_id")
        .values_list("alert_id", "monitoringcase_id", "monitoringcase__due_on")
    )
    return {pk: AlertClock(alert, *cases.get(alert.pk, (None, None))) for pk, alert in alerts.items()}
