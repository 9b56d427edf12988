"""Pages of the living-environment ledger (docs/domain.md §27): the ledger of a unit's villages, a village's
year, the township's weekly form (phone-sized, htmx), the weekly dispatch (周调度) and its .xlsx, the monthly
通报 (.docx, .xlsx) and the environment fund's projects.

A unit is asked as `?region=<12-digit code>` (the account's own by default); outside the account's subtree it
answers 404 like a code that exists nowhere. Every write goes through services.py.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.common.access import region_range_q
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.paging import paginate_exact
from dixian.common.spreadsheets import Sheet, export_workbook
from dixian.regions.models import Region

from . import bulletin as bl
from . import figures as fg
from . import services
from .forms import PlanForm, ProjectTagForm, WeeklyRowForm
from .models import EnvironmentPlan, WeeklyReport
from .selectors import (
    NoRegion,
    project_link_get,
    projects_for_user,
    region_of_level,
    townships_for_user,
    unit_for_user,
    villages_for_user,
)
from .validation import FIELD_LABELS, Figures, week_label, week_monday, week_parse

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _week(raw: str, notices: list[str]) -> dt.date:
    """The week asked (`2026-W42` or a date); the current one when blank, unknown or still to come."""
    current = week_monday(timezone.localdate())
    if not (raw or "").strip():
        return current
    monday = week_parse(raw)
    if monday is None:
        notices.append(f"周次“{raw[:12]}”无法识别,已显示本周。")
        return current
    if monday > current:
        notices.append(f"{week_label(monday)}尚未开始,已显示本周。")
        return current
    return monday


def _no_region(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "environment/no_region.html", status=200)


def _attachment(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


# ---- the ledger: a unit's villages -----------------------------------------------------------------------


@capability_required(Capability.ENVIRONMENT_VIEW)
@require_GET
def ledger(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The unit's figures of the week and its villages, each with its plan and latest report of the year."""
    user = request.user
    try:
        unit = unit_for_user(user, request.GET.get("region", ""))
    except NoRegion:
        return _no_region(request)
    notices: list[str] = []
    monday = _week(request.GET.get("week", ""), notices)
    only_missing = request.GET.get("missing") == "1"
    total, _rows = fg.unit_figures(unit, monday, children=False)
    villages = (
        fg.missing_villages(unit.prefix, monday)
        if only_missing
        else villages_for_user(user, unit.prefix).order_by("code")
    )
    page = paginate_exact(villages, request.GET.get("page"), per_page=PAGE_SIZE)
    codes = [v.code for v in page.object_list]
    reports = {r.region_code: r for r in fg.latest_rows(unit.prefix, monday.year, monday, codes)}
    plans = {
        p.region_code: p for p in EnvironmentPlan.objects.filter(region_code__in=codes, year=monday.year)
    }
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    return render(
        request,
        "environment/ledger.html",
        {
            "unit": unit,
            "monday": monday,
            "week": week_label(monday),
            "sunday": monday + dt.timedelta(days=6),
            "deadline": services.deadline_of(monday),
            "notices": notices,
            "total": total,
            "page": page,
            "rows": [(v, plans.get(v.code), reports.get(v.code)) for v in page.object_list],
            "only_missing": only_missing,
            "query": query,
            "can_report": user_can(user, Capability.ENVIRONMENT_REPORT),
        },
    )


# ---- a village's year ------------------------------------------------------------------------------------


