"""The rectification pages (docs/domain.md §25): the findings list of the account's unit with its filters, a
finding's page (tasks, evidence, reviewers, history, the findings 举一反三 filed from it), and the forms: new
finding, task, evidence, task close, reviewers, review (sign or send back), 销号, 举一反三, workbook import.

Every read goes through selectors.py (404 outside the subtree), every write through services.py, whose
ValidationError is shown on the form. Free texts may quote an ID or phone number: shown through text_for.
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.common.access import code_in_scope, region_range_q, scope_by_region
from dixian.common.attachments import attachment_response
from dixian.common.filters import dropped_notices, region_picker, resolve_region
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.paging import paginate
from dixian.domain import lifecycle as lc
from dixian.funds.models import Project
from dixian.registry.models import Household

from . import imports, services
from .checks import CHECKS
from .forms import (
    EvidenceForm,
    FilterForm,
    FindingForm,
    ImportForm,
    ReviewersForm,
    ReviewForm,
    TaskCloseForm,
    TaskForm,
)
from .models import Finding, FindingReviewer, FindingTask
from .selectors import (
    Deadline,
    deadline_of,
    evidence_get,
    finding_get_for_user,
    findings_for_user,
    overdue_q,
    task_get,
)

PAGE_SIZE = 50


def _query(request: AuthenticatedHttpRequest) -> str:
    return urlencode([(k, v) for k, vs in request.GET.lists() if k != "page" for v in vs if v])


@capability_required(Capability.RECTIFICATION_VIEW)
@require_GET
def finding_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The unit's findings, newest first, filtered; each with its deadline's colour and its tasks' counts
    (one aggregate query for the page)."""
    user = request.user
    today = timezone.localdate()
    form = FilterForm(request.GET)
    notices = dropped_notices(form)
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    region = resolve_region(user, data.get("region") or [], notices)
    qs = findings_for_user(user)
    if region is not None:
        qs = qs.filter(region_range_q(region.prefix))
    for name in ("source", "status", "category"):
        if data.get(name):
            qs = qs.filter(**{name: data[name]})
    if data.get("overdue"):
        qs = qs.filter(overdue_q(today))
    if data.get("key"):
        qs = qs.filter(region__is_key_village=True)
    if data.get("q"):
        qs = qs.filter(title__contains=data["q"].strip())
    page = paginate(qs.select_related("region").order_by("-found_on", "-id"), request.GET.get("page"))
    ids = [f.pk for f in page.object_list]
    counts = {
        row["finding_id"]: row
        for row in FindingTask.objects.filter(finding_id__in=ids)
        .order_by()
        .values("finding_id")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(status=FindingTask.Status.DONE)),
            late=Count("id", filter=Q(status=FindingTask.Status.OPEN, deadline__lt=today)),
        )
    }
    rows = []
    for f in page.object_list:
        c = counts.get(f.pk, {"total": 0, "done": 0, "late": 0})
        closed = f.status == Finding.Status.CLOSED
        due = deadline_of(f.deadline, today, done=closed)
        if c["late"] and not closed:  # a task past its deadline makes the finding red too
            due = Deadline(f.deadline, lc.RED, f"{c['late']} 项任务超期")
        rows.append({"finding": f, "tasks": c, "due": due})
    return render(
        request,
        "rectification/finding_list.html",
        {
            "form": form,
            "notices": notices,
            "picker": region_picker(user, region),
            "page": page,
            "rows": rows,
            "query": _query(request),
            "can_edit": user_can(user, Capability.RECTIFICATION_EDIT),
        },
    )


