"""Pages of a case's assistance (一户一策, docs/domain.md §20): the plan page (the case page's 帮扶 panel on
a page of its own, phone first, for the helper in the field), the helper and measure forms.

Every case is fetched through `case_get_for_user` (404 outside the account's scope, a 帮扶干部's own
households only); a measure or pairing through its case. The short forms of the panel (assign or end a
helper, 落实/完成/取消 a measure) post here and come back to the page they were sent from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dixian.accounts.capabilities import Capability, capability_required
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.domain import lifecycle as lc

from . import assistance
from .forms_assist import HelperAssignForm, HelperEndForm, MeasureForm, MeasureStatusForm
from .selectors import case_get_for_user

if TYPE_CHECKING:
    from django.forms.utils import ErrorDict

    from .models import Measure, MonitoringCase


def _safe_next(request: AuthenticatedHttpRequest) -> str:
    """The page a form was sent from: a local path of this site, or "" (never another host or a scheme)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=False
    ):
        return target
    return ""


def _back(request: AuthenticatedHttpRequest, case: MonitoringCase) -> HttpResponseRedirect:
    """To the page the form was on, else the case's plan page."""
    return HttpResponseRedirect(_safe_next(request) or reverse("monitoring:case_plan", args=[case.pk]))


def _errors(request: AuthenticatedHttpRequest, form_errors: ErrorDict | list[str]) -> None:
    lines = form_errors if isinstance(form_errors, list) else [e for es in form_errors.values() for e in es]
    for line in lines:
        messages.error(request, str(line))


@capability_required(Capability.CASES_VIEW)
@require_GET
def case_plan(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = case_get_for_user(request.user, pk)
    context = {"case": case, "household": case.household, **assistance.assistance_panel(request.user, case)}
    return render(request, "monitoring/case_plan.html", context)


@capability_required(Capability.HELPERS_ASSIGN)
@require_POST
def helper_assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = case_get_for_user(user, pk)
    form = HelperAssignForm(request.POST, candidates=assistance.helper_candidates(case.household))
    if not form.is_valid():
        _errors(request, form.errors)
        return _back(request, case)
    helper = form.candidates[form.cleaned_data["account"]]
    try:
        assistance.helper_assign(
            case=case,
            actor=user,
            helper=helper,
            unit=form.cleaned_data["unit"],
            start_date=form.cleaned_data["start_date"],
        )
    except ValidationError as exc:
        _errors(request, exc.messages)
    else:
        messages.success(request, f"已安排{helper.get_full_name() or helper.username}为该户的帮扶联系人。")
    return _back(request, case)


@capability_required(Capability.HELPERS_ASSIGN)
@require_POST
def helper_end(request: AuthenticatedHttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    user = request.user
    case = case_get_for_user(user, pk)
    assignment = assistance.assignment_get_for_case(case, assignment_pk)
    form = HelperEndForm(request.POST)
    if not form.is_valid():
        _errors(request, form.errors)
        return _back(request, case)
    try:
        assistance.helper_end(
            case=case, actor=user, assignment=assignment, end_date=form.cleaned_data["end_date"]
        )
    except ValidationError as exc:
        _errors(request, exc.messages)
    else:
        messages.success(request, "已结束该结对帮扶。")
    return _back(request, case)


def _measure_page(
    request: AuthenticatedHttpRequest, case: MonitoringCase, form: MeasureForm, measure: Measure | None
) -> HttpResponse:
    proposed = request.GET.get("category", "")
    context = {
        "case": case,
        "household": case.household,
        "form": form,
        "measure": measure,
        "draft": case.state in lc.IDENTIFYING,
        "next": _safe_next(request),
        "proposed": lc.MEASURE_CATEGORIES.get(proposed),
    }
    return render(request, "monitoring/measure_form.html", context)


@capability_required(Capability.MEASURES_EDIT)
@require_http_methods(["GET", "POST"])
def measure_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = case_get_for_user(user, pk)
    if request.method == "POST":
        form = MeasureForm(request.POST)
        if form.is_valid():
            try:
                measure = assistance.measure_create(case=case, actor=user, data=form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"已添加帮扶措施:{measure.item}。")
                return _back(request, case)
    else:
        # 缺什么补什么: a proposal of the panel opens the form with its category chosen.
        category = request.GET.get("category", "")
        form = MeasureForm(
            initial={
                "category": category if category in lc.MEASURE_CATEGORIES else "",
                "start_on": assistance._today(),
            }
        )
    return _measure_page(request, case, form, None)


@capability_required(Capability.MEASURES_EDIT)
@require_http_methods(["GET", "POST"])
def measure_edit(request: AuthenticatedHttpRequest, pk: int, measure_pk: int) -> HttpResponse:
    user = request.user
    case = case_get_for_user(user, pk)
    measure = assistance.measure_get_for_case(case, measure_pk)
    if request.method == "POST":
        form = MeasureForm(request.POST)
        if form.is_valid():
            try:
                assistance.measure_update(
                    case=case,
                    measure=measure,
                    actor=user,
                    data=form.cleaned_data,
                    stamp=form.cleaned_data["stamp"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"已保存帮扶措施:{form.cleaned_data['item']}。")
                return _back(request, case)
    else:
        form = MeasureForm(
            initial={
                **{f: getattr(measure, f) for f in assistance.MEASURE_FIELDS},
                "stamp": measure.updated_at.isoformat(),
            }
        )
    return _measure_page(request, case, form, measure)


@capability_required(Capability.MEASURES_EDIT)
@require_POST
def measure_status(request: AuthenticatedHttpRequest, pk: int, measure_pk: int) -> HttpResponse:
    user = request.user
    case = case_get_for_user(user, pk)
    measure = assistance.measure_get_for_case(case, measure_pk)
    form = MeasureStatusForm(request.POST)
    if not form.is_valid():
        _errors(request, form.errors)
        return _back(request, case)
    try:
        measure = assistance.measure_set_status(
            case=case,
            measure=measure,
            actor=user,
            status=form.cleaned_data["status"],
            on=form.cleaned_data["on"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        _errors(request, exc.messages)
    else:
        messages.success(request, f"帮扶措施“{measure.item}”:{measure.get_status_display()}。")
    return _back(request, case)
