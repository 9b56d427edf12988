"""The cross-check with 人社 (比对, docs/domain.md §23): `?region=<12-digit code>&month=2026-10`.

The unit defaults to the account's own and must lie in its subtree (another unit answers 404, as a code that
exists nowhere); the month defaults to the latest surveyed month of the unit. ID numbers and employers are
personal data (docs/security.md §1, §5): masked without PII_VIEW, and each page is logged."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from django.db.models import Max
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dixian.accounts.capabilities import Capability, capability_required
from dixian.accounts.models import User
from dixian.common.access import code_in_scope, may_view_pii, region_range_q
from dixian.common.access_log import log_access
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.masking import id_number_shown, work_shown
from dixian.common.paging import paginate
from dixian.domain import employment as e
from dixian.domain.dictionaries import ParseError
from dixian.regions.models import Region

from .mismatch import NOT_EMPLOYED_KINDS, fact_label, mismatches, record_summary
from .models import DepartmentFact, Employment

REGION_CODE = re.compile(r"\d{12}")


def _region(user: User, raw: str) -> Region | None:
    raw = raw.strip()
    if not raw:
        return user.region
    if not REGION_CODE.fullmatch(raw) or not code_in_scope(user, raw):
        raise Http404("没有找到这个区划。")
    found = Region.objects.filter(code=raw).exclude(level=Region.Level.GROUP).first()
    if found is None:
        raise Http404("没有找到这个区划。")
    return found


def _month(raw: str, region: Region, notices: list[str]) -> dt.date:
    current = timezone.localdate().replace(day=1)
    raw = raw.strip()
    if raw:
        try:
            month = e.month_parse(raw)
        except ParseError as exc:
            notices.append(f"{exc},已显示最近摸排的月份。")
        else:
            if month <= current:
                return month
            notices.append(f"{e.month_label(month)}还没有到,已显示最近摸排的月份。")
    latest = (
        Employment.objects.filter(region_range_q(region.prefix), month__lte=current)
        .aggregate(m=Max("month"))
        .get("m")
    )
    return latest or current


def _fact(record: Employment, name: str) -> Any:
    """One of the 人社 fact's columns that mismatches() annotates onto each record (not model fields)."""
    return getattr(record, name)


def _text(value: str, pii: bool) -> str:
    """An employer or place: personal data (docs/security.md §1), shown as the survey shows it."""
    return work_shown(value, pii=pii)


@capability_required(Capability.EMPLOYMENT_VIEW)
@require_GET
def mismatch_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    region = _region(user, request.GET.get("region", ""))
    if region is None:
        return render(request, "employment/mismatch_list.html", {"no_region": True})
    notices: list[str] = []
    month = _month(request.GET.get("month", ""), region, notices)
    pii = may_view_pii(user)
    page = paginate(mismatches(region.prefix, month), request.GET.get("page"))
    records: list[Employment] = list(page.object_list)
    names = dict(
        Region.objects.filter(code__in={r.region_code[:12] for r in records}).values_list("code", "name")
    )
    rows = [
        {
            "village": names.get(r.region_code[:12], r.region_code),
            "name": r.person.name,
            "id_number": id_number_shown(r.person.id_number, pii=pii),
            "household_id": r.household_id,
            "record": record_summary(r),
            "record_employer": _text(r.employer, pii),
            "fact": fact_label(_fact(r, "fact_kind")),
            "fact_on": _fact(r, "fact_on"),
            "fact_employer": _text(_fact(r, "fact_employer") or "", pii),
            "fact_place": _text(_fact(r, "fact_place") or "", pii),
            "why": (
                "人社显示已就业,村里记为未务工"
                if _fact(r, "fact_kind") == DepartmentFact.Kind.EMPLOYED
                else f"人社显示{fact_label(_fact(r, 'fact_kind'))},村里记为务工"
            ),
        }
        for r in records
    ]
    if records:
        log_access(
            request,
            persons=[r.person_id for r in records],
            fields=["id_number", "employer"],
            count=len(records),
            scope=f"{region.name} {e.month_label(month)} 人社比对",
            region_code=region.code,
        )
    children = list(
        Region.objects.filter(parent=region)
        .exclude(level=Region.Level.GROUP)
        .order_by("code")
        .values("code", "name")
    )
    return render(
        request,
        "employment/mismatch_list.html",
        {
            "region": region,
            "month": month,
            "month_key": e.month_key(month),
            "month_label": e.month_label(month),
            "previous_month": e.month_key(e.month_add(month, -1)),
            "next_month": e.month_key(e.month_add(month, 1))
            if e.month_add(month, 1) <= timezone.localdate().replace(day=1)
            else "",
            "children": children,
            "page": page,
            "rows": rows,
            "notices": notices,
            "not_employed": [fact_label(k) for k in NOT_EMPLOYED_KINDS],
            "query": urlencode({"region": region.code, "month": e.month_key(month)}),
            "is_own": region.pk == getattr(user.region, "pk", None),
        },
    )
