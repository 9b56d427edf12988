"""The project bank's pages (docs/domain.md §22): the list, a project's page with the moves the account may
make, the village's proposal and its changes, progress and 以工代赈 hires, and the county discipline's list
of late townships and projects (.xlsx too).

Reads go through `selectors_projects` (scoped; out of scope answers 404), writes through `projects`, which
decide who may do what; a refused move comes back as its Chinese reason on the project's page. The move URL
is open to every account that may see projects: the project's state decides whose move it is.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.common.access import may_view_pii
from dixian.common.filters import dropped_notices, region_picker, resolve_region
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.masking import id_number_shown
from dixian.common.paging import paginate
from dixian.domain import funds as fd

from . import projects as services
from .forms_projects import HireForm, LateForm, MoveForm, ProgressForm, ProjectFilterForm, ProjectForm
from .models import Arrangement, Project, WorkReliefHire
from .selectors_projects import (
    PROGRESS_FILTERS,
    december_end,
    project_get_for_user,
    project_list_qs,
    september_end,
    township_disciplines,
    use_label,
)

PAGE_SIZE = 50
# Late projects listed per township on the page; the .xlsx and the project list (filtered) hold all of them.
LATE_SHOWN = 20


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def project_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = ProjectFilterForm(request.GET, user=user)
    filters = form.filters()
    today = timezone.localdate()
    notices = list(filters.notices)
    if filters.progress == "late" and filters.year is None:
        notices.append(f"“进度滞后”按年度判断,已按{today.year}年的实施计划显示。")
    qs = project_list_qs(
        user,
        region=filters.region,
        year=filters.year,
        kind=filters.kind,
        state=filters.state,
        progress=filters.progress,
        today=today,
    )
    page = paginate(qs, request.GET.get("page"), per_page=PAGE_SIZE)
    return render(
        request,
        "funds/projects_list.html",
        {
            "form": form,
            "filters": filters,
            "notices": notices,
            "page": page,
            "query": urlencode(filters.params()),
            "picker": region_picker(user, filters.region),
            "progress_filters": PROGRESS_FILTERS,
        },
    )


# ---- a project's page -----------------------------------------------------------------------------------


def _timeline(project: Project) -> list[dict[str, Any]]:
    labels = {m.code: m.label for m in fd.PROJECT_MOVES.values()} | {"propose": "村级申报"}
    return [
        {
            "at": t.at,
            "label": labels.get(t.action, t.action),
            "to": fd.PROJECT_STATES.get(t.to_state, t.to_state),
            "who": t.actor_name,
            "reason": t.reason,
        }
        for t in project.transitions.order_by("at", "pk")
    ]


def project_context(request: AuthenticatedHttpRequest, project: Project, **extra: Any) -> dict[str, Any]:
    user = request.user
    pii = may_view_pii(user)
    payments = list(project.payments.order_by("paid_on", "pk"))
    paid = sum((p.amount for p in payments), fd.FEN * 0)
    hires = list(
        WorkReliefHire.objects.filter(project=project)
        .select_related("person", "household")
        .order_by("hired_on", "pk")
    )
    moves = services.moves_for(user, project)
    may_edit_progress = project.state == fd.IN_PLAN and user_can(user, Capability.PROJECTS_EDIT)
    context: dict[str, Any] = {
        "project": project,
        "budgets": list(project.budgets.order_by("level")),
        "arrangements": list(
            Arrangement.objects.filter(project=project)
            .select_related("allocation")
            .order_by("arranged_on", "pk")
        ),
        "arranged": Arrangement.objects.filter(project=project).aggregate(s=Sum("amount"))["s"],
        "payments": [
            {
                "payment": p,
                "use": use_label(p.use_category),
            }
            for p in payments
        ],
        "paid": paid,
        "spending_rate": fd.share(paid, project.budget_total),
        "hires": [{"hire": h, "id_number": id_number_shown(h.person.id_number, pii=pii)} for h in hires],
        "pii": pii,
        "wages": sum((h.wages_paid for h in hires), fd.FEN * 0),
        "timeline": _timeline(project),
        "moves": [{"move": m, "form": MoveForm(initial={"move": m.code, "seq": project.seq})} for m in moves],
        "why_not": services.why_not(user, project),
        "may_edit": project.state in services.EDITABLE_STATES and user_can(user, Capability.PROJECTS_PROPOSE),
        "may_edit_progress": may_edit_progress,
        "may_pay": project.state == fd.IN_PLAN and user_can(user, Capability.FUNDS_EDIT),
        "progress_form": ProgressForm(
            initial={"seq": project.seq, **{f: getattr(project, f) for f in services.PROGRESS_FIELDS}}
        )
        if may_edit_progress
        else None,
        "hire_form": HireForm() if may_edit_progress else None,
        "publicity_closes_on": fd.publicity_may_close_on(project.publicity_started_on, project.publicity_days)
        if project.state == fd.PUBLICITY and project.publicity_started_on
        else None,
    }
    context.update(extra)
    return context


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def project_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_get_for_user(request.user, pk)
    return render(request, "funds/projects_detail.html", project_context(request, project))


@capability_required(Capability.FUNDS_VIEW)
@require_POST
def project_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_get_for_user(request.user, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("funds:project_detail", pk=project.pk)
    data = form.cleaned_data
    try:
        moved = services.project_move(
            project=project,
            move_code=data["move"],
            seq=data["seq"],
            reason=data["reason"],
            actor=request.user,
        )
    except (ValidationError, PermissionDenied) as exc:
        texts = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        for text in texts:
            messages.error(request, text)
    else:
        messages.success(
            request, f"已办理:{fd.PROJECT_MOVES[data['move']].label}。项目{fd.PROJECT_STATES[moved.state]}。"
        )
    return redirect("funds:project_detail", pk=project.pk)


@capability_required(Capability.PROJECTS_PROPOSE)
@require_http_methods(["GET", "POST"])
def project_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = ProjectForm(request.POST or None, user=user, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            project = services.project_propose(
                actor=user,
                region=data["region"],
                year=data["year"],
                data=form.data_fields(),
                budgets=form.budgets(),
                code=data.get("code") or "",
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已申报项目 {project.code},等待乡镇审核。")
            return redirect("funds:project_detail", pk=project.pk)
    return render(request, "funds/projects_form.html", {"form": form, "project": None})


@capability_required(Capability.PROJECTS_PROPOSE)
@require_http_methods(["GET", "POST"])
def project_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    project = project_get_for_user(user, pk)
    initial = {f: getattr(project, f) for f in services.PROJECT_FIELDS if f != "region_code"}
    initial["region"] = project.region_id
    initial |= {f"budget_{b.level}": b.amount for b in project.budgets.all()}
    form = ProjectForm(request.POST or None, user=user, editing=True, initial=initial)
    if project.state not in services.EDITABLE_STATES:
        messages.error(request, f"项目{fd.PROJECT_STATES[project.state]},不能再修改。")
        return redirect("funds:project_detail", pk=project.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(
                actor=user,
                project=project,
                region=form.cleaned_data["region"],
                data=form.data_fields(),
                budgets=form.budgets(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已保存修改。")
            return redirect("funds:project_detail", pk=project.pk)
    return render(request, "funds/projects_form.html", {"form": form, "project": project})


@capability_required(Capability.PROJECTS_EDIT)
@require_POST
def project_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_get_for_user(request.user, pk)
    form = ProgressForm(request.POST)
    if form.is_valid():
        try:
            services.project_progress(
                project=project,
                actor=request.user,
                values={f: form.cleaned_data[f] for f in services.PROGRESS_FIELDS},
                seq=form.cleaned_data["seq"],
            )
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, ValidationError):
                add_service_errors(form, exc)
            else:
                form.add_error(None, str(exc))
        else:
            messages.success(request, "已登记项目实施进度。")
            return redirect("funds:project_detail", pk=project.pk)
    project.refresh_from_db()
    return render(
        request,
        "funds/projects_detail.html",
        project_context(request, project, progress_form=form),
        status=400,
    )


@capability_required(Capability.PROJECTS_EDIT)
@require_POST
def hire_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_get_for_user(request.user, pk)
    form = HireForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            person = services.hire_person_find(
                project=project,
                id_number=data["id_number"],
                household_no=data["household_no"],
                name=data["name"],
                pii=may_view_pii(request.user),
            )
            services.hire_record(
                project=project,
                actor=request.user,
                person=person,
                hired_on=data["hired_on"],
                days=data["days"] or 0,
                wages_paid=data["wages_paid"] or fd.FEN * 0,
            )
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, ValidationError):
                add_service_errors(form, exc)
            else:
                form.add_error(None, str(exc))
        else:
            messages.success(request, f"已登记以工代赈用工:{person.name}。")
            return redirect("funds:project_detail", pk=project.pk)
    return render(
        request, "funds/projects_detail.html", project_context(request, project, hire_form=form), status=400
    )


# ---- the county discipline ------------------------------------------------------------------------------


def _late_report(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    user = request.user
    form = LateForm(request.GET)
    notices = dropped_notices(form)
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    today = timezone.localdate()
    year = data.get("year") or today.year
    as_of = data.get("as_of") or today
    region = resolve_region(user, data.get("region") or [], notices)
    prefix = region.prefix if region is not None else (user.region.prefix if user.region else "~")
    towns = township_disciplines(prefix, year, as_of)
    return {
        "form": form,
        "notices": notices,
        "year": year,
        "as_of": as_of,
        "region": region,
        "picker": region_picker(user, region),
        "towns": towns,
        "late": [t for t in towns if t.late],
        "shown": LATE_SHOWN,
        "shown_slice": f":{LATE_SHOWN}",
        "september": as_of >= september_end(year),
        "december": as_of >= december_end(year),
        "query": urlencode(
            {
                k: v
                for k, v in {
                    "year": year,
                    "as_of": f"{as_of:%Y-%m-%d}",
                    "region": region.pk if region else "",
                }.items()
                if v
            }
        ),
    }


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def late_projects(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "funds/projects_late.html", _late_report(request))


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def late_projects_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    from .exports_projects import late_workbook

    report = _late_report(request)
    buffer = io.BytesIO()
    late_workbook(report["towns"], year=report["year"], as_of=report["as_of"], target=buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="late-projects-{report["year"]}.xlsx"'
    return response