@capability_required(Capability.ENVIRONMENT_VIEW)
@require_GET
def village(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    from dixian.common.models import ChangeLog

    user = request.user
    place = region_of_level(user, code, Region.Level.VILLAGE)
    notices: list[str] = []
    monday = _week(request.GET.get("week", ""), notices)
    year = monday.year
    reports = list(WeeklyReport.objects.filter(region_code=place.code, year=year).order_by("-week"))
    corrections = list(
        ChangeLog.objects.filter(
            entity="env_weekly", entity_id__in=[r.pk for r in reports], action=ChangeLog.Action.UPDATE
        ).order_by("-at")[:100]
    )
    return render(
        request,
        "environment/village.html",
        {
            "village": place,
            "year": year,
            "plan": EnvironmentPlan.objects.filter(region_code=place.code, year=year).first(),
            "reports": reports,
            "corrections": corrections,
            "labels": FIELD_LABELS,
            "notices": notices,
            "can_report": user_can(user, Capability.ENVIRONMENT_REPORT),
        },
    )


@capability_required(Capability.ENVIRONMENT_REPORT)
@require_http_methods(["GET", "POST"])
def plan_edit(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = request.user
    place = region_of_level(user, code, Region.Level.VILLAGE)
    year = timezone.localdate().year
    plan = EnvironmentPlan.objects.filter(region_code=place.code, year=year).first()
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            try:
                services.plan_save(actor=user, village=place, year=year, data=form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"{place.name}{year}年计划已保存。")
                return redirect("environment:village", code=place.code)
    else:
        initial: dict[str, Any] = {
            "toilets_planned": 0,
            "natural_villages": services.groups_by_village(place.prefix).get(place.code, 0),
            "works_planned": 0,
        }
        if plan is not None:
            initial = {f: getattr(plan, f) for f in services.PLAN_FIELDS}
        form = PlanForm(initial=initial)
    return render(request, "environment/plan_form.html", {"village": place, "year": year, "form": form})


# ---- the township's weekly report --------------------------------------------------------------------------


@capability_required(Capability.ENVIRONMENT_REPORT)
@require_GET
def weekly_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A township's account goes straight to its form; a county's picks one of its townships."""
    user = request.user
    if user.region is not None and user.region.level == Region.Level.TOWNSHIP:
        return redirect("environment:weekly_form", code=user.region.code)
    monday = week_monday(timezone.localdate())
    townships = list(townships_for_user(user))
    missing = {t.code: 0 for t in townships}
    if townships:
        _total, rows = fg.unit_figures(user.region, monday) if user.region else (None, [])
        for r in rows:
            if r.region and r.region.code in missing:
                missing[r.region.code] = r.missing
    return render(
        request,
        "environment/weekly_start.html",
        {"townships": [(t, missing.get(t.code)) for t in townships], "week": week_label(monday)},
    )


def _row_forms(
    villages: list[Region], data: Any, prefill: dict[str, dict[str, Any]]
) -> list[tuple[Region, WeeklyRowForm]]:
    return [
        (
            v,
            WeeklyRowForm(data, prefix=v.code)
            if data is not None
            else WeeklyRowForm(initial=prefill.get(v.code, {}), prefix=v.code),
        )
        for v in villages
    ]


def weekly_prefill(township: Region, monday: dt.date) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Each village's figures to start from: the week's report, else its latest earlier report of the year
    (toilets upgraded start again at 0 in a new year); and where each came from (本周已报 / 上周 …)."""
    fields = (*FIELD_LABELS, "note")
    values: dict[str, dict[str, Any]] = {}
    source: dict[str, str] = {}
    this_week = WeeklyReport.objects.filter(region_range_q(township.prefix), week=monday)
    for r in this_week:
        values[r.region_code] = {f: getattr(r, f) for f in fields}
        source[r.region_code] = "本周已报" + ("(迟报)" if r.late else "")
    earlier = fg.latest_reports(township.prefix, monday.year, monday - dt.timedelta(days=7))
    for r in earlier.exclude(region_code__in=list(values)):
        values[r.region_code] = {f: getattr(r, f) for f in FIELD_LABELS}
        source[r.region_code] = f"按{week_label(r.week)}预填"
    if monday.isocalendar()[1] <= 2:  # a new year: the stocks of last year's last report, upgraded from 0
        for r in fg.latest_reports(
            township.prefix, monday.year - 1, dt.date(monday.year - 1, 12, 31)
        ).exclude(region_code__in=list(values)):
            values[r.region_code] = {f: getattr(r, f) for f in FIELD_LABELS} | {"toilets_upgraded": 0}
            source[r.region_code] = f"按上年{week_label(r.week)}预填"
    return values, source


@capability_required(Capability.ENVIRONMENT_REPORT)
@require_http_methods(["GET", "POST"])
def weekly_form(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The township's weekly form: one card per village, pre-filled, saved whole or not at all."""
    user = request.user
    township = region_of_level(user, code, Region.Level.TOWNSHIP)
    notices: list[str] = []
    raw_week = request.POST.get("week", "") if request.method == "POST" else request.GET.get("week", "")
    monday = week_parse(raw_week) if raw_week else week_monday(timezone.localdate())
    villages = services.villages_of(township)
    prefill, source = weekly_prefill(township, monday or week_monday(timezone.localdate()))
    refused: dict[str, dict[str, str]] = {}
    error = ""
    status = 200
    if monday is None:
        notices.append(f"周次“{raw_week[:12]}”无法识别,已显示本周。")
        monday = week_monday(timezone.localdate())
    if request.method == "POST":
        rows = _row_forms(villages, request.POST, prefill)
        if all(form.is_valid() for _v, form in rows):
            inputs = {
                v.code: services.RowInput(
                    figures=Figures(**{f: form.cleaned_data[f] for f in FIELD_LABELS}),
                    note=form.cleaned_data["note"],
                )
                for v, form in rows
            }
            try:
                result = services.weekly_file(actor=user, township=township, monday=monday, rows=inputs)
            except services.WeeklyRefused as exc:
                refused, error, status = exc.rows, exc.messages[0], 422
            except ValidationError as exc:
                error, status = exc.messages[0], 422
            else:
                text = (
                    f"{township.name}{week_label(monday)}周报已保存:新报{result.created}个村,"
                    f"更正{result.corrected}个村,无变化{result.unchanged}个村"
                    + ("。已过报送时限,记为迟报。" if result.late and result.created else "。")
                )
                messages.success(request, text)
                if request.htmx:
                    prefill, source = weekly_prefill(township, monday)
                    rows = _row_forms(villages, None, prefill)
                    return _weekly_render(request, township, monday, rows, source, {}, "", notices, text, 200)
                return redirect(
                    reverse("environment:weekly_form", args=[township.code]) + f"?week={week_label(monday)}"
                )
        else:
            error, status = "有村的数据填写不完整或格式不对,全部未保存;请按提示更正后重新提交", 422
        for v, form in rows:
            for field, reason in refused.get(v.code, {}).items():
                form.add_error(field if field in form.fields else None, reason)
    else:
        rows = _row_forms(villages, None, prefill)
    return _weekly_render(request, township, monday, rows, source, refused, error, notices, "", status)


def _weekly_render(
    request: AuthenticatedHttpRequest,
    township: Region,
    monday: dt.date,
    rows: list[tuple[Region, WeeklyRowForm]],
    source: dict[str, str],
    refused: dict[str, dict[str, str]],
    error: str,
    notices: list[str],
    saved: str,
    status: int,
) -> HttpResponse:
    current = week_monday(timezone.localdate())
    deadline = services.deadline_of(monday)
    context = {
        "township": township,
        "monday": monday,
        "sunday": monday + dt.timedelta(days=6),
        "week": week_label(monday),
        "previous_week": week_label(monday - dt.timedelta(days=7)),
        "next_week": week_label(monday + dt.timedelta(days=7)) if monday < current else "",
        "deadline": deadline,
        "past_deadline": services.now_local() > deadline,
        "future": monday > current,
        "rows": [(v, form, source.get(v.code, "")) for v, form in rows],
        "refused": refused,
        "error": error,
        "notices": notices,
        "saved": saved,
    }
    if request.htmx:
        # htmx swaps only 2xx answers: a refusal comes back as 200 with its reasons in the fragment.
        return render(request, "environment/partials/_weekly_form.html", context, status=200)
    return render(request, "environment/weekly_form.html", context, status=status)


# ---- the weekly dispatch -----------------------------------------------------------------------------------


def _dispatch(request: AuthenticatedHttpRequest) -> tuple[fg.Dispatch, list[str]]:
    unit = unit_for_user(request.user, request.GET.get("region", ""))
    notices: list[str] = []
    monday = _week(request.GET.get("week", ""), notices)
    return fg.dispatch(unit, monday), notices


@capability_required(Capability.ENVIRONMENT_VIEW)
@require_GET
def dispatch(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        d, notices = _dispatch(request)
    except NoRegion:
        return _no_region(request)
    missing = paginate_exact(
        fg.missing_villages(d.region.prefix, d.monday), request.GET.get("page"), per_page=PAGE_SIZE
    )
    return render(
        request,
        "environment/dispatch.html",
        {
            "d": d,
            "week": week_label(d.monday),
            "previous_week": week_label(d.monday - dt.timedelta(days=7)),
            "sunday": d.monday + dt.timedelta(days=6),
            "unit_label": bl.UNIT_LABELS.get(d.region.level, "单位"),
            "page": missing,
            "query": urlencode({"region": d.region.code, "week": week_label(d.monday)}),
            "notices": notices,
        },
    )


@capability_required(Capability.ENVIRONMENT_VIEW)
@require_GET
def dispatch_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        d, _notices = _dispatch(request)
    except NoRegion:
        return _no_region(request)
    out = io.BytesIO()
    book, formats = export_workbook(out)
    sheet = Sheet(
        book,
        "周调度",
        [
            ("排名", 6),
            ("区划代码", 14),
            ("单位", 14),
            ("村数", 8),
            ("已报", 8),
            ("未报", 8),
            ("迟报", 8),
            ("改厕任务(户)", 12),
            ("已改造(户)", 12),
            ("改厕进度(%)", 12),
            ("较上周(百分点)", 14),
            ("卫生厕所户数", 12),
            ("普及率(%)", 10),
            ("正常使用(户)", 12),
            ("使用率(%)", 10),
            ("较上周(百分点)", 14),
            ("垃圾收运覆盖率(%)", 16),
            ("较上周(百分点)", 14),
            ("污水治理率(%)", 12),
            ("较上周(百分点)", 14),
        ],
        formats,
    )

    def p(rate: Any) -> float | None:
        return None if rate is None else float(rate * 100)

    def c(value: Any) -> float | None:
        return None if value is None else float(value)

    for r in d.rows:
        f = r.current
        sheet.write(
            [
                r.rank,
                f.region.code if f.region else "",
                f.region.name if f.region else "",
                f.villages,
                f.reported,
                f.missing,
                f.late,
                f.toilets_planned,
                f.toilets_upgraded,
                p(f.progress),
                c(r.change("progress")),
                f.toilets_sanitary,
                p(f.sanitary_rate),
                f.toilets_in_use,
                p(f.usage_rate),
                c(r.change("usage_rate")),
                p(f.garbage_rate),
                c(r.change("garbage_rate")),
                p(f.sewage_rate),
                c(r.change("sewage_rate")),
            ]
        )
    t = d.total
    sheet.write(
        [
            "合计",
            d.region.code,
            d.region.name,
            t.villages,
            t.reported,
            t.missing,
            t.late,
            t.toilets_planned,
            t.toilets_upgraded,
            p(t.progress),
            c(d.total_change("progress")),
            t.toilets_sanitary,
            p(t.sanitary_rate),
            t.toilets_in_use,
            p(t.usage_rate),
            c(d.total_change("usage_rate")),
            p(t.garbage_rate),
            c(d.total_change("garbage_rate")),
            p(t.sewage_rate),
            c(d.total_change("sewage_rate")),
        ]
    )
    sheet.finish()
    missing = Sheet(book, "未报村", [("区划代码", 14), ("村", 30)], formats)
    for v in fg.missing_villages(d.region.prefix, d.monday)[:20000]:
        missing.write([v.code, v.name])
    missing.finish()
    book.close()
    return _attachment(out.getvalue(), XLSX, f"人居环境周调度{week_label(d.monday)}.xlsx")


# ---- the monthly 通报 -------------------------------------------------------------------------------------


def _bulletin(request: AuthenticatedHttpRequest) -> tuple[bl.Bulletin | None, str, Region]:
    unit = unit_for_user(request.user, request.GET.get("region", ""))
    today = timezone.localdate()
    raw = request.GET.get("month", "") or f"{today.year}-{today.month:02d}"
    try:
        year, month = bl.month_parse(raw)
    except bl.BulletinError as exc:
        return None, str(exc), unit
    return bl.bulletin_build(unit, year, month), "", unit


@capability_required(Capability.ENVIRONMENT_VIEW)
@require_GET
def bulletin(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        b, error, unit = _bulletin(request)
    except NoRegion:
        return _no_region(request)
    return render(
        request,
        "environment/bulletin.html",
        {
            "b": b,
            "error": error,
            "unit": unit,
            "text": b.text() if b else [],
            "month": f"{b.year}-{b.month:02d}" if b else request.GET.get("month", "")[:7],
            "query": urlencode({"region": unit.code, "month": f"{b.year}-{b.month:02d}"}) if b else "",
            "missing_shown": b.missing[: bl.MISSING_LISTED] if b else [],
        },
        status=200 if b else 400,
    )


def _bulletin_file(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    try:
        b, error, _unit = _bulletin(request)
    except NoRegion:
        return _no_region(request)
    if b is None:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    name = f"{b.region.name}人居环境通报{b.year}年{b.month}月"
    if kind == "docx":
        return _attachment(bl.bulletin_docx(b), DOCX, f"{name}.docx")
    return _attachment(bl.bulletin_xlsx(b), XLSX, f"{name}.xlsx")


@capability_required(Capability.ENVIRONMENT_VIEW)
@require_GET
def bulletin_docx(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _bulletin_file(request, "docx")


@capability_required(Capability.ENVIRONMENT_VIEW)
@require_GET
def bulletin_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _bulletin_file(request, "xlsx")


# ---- the environment fund ------------------------------------------------------------------------------------


@capability_required(Capability.ENVIRONMENT_VIEW)
@require_http_methods(["GET", "POST"])
def projects(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The funds projects counted in the environment fund, with spend; tagging one by its 项目编号."""
    from django.db.models import DecimalField, OuterRef, Subquery, Sum
    from django.db.models.functions import Coalesce

    from dixian.funds.models import Payment

    user = request.user
    can_report = user_can(user, Capability.ENVIRONMENT_REPORT)
    form = ProjectTagForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not can_report:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied(f"您的账号没有“{Capability.ENVIRONMENT_REPORT.label}”的权限。")
        if form.is_valid():
            try:
                link = services.project_tag(
                    actor=user,
                    code=form.cleaned_data["code"],
                    theme=form.cleaned_data["theme"],
                    corridor=form.cleaned_data.get("corridor") or "",
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"项目“{link.project.name}”已计入人居环境资金。")
                return redirect("environment:projects")
    paid = Subquery(
        Payment.objects.filter(project=OuterRef("project"))
        .values("project")
        .annotate(s=Sum("amount"))
        .values("s"),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )
    links = (
        projects_for_user(user)
        .select_related("project")
        .annotate(paid=Coalesce(paid, 0, output_field=DecimalField(max_digits=16, decimal_places=2)))
        .order_by("project__year", "project__code")
    )
    page = paginate_exact(links, request.GET.get("page"), per_page=PAGE_SIZE)
    prefix = user.region.prefix if user.region else "~"
    return render(
        request,
        "environment/projects.html",
        {
            "page": page,
            "fund": fg.fund(prefix),
            "form": form,
            "can_report": can_report,
            "status": 422 if form.errors else 200,
        },
        status=422 if form.errors else 200,
    )


@capability_required(Capability.ENVIRONMENT_REPORT)
@require_POST
def project_untag(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    link = project_link_get(request.user, pk)
    try:
        services.project_untag(actor=request.user, link=link)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, "已不再计入人居环境资金。")
    return redirect("environment:projects")
