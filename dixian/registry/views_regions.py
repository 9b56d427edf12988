"""The city administrator's page for the statistical division code table (docs/domain.md §19): upload
the table, read what it would change (a dry run), confirm to apply.

The uploaded file is kept under DATA_DIR/region_tables/ between the dry run and the confirmation, named
in the session only (never by the form), and the confirmation applies the plan only if it is still the
one shown (its fingerprint): a tree or file changed in between asks for a new dry run. A city's part is a
few thousand units, so the apply runs in the request, in one transaction.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_http_methods

from dixian.accounts.capabilities import Capability, capability_required
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.uploads import UploadRefused
from dixian.regions.loading import RegionTableError

from .region_table import RegionImportReport, RegionTablePlanChanged, regions_import

SESSION_KEY = "region_table_upload"
SUFFIXES = (".xlsx", ".xls", ".csv")
SHOWN = 200
STALE_SECONDS = 24 * 3600  # units listed by name in each part of the report


class RegionTableForm(forms.Form):
    file = forms.FileField(
        label="统计用区划代码表",
        error_messages={
            "required": "请选择要上传的代码表文件(.xlsx、.xls 或 .csv)",
            "empty": "上传的文件是空的(0 字节),请重新选择",
        },
    )

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        name = f.name or ""
        if not name.lower().endswith(SUFFIXES):
            raise forms.ValidationError(
                f"「{name}」不是 .xlsx、.xls 或 .csv 文件。请上传国家统计局统计用区划代码表的 Excel 或 CSV 文件"
            )
        limit = settings.DIXIAN_MAX_UPLOAD_BYTES
        if f.size > limit:
            raise forms.ValidationError(
                f"文件大小为 {filesizeformat(f.size)},超过了 {filesizeformat(limit)} 的上限。请只保留本省的部分后再上传"
            )
        return f


def _folder() -> Path:
    path = Path(settings.DATA_DIR) / "region_tables"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _purge_stale() -> None:
    """Uploads never confirmed (a session that ended) are removed a day later, at the next upload."""
    cutoff = time.time() - STALE_SECONDS
    for old in _folder().iterdir():
        if old.is_file() and old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)


def _stored(request: AuthenticatedHttpRequest) -> tuple[Path, dict[str, str]] | None:
    entry = request.session.get(SESSION_KEY)
    if not isinstance(entry, dict):
        return None
    stored = str(entry.get("stored", ""))
    if not (len(stored) == 32 + len(Path(stored).suffix) and Path(stored).suffix in SUFFIXES):
        return None
    path = _folder() / Path(stored).name
    return (path, entry) if path.is_file() else None


def _forget(request: AuthenticatedHttpRequest) -> None:
    found = _stored(request)
    if found is not None:
        found[0].unlink(missing_ok=True)
    request.session.pop(SESSION_KEY, None)


def _page(
    request: AuthenticatedHttpRequest, form: RegionTableForm, report: RegionImportReport | None = None
) -> HttpResponse:
    return render(
        request,
        "registry/regions_import.html",
        {
            "form": form,
            "report": report,
            "shown": SHOWN,
            "max_bytes": settings.DIXIAN_MAX_UPLOAD_BYTES,
        },
    )


@capability_required(Capability.REGIONS_MANAGE)
@require_http_methods(["GET", "POST"])
def regions_import_page(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    if request.method == "GET":
        return _page(request, RegionTableForm())
    if request.POST.get("action") == "apply":
        return _apply(request)
    _forget(request)
    _purge_stale()
    form = RegionTableForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form)
    upload = form.cleaned_data["file"]
    suffix = Path(upload.name).suffix.lower()
    path = _folder() / f"{uuid.uuid4().hex}{suffix}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    file_name = Path(upload.name).name[:120]
    try:
        report = regions_import(path, file_name=file_name, actor=request.user, apply=False)
    except (UploadRefused, RegionTableError) as exc:
        path.unlink(missing_ok=True)
        form.add_error("file", str(exc))
        return _page(request, form)
    if report.refused or not report.plan.changes:
        path.unlink(missing_ok=True)
    else:
        request.session[SESSION_KEY] = {
            "stored": path.name,
            "file_name": file_name,
            "fingerprint": report.plan.fingerprint(),
        }
    return _page(request, RegionTableForm(), report)


def _apply(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    found = _stored(request)
    if found is None:
        messages.error(request, "没有待确认的代码表(可能已经导入或已过期),请重新上传。")
        return redirect("registry:regions_import")
    path, entry = found
    try:
        report = regions_import(
            path,
            file_name=entry["file_name"],
            actor=request.user,
            apply=True,
            expected=entry["fingerprint"],
        )
    except RegionTablePlanChanged:
        _forget(request)
        messages.error(
            request, "预览之后系统中的区划已有变动,未做任何修改。请重新上传代码表,核对新的预览后再确认。"
        )
        return redirect("registry:regions_import")
    except (UploadRefused, RegionTableError) as exc:
        _forget(request)
        messages.error(request, f"未做任何修改:{exc}")
        return redirect("registry:regions_import")
    _forget(request)
    if report.applied:
        messages.success(request, "代码表已导入:" + report.summary()[1])
    return _page(request, RegionTableForm(), report)