@capability_required(Capability.RECTIFICATION_VIEW)
@require_GET
def finding_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    finding = finding_get_for_user(user, pk)
    today = timezone.localdate()
    tasks = list(
        finding.tasks.select_related("owner_region", "owner_user", "done_by")
        .prefetch_related("evidence")
        .order_by("deadline", "pk")
    )
    task_rows = [
        {
            "task": t,
            "due": deadline_of(t.deadline, today, done=t.status == FindingTask.Status.DONE),
            "may_do": services.may_do_task(user, t) and finding.status != Finding.Status.CLOSED,
        }
        for t in tasks
    ]
    reviewers = list(finding.reviewers.select_related("reviewer").order_by("pk"))
    mine = next((r for r in reviewers if r.reviewer_id == user.pk), None)
    can_edit = user_can(user, Capability.RECTIFICATION_EDIT) and code_in_scope(user, finding.region_code)
    households = list(
        scope_by_region(user, finding.households.all())
        .order_by("household_no")
        .values("pk", "household_no", "head_name")[:200]
    )
    children = list(
        findings_for_user(user).filter(parent=finding).select_related("region").order_by("region_code")[:200]
    )
    return render(
        request,
        "rectification/finding_detail.html",
        {
            "finding": finding,
            "due": deadline_of(finding.deadline, today, done=finding.status == Finding.Status.CLOSED),
            "task_rows": task_rows,
            "reviewers": reviewers,
            "my_review": mine if mine is not None and finding.status == Finding.Status.REVIEW else None,
            "review_form": ReviewForm(),
            "events": list(finding.events.select_related("actor").order_by("at", "pk")),
            "households": households,
            "hidden_households": finding.households.count() - len(households),
            "projects": list(scope_by_region(user, finding.projects.all()).order_by("code")[:200]),
            "children": children,
            "check": CHECKS.get(finding.check_code),
            "can_edit": can_edit,
            "can_close": can_edit and finding.status == Finding.Status.REVIEW,
            "all_signed": bool(reviewers)
            and all(r.decision == FindingReviewer.Decision.SIGNED for r in reviewers),
        },
    )


def _small_form(
    request: AuthenticatedHttpRequest,
    finding: Finding | None,
    form: Any,
    title: str,
    button: str,
    *,
    upload: bool = False,
) -> HttpResponse:
    return render(
        request,
        "rectification/small_form.html",
        {"finding": finding, "form": form, "title": title, "button": button, "upload": upload},
        status=400 if request.method == "POST" else 200,
    )


def _households(user: Any, nos: list[str]) -> tuple[list[Household], list[str]]:
    found = list(scope_by_region(user, Household.objects.filter(household_no__in=nos)))
    known = {h.household_no for h in found}
    return found, [n for n in nos if n not in known]


@capability_required(Capability.RECTIFICATION_EDIT)
@require_http_methods(["GET", "POST"])
def finding_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = FindingForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        households, missing = _households(user, data["household_nos"])
        projects = list(scope_by_region(user, Project.objects.filter(code__in=data["project_codes"])))
        missing_projects = sorted(set(data["project_codes"]) - {p.code for p in projects})
        if missing:
            form.add_error("household_nos", f"以下户编号不在您管辖范围内的农户中:{'、'.join(missing[:20])}")
        if missing_projects:
            form.add_error(
                "project_codes", f"以下项目编号不在您管辖范围内的项目库中:{'、'.join(missing_projects[:20])}"
            )
        if not missing and not missing_projects:
            try:
                finding = services.finding_create(
                    actor=user,
                    source=data["source"],
                    category=data["category"],
                    title=data["title"],
                    region=data["region"],
                    found_on=data["found_on"],
                    description=data["description"],
                    deadline=data["deadline"],
                    measures=data["measures"],
                    check_code=data["check_code"],
                    households=households,
                    projects=projects,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "问题已登记,请分解整改任务")
                return redirect("rectification:finding_detail", pk=finding.pk)
    return _small_form(request, None, form, "登记问题", "登记")


@capability_required(Capability.RECTIFICATION_EDIT)
@require_http_methods(["GET", "POST"])
def task_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    finding = finding_get_for_user(user, pk)
    form = TaskForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_add(actor=user, finding=finding, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "整改任务已分解")
            return redirect("rectification:finding_detail", pk=finding.pk)
    return _small_form(request, finding, form, "分解整改任务", "保存")


@capability_required(Capability.RECTIFICATION_TASK)
@require_http_methods(["GET", "POST"])
def evidence_upload(request: AuthenticatedHttpRequest, pk: int, task_pk: int) -> HttpResponse:
    user = request.user
    finding = finding_get_for_user(user, pk)
    task = task_get(finding, task_pk)
    posted = request.method == "POST"
    form = EvidenceForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            services.evidence_add(
                actor=user, task=task, upload=form.cleaned_data["file"], note=form.cleaned_data["note"]
            )
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        else:
            messages.success(request, "佐证材料已上传")
            return redirect("rectification:finding_detail", pk=finding.pk)
    return _small_form(request, finding, form, f"上传佐证材料:{task.title}", "上传", upload=True)


