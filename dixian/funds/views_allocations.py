"""Pages of allocations (资金下达), arrangements (资金安排) and the finance office's workbook import.

Every page is scoped: an allocation outside the account's subtree answers 404. Reading needs FUNDS_VIEW,
recording and importing FUNDS_EDIT (the finance office, docs/domain.md §22).
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.common.access import scope_by_region
from dixian.common.filters import (
    RegionChainField,
    choices_with_blank,
    dropped_notices,
    region_picker,
    resolve_region,
)
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.paging import paginate
from dixian.domain import funds as fd
from dixian.regions.models import Region

from .allocations import allocation_create, arrangement_create, arrangement_withdraw
from .forms_projects import AmountField
from .imports import funds_import, imports_dir, template_workbook
from .models import Arrangement, FundsImportBatch, Project
from .selectors_allocations import (
    allocation_get_for_user,
    allocation_list_totals,
    allocations_filtered,
    arrangements_of,
    with_arranged,
)

PAGE_SIZE = 50


# ---- the list --------------------------------------------------------------------------------------------


class AllocationFilterForm(forms.Form):
    year = forms.IntegerField(label="资金年度", required=False, min_value=2000, max_value=2100)
    level = forms.ChoiceField(
        label="资金级次", required=False, choices=choices_with_blank(list(fd.FUND_LEVELS.items()))
    )
    direct = forms.ChoiceField(
        label="直达资金", required=False, choices=[("", "全部"), ("1", "直达资金"), ("0", "非直达资金")]
    )
    region = RegionChainField(label="区划", required=False)


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def allocation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = AllocationFilterForm(request.GET or None)
    notices = dropped_notices(form) if form.is_bound else []
    data = form.cleaned_data if form.is_bound else {}
    region = resolve_region(user, data.get("region") or [], notices)
    direct = {"1": True, "0": False}.get(data.get("direct") or "")
    qs = allocations_filtered(
        user,
        year=data.get("year"),
        level=data.get("level") or "",
        prefix=region.prefix if region is not None else None,
        direct=direct,
    )
    page = paginate(
        with_arranged(qs).select_related("region").order_by("-year", "region_code", "-doc_date", "-pk"),
        request.GET.get("page"),
        per_page=PAGE_SIZE,
    )
    issued, arranged, rate = allocation_list_totals(qs)
    query = urlencode(
        [
            (k, v)
            for k, v in (
                ("year", data.get("year") or ""),
                ("level", data.get("level") or ""),
                ("direct", data.get("direct") or ""),
                ("region", region.pk if region is not None else ""),
            )
            if v != ""
        ]
    )
    return render(
        request,
        "funds/allocation_list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "notices": notices,
            "picker": region_picker(user, region),
            "issued": issued,
            "arranged": arranged,
            "rate": rate,
            "can_edit": user_can(user, Capability.FUNDS_EDIT),
        },
    )


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def allocation_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    allocation = allocation_get_for_user(request.user, pk)
    arranged: Decimal = allocation.arranged  # type: ignore[attr-defined]  # annotated by with_arranged
    return render(
        request,
        "funds/allocation_detail.html",
        {
            "allocation": allocation,
            "arrangements": list(arrangements_of(allocation)),
            "arranged": arranged,
            "remaining": allocation.amount - arranged,
            "rate": fd.share(arranged, allocation.amount),
            "can_edit": user_can(request.user, Capability.FUNDS_EDIT),
        },
    )


# ---- recording -------------------------------------------------------------------------------------------


# A browser's date picker takes only ISO dates: without the format a default date (the arrangement's today)
# is rendered in the locale's "2026/12/07", which the picker drops, leaving a required field blank.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AllocationForm(forms.Form):
    year = forms.IntegerField(label="资金年度", min_value=2012, max_value=2100)
    level = forms.ChoiceField(label="资金级次", choices=list(fd.FUND_LEVELS.items()))
    doc_no = forms.CharField(label="下达文号", max_length=100)
    doc_date = forms.DateField(label="下达日期", widget=DATE_INPUT)
    region = forms.ModelChoiceField(label="接收单位", queryset=Region.objects.none())
    amount = AmountField(label="下达金额(元)", help_text="如 1,234.50,精确到分")
    purpose = forms.CharField(label="资金用途", max_length=200, required=False)
    direct = forms.BooleanField(label="直达资金", required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        # The receiving units the office may record: its own unit and the counties and townships below it.
        field.queryset = scope_by_region(
            user,
            Region.objects.filter(level__in=("city", "county", "township"), retired_on__isnull=True),
            field="code",
        ).order_by("code")


@capability_required(Capability.FUNDS_EDIT)
def allocation_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = AllocationForm(
        request.POST or None, user=user, initial={"year": timezone.localdate().year, "region": user.region_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            allocation = allocation_create(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("funds:allocation_detail", pk=allocation.pk)
    return render(request, "funds/allocation_form.html", {"form": form, "title": "登记资金下达"})


class ArrangementForm(forms.Form):
    project_code = forms.CharField(label="项目编号", max_length=40)
    amount = AmountField(label="安排金额(元)", help_text="如 1,234.50,精确到分")
    arranged_on = forms.DateField(label="安排日期", widget=DATE_INPUT)


@capability_required(Capability.FUNDS_EDIT)
def arrangement_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    allocation = allocation_get_for_user(user, pk)
    form = ArrangementForm(request.POST or None, initial={"arranged_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["project_code"].strip()
        project = scope_by_region(user, Project.objects.filter(code=code)).first()
        if project is None:
            form.add_error("project_code", f"在您的管辖范围内找不到项目编号「{code}」,请核对")
        else:
            try:
                arrangement_create(
                    actor=user,
                    allocation=allocation,
                    project=project,
                    amount=form.cleaned_data["amount"],
                    arranged_on=form.cleaned_data["arranged_on"],
                )
            except ValidationError as exc:
                # The service names the project "project"; this form asks for it by its code.
                if hasattr(exc, "error_dict") and "project" in exc.error_dict:
                    form.add_error("project_code", exc.error_dict.pop("project"))
                add_service_errors(form, exc)
            else:
                return redirect("funds:allocation_detail", pk=allocation.pk)
    return render(
        request,
        "funds/allocation_form.html",
        {
            "form": form,
            "title": f"资金安排:{allocation.doc_no}",
            "allocation": allocation,
            "remaining": allocation.amount - allocation.arranged,  # type: ignore[attr-defined]  # with_arranged
        },
    )


@capability_required(Capability.FUNDS_EDIT)
@require_POST
def arrangement_withdraw_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """撤回 an arrangement (docs/domain.md §22): before a project with money arranged may be objected to,
    rejected or returned, the finance office takes the money back; refused once the project has paid."""
    arrangement = (
        scope_by_region(request.user, Arrangement.objects.select_related("allocation", "project"))
        .filter(pk=pk)
        .first()
    )
    if arrangement is None:
        raise Http404("资金安排不存在或不在您的管辖范围内")
    try:
        arrangement_withdraw(actor=request.user, arrangement=arrangement)
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    else:
        messages.success(
            request, f"已撤回安排到项目「{arrangement.project.code}」的 {arrangement.amount:,.2f} 元"
        )
    return redirect("funds:allocation_detail", pk=arrangement.allocation_id)


# ---- the workbook import ---------------------------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(
        label="导入文件", help_text="Excel 工作簿(.xlsx),含资金下达、项目、资金安排、资金支付表"
    )

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        name = f.name or ""
        if not name.lower().endswith(".xlsx"):
            raise forms.ValidationError(
                f"「{name}」不是 .xlsx 文件。请用 Excel 或 WPS 另存为 Excel 工作簿(.xlsx)再上传"
            )
        if f.size > settings.DIXIAN_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"文件大小为 {filesizeformat(f.size)},超过了 {filesizeformat(settings.DIXIAN_MAX_UPLOAD_BYTES)} 的上限"
            )
        return f


def batches_for_user(user: Any) -> QuerySet[FundsImportBatch]:
    """The import batches within the account's subtree."""
    return scope_by_region(user, FundsImportBatch.objects.select_related("uploaded_by"))


