"""The monthly bulletin's page and its downloads (docs/domain.md §21).

`?region=<code>&period=2026-10`: the unit by its code (or code prefix, as `dixian report` takes it), the
account's own unit when not given; the month, the last complete month when not given. A unit outside the
account's subtree answers 404, exactly like a code that names nothing. The bulletin shows counts only, so
it is not an access to personal data (nothing is logged as one).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from dixian.accounts.capabilities import Capability, capability_required
from dixian.common.access import code_in_scope, region_range_q
from dixian.common.http import AuthenticatedHttpRequest
from dixian.regions.models import Region

from .bulletin import (
    HEADLINE_COLUMNS,
    Bulletin,
    BulletinError,
    bulletin_build,
    bulletin_docx,
    bulletin_xlsx,
    by_unit_cells,
    by_unit_summary,
    headline_cells,
    period_lookup,
    region_lookup,
    unit_cells,
)
from .periods import Period, PeriodError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The units a bulletin is usually made for: the account's own and those below it down to the township.
CHOICE_LEVELS = (Region.Level.CITY, Region.Level.COUNTY, Region.Level.TOWNSHIP)


def _region(request: AuthenticatedHttpRequest) -> Region:
    """The unit asked for, inside the account's subtree; 404 for anything else, alike."""
    text = request.GET.get("region", "").strip()
    if not text:
        if request.user.region is None:
            raise Http404("您的账号未分配区划")
        return request.user.region
    try:
        region = region_lookup(text)
    except BulletinError:
        region = None
    if region is None or not code_in_scope(request.user, region.code):
        raise Http404("区划不存在或不在您的管辖范围内")
    return region


def _period(request: AuthenticatedHttpRequest) -> tuple[Period | None, str]:
    """The month asked for (the last complete month when none is), or the Chinese message saying why not."""
    text = request.GET.get("period", "").strip()
    if not text:
        return Period.current().previous(), ""
    try:
        return period_lookup(text), ""
    except PeriodError as exc:
        return None, str(exc)


def _choices(request: AuthenticatedHttpRequest, region: Region) -> list[Region]:
    account = request.user.region
    if account is None:
        return [region]
    found = list(
        Region.objects.filter(region_range_q(account.prefix, "code"), level__in=CHOICE_LEVELS)
        .only("id", "code", "name", "level", "prefix")
        .order_by("code")
    )
    if account not in found:
        found.insert(0, account)
    if region not in found:
        found.append(region)
    return found


def _sections(b: Bulletin) -> list[dict[str, object]]:
    """The sections by unit (overdue cases, open findings) as the page shows them."""
    return [
        {
            "title": s.title,
            "summary": by_unit_summary(b, s),
            "columns": [b.unit_label, f"{s.indicator.name}({s.indicator.unit})", "排名"]
            if s.indicator
            else [],
            "rows": by_unit_cells(s),
        }
        for s in b.by_unit
    ]


def _page(
    request: AuthenticatedHttpRequest, region: Region, period: Period | None, error: str, status: int = 200
) -> HttpResponse:
    b: Bulletin | None = bulletin_build(region, period) if period is not None else None
    query = urlencode({"region": region.code, "period": str(period)}) if period else ""
    context = {
        "region": region,
        "period_text": str(period) if period else request.GET.get("period", ""),
        "error": error,
        "choices": _choices(request, region),
        "bulletin": b,
        "headline_columns": HEADLINE_COLUMNS,
        "headline_rows": [headline_cells(c) for c in b.headline] if b else [],
        "unit_rows": [unit_cells(row, b.indicators) for row in b.units] if b else [],
        "sections": _sections(b) if b else [],
        "docx_url": f"{reverse('reports:bulletin_docx')}?{query}",
        "xlsx_url": f"{reverse('reports:bulletin_xlsx')}?{query}",
    }
    return render(request, "reports/bulletin.html", context, status=status)


@capability_required(Capability.REPORTS_VIEW)
@require_GET
def bulletin(request: AuthenticatedHttpRequest) -> HttpResponse:
    region = _region(request)
    period, error = _period(request)
    return _page(request, region, period, error)


def _download(request: AuthenticatedHttpRequest, ext: str) -> HttpResponse:
    region = _region(request)
    period, error = _period(request)
    if period is None:
        return _page(request, region, period, error, status=400)
    b = bulletin_build(region, period)
    content, kind = (bulletin_docx(b), DOCX) if ext == "docx" else (bulletin_xlsx(b), XLSX)
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(b.filename(ext))}"
    return response


@capability_required(Capability.REPORTS_VIEW)
@require_GET
def bulletin_docx_download(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _download(request, "docx")


@capability_required(Capability.REPORTS_VIEW)
@require_GET
def bulletin_xlsx_download(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _download(request, "xlsx")
