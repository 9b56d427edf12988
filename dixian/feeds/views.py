"""Department deliveries in the browser: upload, list, delivery page, error report, templates, catalogue,
and the page where a department account manages its API tokens.

Only accounts with Capability.FEEDS_UPLOAD (部门数据员, county/city administrators) use these pages (403
for others); a delivery is visible to accounts whose region contains the delivery's region, anyone else
gets 404.
"""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.views.decorators.http import require_GET

from dixian.accounts.capabilities import Capability, capability_required
from dixian.common.access import may_view_pii, region_range_q
from dixian.common.filters import RegionChainField, resolve_region
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.masking import text_shown
from dixian.common.paging import paginate_exact
from dixian.domain import catalogue

from . import services
from .models import FeedDelivery
from .selectors import (
    deliveries_for_user,
    delivery_get_for_user,
    delivery_screening_job,
    tokens_for_user,
)
from .workbooks import template_workbook

PAGE_SIZE = 30
PERIOD_RE = re.compile(r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$")
UPLOAD_SUFFIXES = (".xlsx", ".xls", ".csv")


def _default_period() -> str:
    today = timezone.localdate()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year}-{month:02d}"


class UploadForm(forms.Form):
    feed = forms.ChoiceField(
        label="数据类型",
        choices=[("", "请选择")] + [(f.code, f"{f.department} · {f.name}") for f in catalogue.FEEDS],
        error_messages={"required": "请选择数据类型", "invalid_choice": "请选择列表中的数据类型"},
    )
    period = forms.CharField(
        label="数据期间",
        max_length=7,
        help_text="年-月,如 2026-10",
        error_messages={"required": "请填写数据期间,如 2026-10"},
    )
    file = forms.FileField(
        label="数据文件",
        error_messages={"required": "请选择要上传的文件", "empty": "上传的文件是空的(0 字节),请重新选择"},
    )

    def __init__(self, *args: Any, feeds: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if feeds is not None:
            # Only the feeds the account is responsible for (docs/security.md §3); the service checks again.
            field = self.fields["feed"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", "请选择")] + [
                (f.code, f"{f.department} · {f.name}") for f in catalogue.FEEDS if f.code in feeds
            ]
            field.error_messages["invalid_choice"] = "您的账号不负责这类数据,请选择列表中的数据类型"

    def clean_period(self) -> str:
        try:
            return services.period_validate(self.cleaned_data["period"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages[0]) from None

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        name = f.name or ""
        if not name.lower().endswith(UPLOAD_SUFFIXES):
            raise forms.ValidationError(f"「{name}」不是 .xlsx、.xls 或 .csv 文件,请另存为其中一种格式再上传")
        limit = settings.DIXIAN_MAX_UPLOAD_BYTES
        if f.size > limit:
            raise forms.ValidationError(
                f"文件大小为 {filesizeformat(f.size)},超过了 {filesizeformat(limit)} 的上限,请分成几个文件报送"
            )
        if f.size == 0:
            raise forms.ValidationError("上传的文件是空的(0 字节),请重新选择")
        return f


def _upload_to_disk(upload: Any) -> Path:
    folder = services.deliveries_dir() / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{Path(upload.name or '').suffix.lower()[:8]}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


ERRORS_SHOWN = 200  # of the errors kept on a delivery (the push API lists up to 1,000)


def _shown_errors(user: Any, delivery: FeedDelivery) -> list[dict[str, Any]]:
    """The first errors; ID and phone numbers quoted in them are masked unless the viewer sent the delivery
    or may see personal data in full."""
    errors = list(delivery.errors[:ERRORS_SHOWN])
    if delivery.source_id == user.pk:
        return errors
    pii = may_view_pii(user)
    return [{**e, "message": text_shown(str(e.get("message", "")), pii=pii)} for e in errors]


def _may_download_report(user: Any, delivery: FeedDelivery) -> bool:
    return bool(delivery.report_file) and (delivery.source_id == user.pk or may_view_pii(user))


@capability_required(Capability.FEEDS_UPLOAD)
def upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    allowed = services.feeds_permitted(request.user)
    form = UploadForm(
        initial={"period": _default_period(), "feed": request.GET.get("feed", "")}, feeds=allowed
    )
    delivery = None
    created = False
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, feeds=allowed)
        if request.user.region_id is None:
            form.add_error(None, "您的账号还没有分配区划,不能报送数据。请联系管理员。")
        elif form.is_valid():
            upload_file = form.cleaned_data["file"]
            # Streamed to disk and read from there, never joined in memory (docs/security.md §2).
            stored = _upload_to_disk(upload_file)
            try:
                delivery, created = services.delivery_receive(
                    feed=form.cleaned_data["feed"],
                    period=form.cleaned_data["period"],
                    source=request.user,
                    region=request.user.region,  # type: ignore[arg-type]  # region_id is checked above
                    channel=FeedDelivery.Channel.UPLOAD,
                    file_name=Path(upload_file.name).name,
                    path=stored,
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages[0])
            finally:
                stored.unlink(missing_ok=True)
    context: dict[str, Any] = {
        "form": form,
        "delivery": delivery,
        "created": created,
        "max_bytes": settings.DIXIAN_MAX_UPLOAD_BYTES,
        "feeds": catalogue.FEEDS,
        "no_feeds_assigned": allowed == [],
    }
    if delivery is not None:
        context["errors"] = _shown_errors(request.user, delivery)
        context["may_download_report"] = _may_download_report(request.user, delivery)
    if request.htmx:
        return render(request, "feeds/partials/_upload_result.html", context)
    return render(request, "feeds/upload.html", context)


@capability_required(Capability.FEEDS_UPLOAD)
@require_GET
def delivery_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    qs = deliveries_for_user(request.user).order_by("-created_at", "-id")
    feed = request.GET.get("feed", "")
    if feed in catalogue.FEEDS_BY_CODE:
        qs = qs.filter(feed=feed)
    status = request.GET.get("status", "")
    if status in FeedDelivery.Status.values:
        qs = qs.filter(status=status)
    # The period and the unit a figure of the leaders' view links with (docs/domain.md §21).
    notices: list[str] = []
    period = request.GET.get("period", "").strip()
    if period and not PERIOD_RE.match(period):
        notices.append(f"数据期间“{period}”无法识别,应写成“年-月”(例如 2026-10),已忽略。")
        period = ""
    if period:
        qs = qs.filter(period=period)
    # The same reading of `region=<pk>` as every list's region picker (common/filters.py): ASCII digits of a
    # database id, anything else ignored with a notice.
    try:
        region_ids = RegionChainField(required=False).clean(request.GET.getlist("region"))
    except ValidationError:
        region_ids = []
        notices.append("所选区划不在您的管辖范围内,已忽略。")
    region = resolve_region(request.user, region_ids, notices)
    if region is not None:
        qs = qs.filter(region_range_q(region.prefix, "region__code"))
    page = paginate_exact(qs, request.GET.get("page"), per_page=PAGE_SIZE)
    query = {"feed": feed, "status": status, "period": period}
    if region is not None:
        query["region"] = str(region.pk)
    return render(
        request,
        "feeds/delivery_list.html",
        {
            "page": page,
            "feeds": catalogue.FEEDS,
            "statuses": FeedDelivery.Status.choices,
            "feed": feed,
            "status": status,
            "period": period,
            "region": region,
            "notices": notices,
            "query": urlencode(query),
        },
    )


@capability_required(Capability.FEEDS_UPLOAD)
@require_GET
def delivery_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    delivery = delivery_get_for_user(request.user, pk)
    context = {
        "delivery": delivery,
        "errors": _shown_errors(request.user, delivery),
        "may_download_report": _may_download_report(request.user, delivery),
        "job": delivery_screening_job(delivery),
        "spec": delivery.feed_spec,
    }
    return render(request, "feeds/delivery_detail.html", context)


@capability_required(Capability.FEEDS_UPLOAD)
@require_GET
def delivery_report(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    delivery = delivery_get_for_user(request.user, pk)
    report = delivery.report_path  # None when the delivery has no report file
    if report is None:
        raise Http404("该报送没有错误报告")
    # The report repeats the delivered rows, full ID numbers included: the sender may have it back,
    # anyone else only with the right to see personal information in full.
    if not _may_download_report(request.user, delivery):
        raise PermissionDenied("错误报告含有完整的证件号码,只有报送人或有权查看完整个人信息的账号可以下载。")
    root = services.deliveries_dir().resolve()
    path = report.resolve()
    if root not in path.parents or not path.exists():
        raise Http404("错误报告文件已不存在")
    stem = Path(delivery.file_name).stem or f"{delivery.feed_spec.name}{delivery.period}"
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"{stem}-错误报告.xlsx")


@capability_required(Capability.FEEDS_UPLOAD)
@require_GET
def template_download(request: AuthenticatedHttpRequest) -> FileResponse:
    code = request.GET.get("feed", "")
    if code not in catalogue.FEEDS_BY_CODE:
        raise Http404("没有这种数据类型")
    spec = catalogue.feed(code)
    buf = io.BytesIO()
    template_workbook(spec, buf)
    buf.seek(0)
    return FileResponse(buf, as_attachment=True, filename=f"{spec.department}{spec.name}报送模板.xlsx")


@capability_required(Capability.FEEDS_UPLOAD)
@require_GET
def catalogue_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "feeds/catalogue.html", {"feeds": catalogue.FEEDS})


@capability_required(Capability.FEEDS_UPLOAD)
def tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    new_key = None
    error = ""
    if request.method == "POST":
        if "revoke" in request.POST:
            token = tokens_for_user(request.user).filter(pk=_int(request.POST.get("revoke"))).first()
            if token is None:
                raise Http404("令牌不存在")
            services.api_token_revoke(token=token, actor=request.user)
            messages.success(request, f"已停用令牌“{token.name}”,使用它的系统将无法再推送数据。")
            return redirect("feeds:tokens")
        try:
            token, new_key = services.api_token_create(
                user=request.user, name=request.POST.get("name", ""), actor=request.user
            )
        except ValidationError as exc:
            error = exc.messages[0]
    return render(
        request,
        "feeds/tokens.html",
        {"tokens": tokens_for_user(request.user), "new_key": new_key, "error": error},
    )


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
