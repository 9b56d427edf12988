"""Reads for the screening pages: runs, and what a run found inside the account's region."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet
from django.http import Http404

from dixian.accounts.capabilities import Capability, user_can
from dixian.cases.models import AlertEvidence, UnmatchedRecord
from dixian.common.access import scope_by_region

from .engine import RISK_TYPES
from .models import ScreeningRun

if TYPE_CHECKING:
    from dixian.accounts.models import User


# A run screens the whole registry; its record (counts, timings, rules) is for the staff who run the
# platform (Capability.RUNS_VIEW), and only for accounts placed in a region. What it found is shown per
# account region.
def may_see_runs(user: User) -> bool:
    return bool(user_can(user, Capability.RUNS_VIEW) and user.region_id)


def runs_for_user(user: User) -> QuerySet[ScreeningRun]:
    if not may_see_runs(user):
        return ScreeningRun.objects.none()
    return ScreeningRun.objects.select_related("actor", "delivery").order_by("-created_at", "-id")


def run_get_for_user(user: User, pk: int) -> ScreeningRun:
    try:
        return runs_for_user(user).get(pk=pk)
    except ScreeningRun.DoesNotExist:
        raise Http404("筛查运行不存在") from None


def run_findings_for_user(user: User, run: ScreeningRun) -> dict[str, Any]:
    """What the run added inside the account's region: evidence by risk and channel of use, 应纳未纳."""
    evidence = scope_by_region(user, AlertEvidence.objects.filter(run=run))
    by_risk = (
        evidence.values("risk_code")
        .annotate(alerts=Count("id", filter=~_case_q()), cases=Count("id", filter=_case_q()))
        .order_by("risk_code")
    )
    rows = [
        {
            "risk_code": r["risk_code"],
            "risk_name": RISK_TYPES[r["risk_code"]].name if r["risk_code"] in RISK_TYPES else r["risk_code"],
            "alerts": r["alerts"],
            "cases": r["cases"],
        }
        for r in by_risk
    ]
    unmatched = scope_by_region(user, UnmatchedRecord.objects.filter(run=run)).count()
    return {"by_risk": rows, "unmatched": unmatched}


def _case_q() -> Any:
    from django.db.models import Q

    return Q(alert__isnull=True)
