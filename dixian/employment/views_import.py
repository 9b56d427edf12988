"""The survey workbook page (docs/domain.md §23): upload a 摸排表, see the verdict, download the error report
and the blank template. Guarded by EMPLOYMENT_SURVEY; the import's scope is the account's region."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.views.decorators.http import require_GET

from dixian.accounts.capabilities import Capability, capability_required
from dixian.common.access import may_view_pii, scope_by_region
from dixian.common.http import AuthenticatedHttpRequest
from dixian.domain import employment as e
from dixian.domain.dictionaries import ParseError

from .imports import imports_dir, survey_import, template_workbook
from .models import SurveyImport

RECENT = 20


class UploadForm(forms.Form):
    file = forms.FileField(label="摸排表", help_text="Excel 工作簿(.xlsx),每行一名劳动力一个月的摸排情况")
    month = forms.CharField(
        label="摸排月份",
        required=False,
        max_length=20,
        help_text="整本表同一月份时填写,如 2026-10;表中“摸排月份”列填写了的行以表中为准",
        widget=forms.TextInput(attrs={"placeholder": "2026-10", "inputmode": "numeric"}),
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

    def clean_month(self) -> dt.date | None:
        raw = (self.cleaned_data.get("month") or "").strip()
        if not raw:
            return None
        try:
            return e.month_parse(raw)
        except ParseError as exc:
            raise forms.ValidationError(str(exc)) from None


def imports_for_user(user: Any) -> QuerySet[SurveyImport]:
    """The survey imports within the account's subtree."""
    return scope_by_region(user, SurveyImport.objects.select_related("uploaded_by"))


@capability_required(Capability.EMPLOYMENT_SURVEY)
def import_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = UploadForm()
    batch: SurveyImport | None = None
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if user.region is None:
            form.add_error(None, "您的账号还没有分配区划,不能导入。请联系管理员。")
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            folder = imports_dir() / "uploads"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{uuid.uuid4().hex}.xlsx"
            try:
                with path.open("wb") as out:
                    for chunk in upload.chunks():
                        out.write(chunk)
                # In the request: 100,000 rows take a few seconds (docs/benchmarks.md), and the village
                # waits for the verdict on the same page.
                batch = survey_import(
                    path=path,
                    actor=user,
                    scope=user.region,
                    file_name=Path(upload.name).name,
                    month=form.cleaned_data["month"],
                )
            finally:
                path.unlink(missing_ok=True)
    return render(
        request,
        "employment/import.html",
        {
            "form": form,
            "batch": batch,
            "batches": imports_for_user(user).order_by("-created_at")[:RECENT],
            "this_month": e.month_key(timezone.localdate().replace(day=1)),
        },
    )


@capability_required(Capability.EMPLOYMENT_SURVEY)
@require_GET
def import_report(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    batch = imports_for_user(request.user).filter(pk=pk).first()
    if batch is None or not batch.report_file:
        raise Http404("导入记录不存在、不在您的管辖范围内,或没有错误报告")
    # The report is the uploaded book itself, with full ID numbers, workplaces and wages: its uploader may
    # have it back, anyone else only with the personal-data right (as the registry's, docs/security.md §1).
    if batch.uploaded_by_id != request.user.pk and not may_view_pii(request.user):
        raise PermissionDenied(
            "错误报告含有完整的证件号码和务工信息,只有上传人或有权查看完整个人信息的账号可以下载。"
        )
    root = imports_dir().resolve()
    path = (Path(settings.DATA_DIR) / batch.report_file).resolve()
    if root not in path.parents or not path.exists():
        raise Http404("错误报告文件已不存在,请重新导入")
    stem = Path(batch.file_name).stem or "摸排表"
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"{stem}-错误报告.xlsx")


@capability_required(Capability.EMPLOYMENT_SURVEY)
@require_GET
def import_template(request: AuthenticatedHttpRequest) -> FileResponse:
    buf = io.BytesIO()
    template_workbook(buf)
    buf.seek(0)
    return FileResponse(buf, as_attachment=True, filename="就业信息摸排表-导入模板.xlsx")