@capability_required(Capability.RECTIFICATION_TASK)
@require_http_methods(["GET", "POST"])
def task_close(request: AuthenticatedHttpRequest, pk: int, task_pk: int) -> HttpResponse:
    user = request.user
    finding = finding_get_for_user(user, pk)
    task = task_get(finding, task_pk)
    posted = request.method == "POST"
    form = TaskCloseForm(request.POST if posted else None, initial={"done_on": timezone.localdate()})
    if posted and form.is_valid():
        try:
            services.task_close(actor=user, task=task, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        else:
            messages.success(request, "任务已完成")
            return redirect("rectification:finding_detail", pk=finding.pk)
    return _small_form(request, finding, form, f"完成任务:{task.title}", "完成任务")


@capability_required(Capability.RECTIFICATION_EDIT)
@require_http_methods(["GET", "POST"])
def reviewers_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    finding = finding_get_for_user(user, pk)
    form = ReviewersForm(request.POST if request.method == "POST" else None, finding=finding)
    if request.method == "POST" and form.is_valid():
        try:
            services.reviewers_add(
                actor=user,
                finding=finding,
                reviewers=form.cleaned_data["reviewers"],
                unit=form.cleaned_data["unit"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "联审人已指定")
            return redirect("rectification:finding_detail", pk=finding.pk)
    return _small_form(request, finding, form, "指定联审人", "保存")


@capability_required(Capability.RECTIFICATION_VIEW)
@require_POST
def review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A named reviewer signs off or sends the finding back (with a reason)."""
    user = request.user
    finding = finding_get_for_user(user, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == FindingReviewer.Decision.SIGNED:
                services.review_sign(actor=user, finding=finding)
                messages.success(request, "已签署同意销号")
            else:
                services.review_send_back(actor=user, finding=finding, reason=form.cleaned_data["reason"])
                messages.success(request, "已退回整改")
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("rectification:finding_detail", pk=finding.pk)
    return _small_form(request, finding, form, "联审", "提交")


@capability_required(Capability.RECTIFICATION_EDIT)
@require_POST
def finding_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    finding = finding_get_for_user(request.user, pk)
    try:
        services.finding_close(actor=request.user, finding=finding)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "问题已联审销号")
    return redirect("rectification:finding_detail", pk=finding.pk)


@capability_required(Capability.RECTIFICATION_EDIT)
@require_POST
def same_check(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """举一反三: run the finding's check over the account's subtree."""
    finding = finding_get_for_user(request.user, pk)
    try:
        result = services.same_check_run(actor=request.user, finding=finding)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        text = f"举一反三排查完成:{result.hits} 个村有同类问题,新登记 {result.filed} 个问题"
        if result.existing:
            text += f",{result.existing} 个此前已登记"
        messages.success(request, text)
    return redirect("rectification:finding_detail", pk=finding.pk)


@capability_required(Capability.RECTIFICATION_VIEW)
@require_GET
def evidence_file(request: AuthenticatedHttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    """A task's evidence, to accounts that may open the finding (404 otherwise). Never cached, never sniffed;
    a PDF is a download, an image shown inline."""
    finding = finding_get_for_user(request.user, pk)
    evidence = evidence_get(finding, evidence_pk)
    return attachment_response(
        evidence.file, name=f"finding-{finding.pk}-evidence-{evidence.pk}", missing="佐证材料文件不存在"
    )


# ---- the workbook import ---------------------------------------------------------------------------------


@capability_required(Capability.RECTIFICATION_EDIT)
@require_http_methods(["GET", "POST"])
def finding_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a findings list (问题清单) as an assessment delivers it: all rows or none, every error listed."""
    user = request.user
    form = ImportForm()
    result: imports.ImportResult | None = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if user.region is None:
            form.add_error(None, "您的账号还没有分配区划,不能导入。请联系管理员。")
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            folder = Path(settings.DATA_DIR) / "rectification" / "uploads"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{uuid.uuid4().hex}.xlsx"
            try:
                with path.open("wb") as out:
                    for chunk in upload.chunks():
                        out.write(chunk)
                result = imports.findings_import(path=path, actor=user, scope=user.region)
            finally:
                path.unlink(missing_ok=True)
    return render(
        request,
        "rectification/import.html",
        {"form": form, "result": result},
        status=400 if result is not None and not result.ok else 200,
    )


@capability_required(Capability.RECTIFICATION_EDIT)
@require_GET
def import_template(request: AuthenticatedHttpRequest) -> FileResponse:
    buf = io.BytesIO()
    imports.template_workbook(buf)
    buf.seek(0)
    return FileResponse(buf, as_attachment=True, filename="问题清单-导入模板.xlsx")
