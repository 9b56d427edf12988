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
from dixian.common.masking import mask_numbers, text_shown  # noqa: F401
from dixian.common.models import Job

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
        "batch": batch,
        "job": _job_of(batch),
        "sample": ERROR_SAMPLE,
        "may_download_report": may_see_cells,
    }
    if request.htmx:
        return render(request, "registry/import_status.html", context)
    return render(request, "registry/import_batch.html", context)


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
    root = imports_dir().resolve()
    path = (Path(settings.DATA_DIR) / batch.report_file).resolve()
    if root not in path.parents or not path.exists():
        raise Http404("错误报告文件已不存在,请重新导入")
    stem = Path(batch.file_name).stem or "导入文件"
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"{stem}-错误报告.xlsx")


@capability_required(Capability.REGISTRY_EDIT)
def import_template(request: AuthenticatedHttpRequest) -> FileResponse:
    buf = io.BytesIO()
    template_workbook(buf)
    buf.seek(0)
    return FileResponse(buf, as_attachment=True, filename="农户信息导入模板.xlsx")
