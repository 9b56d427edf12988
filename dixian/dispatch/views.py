"""The dispatch page of a unit and week (`dispatch:week`) and its weekly summary (`dispatch:summary_xlsx`):
docs/domain.md §29.

Asked as `?region=<12-digit code>&week=2026-W49` (or a date of the week): the unit defaults to the account's
own and must lie in its subtree (`region_by_code`: else 404, as the figures pages); the week defaults to the
current one. A week that cannot be read is named in a notice over the current week on the page, and refused
(400, the page with the message) by the download. `&ledger=<name>` pages through one ledger's items.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dixian.accounts.capabilities import Capability, capability_required
from dixian.common.access_log import Action, log_access
from dixian.common.due import WeekError, week_key, week_label, week_parse
from dixian.common.filters import NoRegion, region_breadcrumb, region_by_code
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.paging import paginate_exact
from dixian.regions.models import Region

from .board import board_build
from .summary import XLSX, summary_filename, summary_write

ITEMS_SHOWN = 50  # per ledger on the whole page; `&ledger=` pages through the rest


@dataclass
class Asked:
    region: Region
    monday: dt.date
    error: str  # the week asked could not be read (the current week is shown)


def _asked(request: AuthenticatedHttpRequest, today: dt.date) -> Asked:
    region = region_by_code(request.user, request.GET.get("region", ""))
    raw = request.GET.get("week", "").strip()
    error = ""
    monday = today - dt.timedelta(days=today.weekday())
    if raw:
        try:
            monday = week_parse(raw)
        except WeekError as exc:
            error = f"{exc}已显示本周。"
    return Asked(region, monday, error)


def week_link(code: str, monday: dt.date, **extra: str) -> str:
    return "?" + urlencode({"region": code, "week": week_key(monday), **extra})


@capability_required(Capability.DISPATCH_VIEW)
@require_GET
def week(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        asked = _asked(request, today)
    except NoRegion:
        return render(request, "dispatch/no_region.html")
    return _page(request, asked, today)


def _page(
    request: AuthenticatedHttpRequest, asked: Asked, today: dt.date, *, status: int = 200
) -> HttpResponse:
    board = board_build(request.user, asked.region, asked.monday, today=today)
    only = request.GET.get("ledger", "").strip()
    shown = [ledger for ledger in board.ledgers if not only or ledger.name == only]
    if only and not shown:
        shown, only = board.ledgers, ""  # a ledger the account does not see (or none): the whole page
    page = None
    if only:
        page = paginate_exact(shown[0].rows, request.GET.get("page"))
    one_week = dt.timedelta(days=7)
    context = {
        "asked": asked,
        "board": board,
        "week_key": week_key(asked.monday),
        "week_label": week_label(asked.monday),
        "is_current": asked.monday <= today <= asked.monday + dt.timedelta(days=6),
        "previous": week_link(asked.region.code, asked.monday - one_week),
        "next": week_link(asked.region.code, asked.monday + one_week),
        "this_week": week_link(asked.region.code, today),
        "ledgers": [
            (
                ledger,
                page.object_list if page else ledger.rows[:ITEMS_SHOWN],
                week_link(asked.region.code, asked.monday, ledger=ledger.name),
            )
            for ledger in shown
        ],
        "only": only,
        "page": page,
        "page_query": urlencode(
            {"region": asked.region.code, "week": week_key(asked.monday), "ledger": only}
        ),
        "items_shown": ITEMS_SHOWN,
        "unit_rows": [
            (
                unit,
                week_link(unit.code, asked.monday) if unit.code else "",
                list(zip(board.ledger_names, cells, strict=True)),
            )
            for unit, cells in board.unit_table
        ],
        "breadcrumb": region_breadcrumb(request.user, asked.region),
        "xlsx": week_link(asked.region.code, asked.monday),
    }
    return render(request, "dispatch/week.html", context, status=status)


@capability_required(Capability.DISPATCH_VIEW)
@require_GET
def summary_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        asked = _asked(request, today)
    except NoRegion:
        return render(request, "dispatch/no_region.html", status=404)
    if asked.error:
        asked.error = asked.error.removesuffix("已显示本周。") + "周汇总未生成。"
        return _page(request, asked, today, status=400)
    board = board_build(request.user, asked.region, asked.monday, today=today)
    out = io.BytesIO()
    count = summary_write(board, out)
    # Owners may name persons: the download is recorded like every export (docs/security.md §5).
    log_access(
        request,
        action=Action.EXPORT,
        fields=("name",),
        count=count,
        scope=f"工作调度周汇总 {week_key(asked.monday)} {asked.region.name}",
        region_code=asked.region.prefix,
    )
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(summary_filename(board))}"
    return response