@capability_required(Capability.FUNDS_EDIT)
def import_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = UploadForm()
    batch: FundsImportBatch | None = None
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if user.region is None:
            form.add_error(None, "您的账号还没有分配区划,不能导入。请联系管理员。")
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            folder = imports_dir() / "uploads"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{uuid.uuid4().hex}.xlsx"
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            # Run in the request: the book's rows are checked set-based (100,000 payments in seconds,
            # docs/benchmarks.md), and the clerk waits for the verdict on the same page.
            batch = funds_import(path=path, actor=user, scope=user.region, file_name=Path(upload.name).name)
    return render(
        request,
        "funds/allocation_import.html",
        {
            "form": form,
            "batch": batch,
            "batches": batches_for_user(user).order_by("-created_at")[:20],
        },
    )


@capability_required(Capability.FUNDS_EDIT)
def import_report(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    batch = batches_for_user(request.user).filter(pk=pk).first()
    if batch is None or not batch.report_file:
        raise Http404("导入批次不存在、不在您的管辖范围内,或没有错误报告")
    root = imports_dir().resolve()
    path = (Path(settings.DATA_DIR) / batch.report_file).resolve()
    if root not in path.parents or not path.exists():
        raise Http404("错误报告文件已不存在,请重新导入")
    stem = Path(batch.file_name).stem or "资金导入"
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"{stem}-错误报告.xlsx")


@capability_required(Capability.FUNDS_EDIT)
@require_GET
def import_template(request: AuthenticatedHttpRequest) -> FileResponse:
    buf = io.BytesIO()
    template_workbook(buf)
    buf.seek(0)
    return FileResponse(buf, as_attachment=True, filename=f"资金导入模板-{dt.date.today():%Y}.xlsx")  # noqa: DTZ011 - a file name
