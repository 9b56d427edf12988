"""Visit pages: record a visit (phone first), the visit list and detail, photos, and visit coverage.

Every read goes through selectors.py: a visit or photo outside the account's scope answers 404 exactly
like one that does not exist. Photos are personal data: they are stored under MEDIA_ROOT, which the
project never serves, and reach a browser only through `visit_photo` after the visit's scope check.
"""

from __future__ import annotations

import io
import mimetypes
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.cases.models import AlertEvidence
from dixian.common.access import may_view_pii
from dixian.common.access_log import log_access
from dixian.common.filters import region_picker
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.masking import phone_shown
from dixian.common.paging import paginate
from dixian.common.urgency import grade_css
from dixian.monitoring.assistance import measures_open_for_follow_up

from . import services
from .exports import coverage_workbook
from .forms import CoverageForm, Period, VisitFilterForm, VisitForm
from .models import Visit, VisitRisk
from .selectors import (
    Coverage,
    coverage_for_user,
    household_for_recording,
    households_matching,
    households_of_helper,
    photo_get_for_visit,
    visit_get_for_user,
    visit_list_for_user,
)

if TYPE_CHECKING:
    pass

PAGE_SIZE = 30
RISK_LABELS = dict(VisitRisk.choices)


def _risk_badges(risks: list[str]) -> list[tuple[str, str]]:
    grades = services.VISIT_RISK_GRADE
    return [(RISK_LABELS.get(r, r), grade_css(grades[VisitRisk(r)])) for r in risks if r in RISK_LABELS]


# --- recording --------------------------------------------------------------------------------------


