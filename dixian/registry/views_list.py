"""The household list (农户信息) and its Excel export.

The list is filtered by `filters.HouseholdFilterForm` and selected through
`selectors.household_list_for_user`, so every row is inside the account's scope. htmx requests get the
results partial (plus the region selects, swapped out of band) and the canonical URL to push; without
JavaScript the same URL serves the whole page.

Paging at city scale (800k households): the page is LIMIT/OFFSET on the (region_code, id) index, and the
total is counted only up to a cap (dixian/common/paging.py says why).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import push_url

from dixian.common.access import may_view_pii
from dixian.common.access_log import Action, log_access
from dixian.common.filters import region_picker
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.jobs import job_enqueue
from dixian.common.masking import phone_shown
from dixian.common.models import Job
from dixian.common.paging import paginate, paginate_few

from . import exports
from .filters import HouseholdFilterForm, HouseholdFilters
from .models import Household
from .selectors import household_list_for_user

if TYPE_CHECKING:
    from dixian.accounts.models import User

LIST_FIELDS = (
    "id",
    "household_no",
    "head_name",
    "region_code",
    "kind",
    "monitoring_category",
    "member_count",
    "phone",
    "education_ok",
    "medical_ok",
    "housing_ok",
    "water_ok",
    "region__full_name",
    "region__name",
)


@dataclass
class Guarantee:
    label: str
    css: str


def _guarantees(h: Household) -> list[Guarantee]:
    """Badges that say what is wrong (饮水不安全), never the name of what should be secured in red."""
    gaps = [
        Guarantee(label, "red")
        for label, ok in (
            ("有失学辍学", h.education_ok),
            ("有人未参保", h.medical_ok),
            ("住房不安全", h.housing_ok),
        )
        if not ok
    ]
    if h.water_ok is False:
        gaps.append(Guarantee("饮水不安全", "red"))
    elif h.water_ok is None:
        gaps.append(Guarantee("饮水情况未填", "yellow"))
    return gaps or [Guarantee("均有保障", "green")]


def _place(h: Household, account_full_name: str) -> str:
    """The household's village (组) without the account's own region in front: 义宁镇良塘村 for a county."""
    full = h.region.full_name or h.region.name
    if account_full_name and full.startswith(account_full_name) and full != account_full_name:
        return full[len(account_full_name) :]
    return full


def _export_jobs(user: User) -> list[Job]:
    since = timezone.now() - timedelta(days=1)
    return list(
        Job.objects.filter(owner=user, kind=exports.JOB_KIND, created_at__gte=since).order_by("-created_at")[
            :3
        ]
    )


def _list_url(filters: HouseholdFilters, page: int = 1) -> str:
    params = filters.params() + ([("page", str(page))] if page > 1 else [])
    return reverse("registry:household_list") + (f"?{urlencode(params)}" if params else "")


def _log_list(
    request: AuthenticatedHttpRequest, filters: HouseholdFilters, rows: list[Household], *, pii: bool
) -> None:
    """The access log of the list (docs/security.md §5): a search by a full number, always; otherwise a
    page that shows full phone numbers (an account with the right). One row per request."""
    if filters.full_number:
        matched = filters.search_ids or frozenset()
        log_access(
            request,
            action=Action.SEARCH,
            household=rows[0] if len(rows) == 1 else None,
            count=len(matched),
            scope=f"查找:{filters.full_number}",
            fields=("name", "phone"),
        )
    elif pii and rows:
        log_access(
            request,
            count=len(rows),
            scope="农户信息列表 " + "；".join(f"{label}:{value}" for label, value in filters.describe()),
            fields=("name", "phone"),
        )


@login_required
@require_GET
def household_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = HouseholdFilterForm(request.GET, user=user)
    filters = form.filters()

    def rows(f: HouseholdFilters) -> QuerySet[Household]:
        return household_list_for_user(user, f).select_related("region").only(*LIST_FIELDS)

    if filters.search_ids is not None:
        page = paginate_few(
            rows(filters),
            request.GET.get("page"),
            fetch=lambda ids: rows(replace(filters, search_ids=frozenset(ids))),
        )
    else:
        page = paginate(rows(filters), request.GET.get("page"))
    pii = may_view_pii(user)
    _log_list(request, filters, page.rows, pii=pii)
    account_full_name = (user.region.full_name or user.region.name) if user.region else ""
    for h in page.rows:
        h.place = _place(h, account_full_name)
        h.phone_shown = phone_shown(h.phone, pii=pii)
        h.guarantees = _guarantees(h)
    query = urlencode(filters.params())
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "query": query,
        "notices": filters.notices,
        "picker": region_picker(user, filters.region),
        "pii": pii,
        "account_region": user.region if user.region_id else None,
        "export_limit": settings.DIXIAN_EXPORT_SYNC_LIMIT,
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "registry/partials/_household_table.html", {**context, "oob_picker": True})
        return push_url(response, _list_url(filters, page.number))
    context["export_jobs"] = _export_jobs(user)
    return render(request, "registry/household_list.html", context)


@login_required
@require_POST
def household_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Export the filtered list: inside the request up to DIXIAN_EXPORT_SYNC_LIMIT rows, else as a job."""
    user = request.user
    filters = HouseholdFilterForm(request.GET, user=user).filters()
    persons = request.POST.get("sheets") == "persons"
    limit = settings.DIXIAN_EXPORT_SYNC_LIMIT
    if exports.household_export_rows_needed(user, filters, persons=persons, limit=limit) <= limit:
        # A temporary file (deleted when closed): constant_memory keeps rows on disk, not in the process.
        fh = tempfile.TemporaryFile(dir=settings.DATA_DIR)  # noqa: SIM115 - FileResponse closes it
        result = exports.household_export_write(fh, user=user, filters=filters, persons=persons)
        exports.export_logged(request, user=user, filters=filters, persons=persons, result=result)
        fh.seek(0)
        return FileResponse(
            fh,
            as_attachment=True,
            filename=exports.export_filename(user, filters),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    job_enqueue(kind=exports.JOB_KIND, owner=user, params=exports.export_params(filters, persons=persons))
    messages.info(
        request,
        f"要导出的数据超过 {limit:,} 行,已转入后台生成。生成进度和下载链接显示在本页上方,完成前可以继续其他工作。",
    )
    return redirect(_list_url(filters))
