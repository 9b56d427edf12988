"""The registry import pages: upload a workbook, follow the background job, read the outcome.

Only registry editors (city/county/township/village staff) may import; 领导, 帮扶干部 and 部门数据员 get
403. A batch, and its error report, is visible to its uploader and to editors whose region contains the
batch's region; anyone else gets 404.
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat

from dixian.accounts.capabilities import Capability, capability_required
from dixian.common.access import may_view_pii, region_range_q
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.jobs import job_enqueue

# mask_numbers is imported by test_import_web, which checks the masked reasons through this module.
from dixian.common.masking import health_shown, mask_numbers, text_shown  # noqa: F401
from dixian.common.models import Job
from dixian.domain import finding_rules

from .findings import FINDING_SAMPLE
from .imports import ERROR_SAMPLE, imports_dir, sha256_file, template_workbook
from .models import ImportBatch

JOB_KIND = "registry_import"
XLSX_SIGNATURE = b"PK\x03\x04"


def batches_for_user(user: Any) -> QuerySet[ImportBatch]:
    """The batches an editor may see: their own, and those of regions inside their subtree."""
    mine = Q(uploaded_by=user)
    if user.region_id is not None:
        mine |= region_range_q(user.region.prefix, "region__code")
    return ImportBatch.objects.filter(mine).select_related("region", "uploaded_by")


def _batch_for_user(user: Any, pk: int) -> ImportBatch:
    try:
        return batches_for_user(user).get(pk=pk)
    except ImportBatch.DoesNotExist:
        raise Http404("导入批次不存在或不在您的管辖范围内") from None


class UploadForm(forms.Form):
    file = forms.FileField(
        label="导入文件",
        help_text="Excel 工作簿(.xlsx)或 CSV 文件(UTF-8 或 GBK 编码),每人一行",
        error_messages={
            "required": "请选择要导入的 .xlsx 或 .csv 文件",
            "empty": "上传的文件是空的(0 字节),请重新选择",
        },
    )

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        name = f.name or ""
        if not name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(
                f"「{name}」不是 .xlsx 或 .csv 文件。请用 Excel 或 WPS 打开后“另存为” Excel 工作簿(.xlsx)再上传"
            )
        limit = settings.DIXIAN_MAX_UPLOAD_BYTES
        if f.size > limit:
            raise forms.ValidationError(
                f"文件大小为 {filesizeformat(f.size)},超过了 {filesizeformat(limit)} 的上限,请分成几个文件导入"
            )
        if f.size == 0:
            raise forms.ValidationError("上传的文件是空的(0 字节),请重新选择")
        head = f.read(4)
        f.seek(0)
        if name.lower().endswith(".xlsx") and head != XLSX_SIGNATURE:
            raise forms.ValidationError(
                f"「{name}」的内容不是 Excel 工作簿,可能只是改了扩展名。请另存为 .xlsx 后再上传"
            )
        return f


@capability_required(Capability.REGISTRY_EDIT)
def import_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = UploadForm()
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if request.user.region_id is None:
            form.add_error(None, "您的账号还没有分配区划,不能导入。请联系管理员。")
        elif form.is_valid():
            batch = _store_upload(request, form.cleaned_data["file"])
            return redirect("registry:import_batch", pk=batch.pk)
    batches = batches_for_user(request.user).order_by("-created_at")[:20]
    return render(
        request,
        "registry/import.html",
        {"form": form, "batches": batches, "max_bytes": settings.DIXIAN_MAX_UPLOAD_BYTES},
    )


def _store_upload(request: AuthenticatedHttpRequest, upload: Any) -> ImportBatch:
    folder = imports_dir() / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".csv" if (upload.name or "").lower().endswith(".csv") else ".xlsx"
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    batch = ImportBatch.objects.create(  # type: ignore[misc]  # region: import_page lets only accounts with one get here
        file_name=Path(upload.name).name[:255],
        stored_file=str(path.relative_to(Path(settings.DATA_DIR))),
        checksum=sha256_file(path),
        uploaded_by=request.user,
        region=request.user.region,
    )
    job_enqueue(
        kind=JOB_KIND, owner=request.user, params={"batch_id": batch.pk, "title": f"导入 {batch.file_name}"}
    )
    return batch


def _job_of(batch: ImportBatch) -> Job | None:
    return Job.objects.filter(kind=JOB_KIND, params__batch_id=batch.pk).order_by("-id").first()


@capability_required(Capability.REGISTRY_EDIT)
def import_batch(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for_user(request.user, pk)
    # The uploader sees its own cells again; anyone else as the personal-data right allows.
    may_see_cells = batch.uploaded_by_id == request.user.pk or may_view_pii(request.user)
    errors = (
        batch.errors
        if may_see_cells
        else [{**e, "reason": text_shown(e.get("reason", ""), pii=False)} for e in batch.errors]
    )
    context = {
        "errors": errors,
        "findings": _findings_shown(batch, pii=may_see_cells),
        "finding_sample": FINDING_SAMPLE,
        "batch": batch,
        "job": _job_of(batch),
        "sample": ERROR_SAMPLE,
        "may_download_report": may_see_cells,
    }
    if request.htmx:
        return render(request, "registry/import_status.html", context)
    return render(request, "registry/import_batch.html", context)


def _findings_shown(batch: ImportBatch, *, pii: bool) -> dict[str, Any]:
    """The findings' counts and first rows as the viewer may read them (health findings hidden and numbers
    masked without the right, as on the household page: docs/security.md §1)."""
    summary = batch.findings or {}
    sample = []
    for f in summary.get("sample", []):
        health = f.get("code") in finding_rules.HEALTH_CODES
        reason = f.get("reason", "")
        sample.append(
            {
                **f,
                "label": health_shown(f.get("label", ""), pii=pii) if health else f.get("label", ""),
                "column": health_shown(f.get("column", ""), pii=pii) if health else f.get("column", ""),
                "reason": health_shown(reason, pii=pii) if health else text_shown(reason, pii=pii),
            }
        )
    counts = [
        (health_shown(label, pii=pii) if code in finding_rules.HEALTH_CODES else label, n)
        for code, label, n in summary.get("counts", [])
    ]
    return {"counts": counts, "sample": sample}


@capability_required(Capability.REGISTRY_EDIT)
def import_findings(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """The sheet of every finding of an imported file (names and household numbers, no ID number)."""
    batch = _batch_for_user(request.user, pk)
    if not batch.findings_file:
        raise Http404("该批次没有疑点清单")
    if batch.uploaded_by_id != request.user.pk and not may_view_pii(request.user):
        raise PermissionDenied("疑点清单含有姓名和健康信息,只有上传人或有权查看完整个人信息的账号可以下载。")
    return _report_file(batch.findings_file, batch.file_name, "疑点清单")


def _report_file(stored: str, file_name: str, what: str) -> FileResponse:
    root = imports_dir().resolve()
    path = (Path(settings.DATA_DIR) / stored).resolve()
    if root not in path.parents or not path.exists():
        raise Http404(f"{what}文件已不存在,请重新导入")
    stem = Path(file_name).stem or "导入文件"
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"{stem}-{what}.xlsx")


@capability_required(Capability.REGISTRY_EDIT)
def import_report(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    batch = _batch_for_user(request.user, pk)
    if not batch.report_file:
        raise Http404("该批次没有错误报告")
    # The report is the uploaded workbook itself, with full ID numbers and phones: its uploader may have
    # it back, anyone else only with the right to see personal information in full.
    if batch.uploaded_by_id != request.user.pk and not may_view_pii(request.user):
        raise PermissionDenied(
            "错误报告含有完整的证件号码和电话,只有上传人或有权查看完整个人信息的账号可以下载。"
        )
    return _report_file(batch.report_file, batch.file_name, "错误报告")


@capability_required(Capability.REGISTRY_EDIT)
def import_template(request: AuthenticatedHttpRequest) -> FileResponse:
    buf = io.BytesIO()
    template_workbook(buf)
    buf.seek(0)
    return FileResponse(buf, as_attachment=True, filename="农户信息导入模板.xlsx")