@capability_required(Capability.VISITS_RECORD)
@require_http_methods(["GET", "POST"])
def visit_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    notices: list[str] = []
    if request.method == "POST":
        form = VisitForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                visit = services.visit_record(
                    household=data["household"],
                    visit_date=data["visit_date"],
                    method=data["method"],
                    risks=data["risks"],
                    notes=data["notes"],
                    photos=data["photos"],
                    actor=user,
                    measure=data["measure"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied:
                form.add_error(None, "所选农户不存在或不在您的走访范围内,请重新查找选择。")
            else:
                messages.success(
                    request,
                    f"走访记录已保存:{visit.household.head_name}户 {visit.visit_date:%Y-%m-%d}"
                    + _found_text(visit),
                )
                return redirect("visits:detail", pk=visit.pk)
        picked = form.picked
    else:
        picked = None
        if request.GET.get("household"):
            picked = household_for_recording(user, request.GET["household"])
            if picked is None:
                notices.append("所选农户不存在或不在您的走访范围内,请重新查找选择。")
        form = VisitForm(
            user=user,
            initial={"household": picked.pk if picked else "", "measure": request.GET.get("measure", "")},
        )
    term = (request.GET.get("q") or "").strip()[:40]
    mine = households_of_helper(user) if picked is None and not term else []
    # The household the form starts with: the one picked, or a helper's only household (checked at once).
    chosen = picked or (mine[0] if len(mine) == 1 else None)
    context = {
        "form": form,
        "picked": picked,
        "plan_measures": measures_open_for_follow_up(user, chosen) if chosen is not None else [],
        "chosen_measure": str(form["measure"].value() or ""),
        "q": term,
        "matches": households_matching(user, term) if term and picked is None else None,
        "mine": mine,
        "notices": notices,
        "max_photos": services.MAX_PHOTOS,
        "max_days": services.MAX_DAYS_BACK,
        "today": timezone.localdate(),
    }
    return render(request, "visits/visit_form.html", context)


@capability_required(Capability.VISITS_RECORD)
@require_GET
def household_search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The household picker's results (an htmx partial): radio buttons that belong to the visit form."""
    user = request.user
    term = (request.GET.get("q") or "").strip()[:40]
    context = {"matches": households_matching(user, term) if term else None, "q": term}
    return render(request, "visits/partials/_household_choices.html", context)


@capability_required(Capability.VISITS_RECORD)
@require_GET
def household_measures(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The measures a visit of the chosen household may follow up (an htmx partial of the visit form):
    those of its open monitoring case, for a household the account may record a visit for."""
    user = request.user
    household = household_for_recording(user, request.GET.get("household", ""))
    context = {
        "plan_measures": measures_open_for_follow_up(user, household) if household is not None else [],
        "chosen_measure": "",
    }
    return render(request, "visits/partials/_plan_measures.html", context)


# --- reading ----------------------------------------------------------------------------------------


def _list_query(form: VisitFilterForm) -> str:
    if not form.is_bound:
        return ""
    params = []
    for name in ("date_from", "date_to"):
        value = form.cleaned_data.get(name)
        if value:
            params.append((name, value.isoformat()))
    if form.chosen_region is not None:
        params.extend(("region", str(pk)) for pk in form.cleaned_data.get("region") or [])
    params.extend((name, "on") for name in ("with_risks", "monitored") if form.cleaned_data.get(name))
    if form.cleaned_data.get("household"):
        params.append(("household", str(form.cleaned_data["household"])))
    return urlencode(params)


@capability_required(Capability.VISITS_VIEW)
@require_GET
def visit_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = VisitFilterForm(request.GET, user=user)
    filters = form.filters()
    page = paginate(visit_list_for_user(user, filters), request.GET.get("page"), per_page=PAGE_SIZE)
    for visit in page.rows:
        visit.badges = _risk_badges(visit.risks)
    context = {
        "form": form,
        "page": page,
        "query": _list_query(form),
        "notices": form.notices,
        "picker": region_picker(user, filters.village),
        "oob_picker": bool(request.htmx),
        "can_record": user_can(user, Capability.VISITS_RECORD),
    }
    if request.htmx:
        return render(request, "visits/partials/_visit_table.html", context)
    return render(request, "visits/visit_list.html", context)


def _found_text(visit: Visit) -> str:
    """What the visit's risks became: alerts pushed, or evidence for the case of a monitored risk."""
    if not visit.risks:
        return ",未发现风险。"
    kept = AlertEvidence.objects.filter(visit=visit, alert__isnull=True).count()
    text = f",发现风险 {len(visit.risks)} 项"
    if kept < len(visit.risks):
        text += ",已推送预警线索"
    if kept:
        text += f"{';' if kept < len(visit.risks) else ','}其中 {kept} 项该户已纳入监测,记入监测档案"
    return text + "。"


@login_required
@require_GET
def visit_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    visit = visit_get_for_user(user, pk)
    household = visit.household
    evidences = list(
        AlertEvidence.objects.filter(visit=visit).select_related("alert").order_by("grade", "risk_code")
    )
    context = {
        "visit": visit,
        "household": household,
        "phone": phone_shown(household.phone, pii=may_view_pii(user)),
        "badges": _risk_badges(visit.risks),
        "photos": list(visit.photos.order_by("id")),
        "evidences": evidences,
        "can_record": user_can(user, Capability.VISITS_RECORD),
    }
    log_access(request, household=household, fields=("name", "phone", "note"))
    return render(request, "visits/visit_detail.html", context)


@login_required
@require_GET
def visit_photo(request: AuthenticatedHttpRequest, pk: int, photo_pk: int) -> FileResponse:
    visit = visit_get_for_user(request.user, pk)
    photo = photo_get_for_visit(visit, photo_pk)
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError:
        raise Http404("照片文件不存在") from None
    content_type = mimetypes.guess_type(photo.image.name or "")[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    # Personal data: never kept by a shared cache, and never sniffed into something else.
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = (
        f'inline; filename="visit-{visit.pk}-{photo.pk}{_suffix(photo.image.name or "")}"'
    )
    return response


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:] if dot > name.rfind("/") else ""


# --- coverage ---------------------------------------------------------------------------------------


def _coverage(request: AuthenticatedHttpRequest) -> tuple[CoverageForm, Coverage, list[str], str]:
    user = request.user
    form = CoverageForm(request.GET)
    start, end, notices = form.range()
    coverage = coverage_for_user(user, start, end)
    period = form.cleaned_data.get("period") or Period.MONTH
    params = [("period", period)]
    if period == Period.CUSTOM:
        params += [("start", start.isoformat()), ("end", end.isoformat())]
    return form, coverage, notices, urlencode(params)


@capability_required(Capability.VISITS_VIEW)
@require_GET
def coverage(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, cov, notices, query = _coverage(request)
    context = {"form": form, "coverage": cov, "notices": notices, "query": query}
    if request.htmx:
        return render(request, "visits/partials/_coverage_table.html", context)
    return render(request, "visits/coverage.html", context)


@capability_required(Capability.VISITS_VIEW)
@require_GET
def coverage_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    _, cov, _, _ = _coverage(request)
    buffer = io.BytesIO()
    coverage_workbook(cov, buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"visit-coverage-{cov.start:%Y%m%d}-{cov.end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
