"""The notices' pages (docs/domain.md §20): the village notice (村内公示, for identification or for risk
elimination) and the township's result notice (公告), each as a printable page and as a .docx.

Region-scoped like every page: a village or township out of the account's subtree answers 404; the rows
come from the cases the account may open (monitoring.selectors).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from dixian.accounts.capabilities import Capability, capability_required
from dixian.common.access_log import log_access
from dixian.common.http import AuthenticatedHttpRequest

from .notices import Notice, notice_docx, township_notice, village_notice

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _day(request: AuthenticatedHttpRequest, key: str) -> dt.date | None:
    value = request.GET.get(key, "")
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None  # a mistyped date shows the current notice


def _log(request: AuthenticatedHttpRequest, notice: Notice) -> None:
    # A notice shows names (what a notice posts publicly), never numbers or health: still a showing.
    log_access(
        request,
        count=len(notice.rows),
        scope=f"{notice.title} {notice.region.full_name or notice.region.name}",
        region_code=notice.region.prefix,
        fields=("name",),
        masked=True,
    )


def _page(request: AuthenticatedHttpRequest, notice: Notice, docx_url: str) -> HttpResponse:
    _log(request, notice)
    return render(request, "monitoring/notice.html", {"notice": notice, "docx_url": docx_url})


def _docx(request: AuthenticatedHttpRequest, notice: Notice) -> HttpResponse:
    if not notice.rows:
        raise Http404("目前没有需要公示或公告的农户")
    _log(request, notice)
    response = HttpResponse(notice_docx(notice), content_type=DOCX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(notice.filename('docx'))}"
    return response


def _query(notice: Notice, key: str) -> str:
    return f"?{key}={notice.start.isoformat()}" if notice.start else ""


@capability_required(Capability.CASES_VIEW)
@require_GET
def notice_village(request: AuthenticatedHttpRequest, code: str, kind: str) -> HttpResponse:
    notice = village_notice(request.user, code, kind, _day(request, "posted"))
    docx_url = reverse("monitoring:notice_village_docx", args=[code, kind]) + _query(notice, "posted")
    return _page(request, notice, docx_url)


@capability_required(Capability.CASES_VIEW)
@require_GET
def notice_village_docx(request: AuthenticatedHttpRequest, code: str, kind: str) -> HttpResponse:
    return _docx(request, village_notice(request.user, code, kind, _day(request, "posted")))


@capability_required(Capability.CASES_VIEW)
@require_GET
def notice_township(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    notice = township_notice(request.user, code, _day(request, "on"))
    docx_url = reverse("monitoring:notice_township_docx", args=[code]) + _query(notice, "on")
    return _page(request, notice, docx_url)


@capability_required(Capability.CASES_VIEW)
@require_GET
def notice_township_docx(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    return _docx(request, township_notice(request.user, code, _day(request, "on")))
