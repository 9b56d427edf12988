"""The pages of the labour roll and the monthly survey (docs/domain.md §23), phone-first:

- `home`: 就业监测, the employment pages the account may use;
- `roll_list` / `roll_xlsx`: 劳动力名册 of a month, by region, 脱贫 / 监测, recorded or not, and its workbook;
- `survey_start` → `survey_village`: a village's month, every roll worker with last month's answer and this
  month's, the count recorded, and 其余人员本月无变化 (`survey_carry`, also per worker through htmx);
- `worker_form`: one worker's month, pre-filled (this month's record, else the previous one, else 人社).

Reads go through `selectors` (scoped: a village or person outside the subtree answers 404), writes through
`services`. ID numbers, employers and wage bands pass through `dixian.common.masking` (docs/security.md §1).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from html import escape as esc
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.common.access import may_view_pii
from dixian.common.access_log import log_access
from dixian.common.filters import dropped_notices, region_picker, resolve_region
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.masking import (
    birth_date_label,
    birth_date_shown,
    birth_date_value,
    id_number_shown,
    text_shown,
    work_shown,
)
from dixian.common.paging import paginate
from dixian.common.spreadsheets import Sheet, export_workbook
from dixian.domain import employment as e
from dixian.domain.dictionaries import ParseError
from dixian.regions.models import Region

from . import roll as labour_roll
from . import selectors, services
from .forms import RollFilterForm, SurveyForm
from .models import Employment

PAGE_SIZE = 50
# The roll's workbook is written in the request: a larger roll is asked for by county or township.
EXPORT_MAX = 100_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# ---- the month ------------------------------------------------------------------------------------------


def month_asked(raw: str | None, today: dt.date, notices: list[str]) -> dt.date:
    """The month of `?month=` (2026-10, 2026年10月 …); the current month when absent, unreadable (with a
    notice) or in the future (with a notice: nothing can be recorded for it)."""
    current = today.replace(day=1)
    if not raw:
        return current
    try:
        month = e.month_parse(raw)
    except ParseError as exc:
        notices.append(f"{exc},已显示本月。")
        return current
    if month > current:
        notices.append(f"{e.month_label(month)}还没有到,已显示本月({e.month_label(current)})。")
        return current
    return month


def month_posted(raw: str | None, today: dt.date) -> tuple[dt.date, str]:
    """The month a form sends (docs/domain.md §23: no record for a month to come), read strictly: an unreadable
    or future month is refused with the reason (second item) and nothing is written, never taken for the
    current month as a page's `?month=` is. Absent, it is the current month."""
    current = today.replace(day=1)
    if not raw:
        return current, ""
    try:
        month = e.month_parse(raw)
    except ParseError as exc:
        return current, f"{exc},未保存:请回到摸排页面重新选择月份后再提交。"
    if month > current:
        return current, f"{e.month_label(month)}还没有到,不能录入摸排,未保存。"
    return month, ""


@dataclass(frozen=True)
class MonthNav:
    month: dt.date
    previous: dt.date
    next: dt.date | None  # None in the current month

    @property
    def key(self) -> str:
        return e.month_key(self.month)

    @property
    def label(self) -> str:
        return e.month_label(self.month)

    @property
    def previous_key(self) -> str:
        return e.month_key(self.previous)

    @property
    def next_key(self) -> str:
        return e.month_key(self.next) if self.next else ""


def month_nav(month: dt.date, today: dt.date) -> MonthNav:
    after = e.month_add(month, 1)
    return MonthNav(month, e.month_add(month, -1), after if after <= today.replace(day=1) else None)


# ---- 就业监测: the landing page ----------------------------------------------------------------------------

# (URL name, title, what it is for, capability). Pages of the other parts of issue 18 are listed here by
# their URL names; one that is not installed (no such name) is left out, so the page never links nowhere.
HOME_LINKS: tuple[tuple[str, str, str, Capability], ...] = (
    (
        "employment:survey_start",
        "就业信息摸排",
        "按村逐月录入劳动力就业情况,本月无变化一键沿用",
        Capability.EMPLOYMENT_VIEW,
    ),
    (
        "employment:roll_list",
        "劳动力名册",
        "脱贫劳动力和监测劳动力,按月份、地区查看和导出",
        Capability.EMPLOYMENT_VIEW,
    ),
    (
        "employment:figures",
        "就业统计",
        "务工就业人数与基准年同期对比,分地域、渠道",
        Capability.EMPLOYMENT_VIEW,
    ),
    ("employment:import", "导入摸排表", "纸质收集的村用摸排表格导入", Capability.EMPLOYMENT_SURVEY),
    (
        "employment:mismatches",
        "人社数据比对",
        "人社部门就业登记与村级摸排不一致的人员",
        Capability.EMPLOYMENT_VIEW,
    ),
    (
        "employment:key_groups",
        "重点群体",
        "返乡回流、雨露计划毕业生、有就业意愿未就业、弱半劳动力",
        Capability.EMPLOYMENT_VIEW,
    ),
    ("employment:posts", "公益性岗位", "岗位、在岗人员和补贴发放", Capability.EMPLOYMENT_VIEW),
    ("employment:settings", "就业监测设置", "比较基准年和劳动年龄", Capability.EMPLOYMENT_SETTINGS),
)


@capability_required(Capability.EMPLOYMENT_VIEW)
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    links = []
    for name, title, text, capability in HOME_LINKS:
        if not user_can(request.user, capability):
            continue
        try:
            links.append({"url": reverse(name), "title": title, "text": text})
        except NoReverseMatch:
            continue
    return render(request, "employment/home.html", {"links": links})


# ---- 劳动力名册 ------------------------------------------------------------------------------------------


@dataclass
class RollQuery:
    region: Region | None
    month: dt.date
    kind: str
    recorded: str
    notices: list[str]
    working: str = ""
    place_tier: str = ""
    channel: str = ""

    def params(self) -> dict[str, str]:
        out = {"month": e.month_key(self.month)}
        if self.region is not None:
            out["region"] = str(self.region.pk)
        for name in ("kind", "recorded", "working", "place_tier", "channel"):
            if value := getattr(self, name):
                out[name] = value
        return out


def _roll_query(request: AuthenticatedHttpRequest) -> tuple[RollFilterForm, RollQuery]:
    form = RollFilterForm(request.GET)
    notices = dropped_notices(form)
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    region = resolve_region(request.user, data.get("region") or [], notices)
    month = month_asked(request.GET.get("month"), timezone.localdate(), notices)
    return form, RollQuery(
        region,
        month,
        data.get("kind") or "",
        data.get("recorded") or "",
        notices,
        working=data.get("working") or "",
        place_tier=data.get("place_tier") or "",
        channel=data.get("channel") or "",
    )


def _roll_qs(request: AuthenticatedHttpRequest, query: RollQuery) -> Any:
    return selectors.roll_qs(
        request.user,
        query.month,
        region=query.region,
        kind=query.kind,
        recorded=query.recorded,
        working=query.working,
        place_tier=query.place_tier,
        channel=query.channel,
    )


record_summary = selectors.summary_of


@capability_required(Capability.EMPLOYMENT_VIEW)
@require_GET
def roll_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form, query = _roll_query(request)
    page = paginate(_roll_qs(request, query), request.GET.get("page"), per_page=PAGE_SIZE)
    people = page.rows
    records = selectors.records_of([p.pk for p in people], query.month, fields=selectors.SUMMARY_FIELDS)
    places = selectors.place_names(p.region_code for p in people)
    pii = may_view_pii(user)
    today = timezone.localdate()
    rows = [
        {
            "person": p,
            "id_number": id_number_shown(p.id_number, pii=pii),
            "age": birth_date_shown(p.birth_date, pii=pii, today=today),
            "kind": selectors.kind_of(p),
            "place": places.get(p.region_code, ""),
            "record": records.get(p.pk),
            "summary": record_summary(records.get(p.pk)),
            "survey_url": reverse("employment:survey_village", args=[p.region_code[:12]])
            + f"?month={e.month_key(query.month)}#worker-{p.pk}",
        }
        for p in people
    ]
    params = query.params()
    return render(
        request,
        "employment/roll_list.html",
        {
            "form": form,
            "query_": query,
            "notices": query.notices,
            "page": page,
            "rows": rows,
            "query": urlencode(params),
            "export_url": reverse("employment:roll_xlsx") + "?" + urlencode(params),
            "picker": region_picker(user, query.region),
            "nav": month_nav(query.month, today),
            "kinds": selectors.KINDS,
            "recorded_choices": selectors.RECORDED,
            "tiers": e.choices("place_tier"),
            "channels": e.choices("channel"),
            "birth_label": birth_date_label(pii=pii, dated="出生日期"),
        },
    )


ROLL_COLUMNS = (
    ("区划代码", 14),
    ("村(组)", 14),
    ("户编号", 18),
    ("姓名", 10),
    ("证件号码", 20),
    ("性别", 6),
    ("出生日期", 12),
    ("劳动力类型", 12),
    ("劳动技能", 14),
    ("本月摸排", 10),
    ("是否务工", 8),
    ("务工地域", 12),
    ("就业单位或帮扶车间", 24),
    ("就业渠道", 12),
    ("本年务工月数", 10),
    ("月工资收入", 12),
    ("未就业原因", 12),
    ("有就业意愿", 8),
    ("来源", 10),
)


@capability_required(Capability.EMPLOYMENT_VIEW)
@require_GET
def roll_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    _, query = _roll_query(request)
    qs = _roll_qs(request, query)
    total = qs.order_by()[: EXPORT_MAX + 1].count()
    if total > EXPORT_MAX:
        messages.error(request, f"名册超过 {EXPORT_MAX:,} 人,无法一次导出。请先选择县(市、区)或乡镇,再导出。")
        return redirect(reverse("employment:roll_list") + "?" + urlencode(query.params()))
    pii = may_view_pii(user)
    today = timezone.localdate()
    buffer = io.BytesIO()
    book, formats = export_workbook(buffer)
    columns = list(ROLL_COLUMNS)
    columns[6] = (birth_date_label(pii=pii), 12)
    sheet = Sheet(book, f"劳动力名册{e.month_key(query.month)}", columns, formats)
    places = selectors.place_names_under(
        query.region.prefix if query.region else (user.region.prefix if user.region else "")
    )
    count = 0
    for person, record in selectors.export_rows(qs, query.month):
        r = record
        sheet.write(
            [
                person.region_code,
                places.get(person.region_code, ""),
                person.household.household_no,
                person.name,
                id_number_shown(person.id_number, pii=pii),
                person.get_sex_display(),
                birth_date_value(person.birth_date, pii=pii, today=today),
                selectors.kind_of(person),
                person.get_labour_skill_display(),
                "已摸排" if r is not None else "未摸排",
                r.working if r is not None else None,
                r.get_place_tier_display() if r is not None else "",
                work_shown(r.employer, pii=pii) if r is not None else "",
                r.get_channel_display() if r is not None else "",
                r.months_worked if r is not None else None,
                work_shown(r.get_wage_band_display() if r.wage_band else "", pii=pii)
                if r is not None
                else "",
                r.get_not_working_reason_display() if r is not None else "",
                r.willing if r is not None else None,
                r.get_source_display() if r is not None else "",
            ]
        )
        count += 1
    sheet.finish()
    book.close()
    log_access(
        request,
        action="export",
        fields=("name", "id_number", "birth_date", "employer", "wage"),
        count=count,
        scope=f"劳动力名册 {e.month_key(query.month)} {query.region.code if query.region else ''}",
        region_code=query.region.code if query.region else None,
    )
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    code = query.region.code if query.region else (user.region.code if user.region else "all")
    response["Content-Disposition"] = (
        f'attachment; filename="labour-roll-{code}-{e.month_key(query.month)}.xlsx"'
    )
    return response


# ---- the village's month ---------------------------------------------------------------------------------


@capability_required(Capability.EMPLOYMENT_VIEW)
@require_GET
def survey_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Where a village's survey is opened: a village account goes straight to its village; others pick."""
    user = request.user
    notices: list[str] = []
    month = month_asked(request.GET.get("month"), timezone.localdate(), notices)
    account = user.region
    asked = (
        f"?month={e.month_key(month)}" if request.GET.get("month") else ""
    )  # else the month to record next
    if account is not None and account.level == Region.Level.VILLAGE:
        return redirect(reverse("employment:survey_village", args=[account.code]) + asked)
    form = RollFilterForm(request.GET)
    notices += dropped_notices(form)
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    region = resolve_region(user, data.get("region") or [], notices)
    if region is not None and region.level == Region.Level.VILLAGE:
        return redirect(reverse("employment:survey_village", args=[region.code]) + asked)
    parent = region or account
    villages = []
    if parent is not None and parent.level == Region.Level.TOWNSHIP:
        villages = list(
            Region.objects.filter(
                parent=parent, level=Region.Level.VILLAGE, retired_on__isnull=True
            ).order_by("code")
        )
    return render(
        request,
        "employment/survey_start.html",
        {
            "notices": notices,
            "picker": region_picker(user, region),
            "month": month,
            "month_key": e.month_key(month),
            "villages": villages,
            "parent": parent,
        },
    )


def _sheet_context(
    request: AuthenticatedHttpRequest,
    village: Region,
    month: dt.date,
    only_missing: bool,
    *,
    sheet: list[selectors.WorkerRow] | None = None,
    only: int | None = None,
) -> dict[str, Any]:
    """The village's month: its counts and the workers' cards (`only`: the one worker's card, for htmx)."""
    all_rows = sheet if sheet is not None else selectors.village_sheet(village, month)
    recorded = sum(1 for r in all_rows if r.record is not None)
    carriable = sum(1 for r in all_rows if r.record is None and r.previous is not None)
    if only is not None:
        rows = [r for r in all_rows if r.pk == only]
    else:
        rows = [r for r in all_rows if r.record is None] if only_missing else all_rows
    may_record = user_can(request.user, Capability.EMPLOYMENT_SURVEY)
    carry_url = reverse("employment:survey_carry", args=[village.code])
    return {
        "village": village,
        "nav": month_nav(month, timezone.localdate()),
        "rows": rows,
        "cards": _cards(request, rows, month, may_record=may_record, carry_url=carry_url),
        "total": len(all_rows),
        "recorded": recorded,
        "missing": len(all_rows) - recorded,
        "carriable": carriable,
        "only_missing": only_missing,
        "may_record": may_record,
        "carry_url": carry_url,
    }


def _cards(
    request: AuthenticatedHttpRequest,
    rows: list[selectors.WorkerRow],
    month: dt.date,
    *,
    may_record: bool,
    carry_url: str,
) -> SafeString:
    """The workers' cards of a village's month, as HTML made here rather than by a template loop: a village
    holds hundreds of workers and Django's template engine spent ~0.3 ms on each card, two thirds of the page
    (bench/bench_survey_page.py, docs/benchmarks.md "Employment survey page"). Every value is escaped (`esc`,
    what the template's autoescape does); the markup has no script, style or handler (the CSP rules)."""
    # One reverse for the page, not one per worker.
    form_base = esc(reverse("employment:worker_form", args=[0]).removesuffix("0/"))
    key = esc(e.month_key(month))
    carry = esc(carry_url)
    csrf = ""
    out = []
    for row in rows:
        record = row.record
        recorded = record is not None
        before = record_summary(row.previous)
        if record is not None:
            now = record_summary(record)
            badge = ' class="badge green"' if record["working"] else ' class="badge"'
            state = f"<span{badge}>{esc(now)}</span>"
            if record["source"] == Employment.Source.CARRIED:
                state += ' <span class="muted">(沿用上月)</span>'
        else:
            state = '<span class="badge orange">未摸排</span>'
        actions = ""
        if may_record:
            actions = (
                f'\n  <div class="worker-actions">\n    <a class="button{" secondary" if recorded else ""}" '
                f'href="{form_base}{row.pk}/?month={key}">{"修改" if recorded else "录入"}</a>\n    '
            )
            if not recorded and row.previous is not None:
                csrf = csrf or esc(get_token(request))
                actions += (
                    f'<form method="post" action="{carry}" class="inline" hx-post="{carry}" '
                    f'hx-target="#worker-{row.pk}" hx-swap="outerHTML"><input type="hidden" '
                    f'name="csrfmiddlewaretoken" value="{csrf}"><input type="hidden" name="month" value="{key}">'
                    f'<input type="hidden" name="person" value="{row.pk}"><button type="submit" '
                    'class="secondary">无变化</button></form>'
                )
            actions += "\n  </div>"
        out.append(
            f'<li id="worker-{row.pk}" class="worker{" done" if recorded else ""}">\n'
            f'  <div class="worker-head"><strong>{esc(row.name)}</strong> <span class="muted small">'
            f"{esc(row.kind)} · {esc(row.skill)} · 户主 {esc(row.head_name)}</span></div>\n"
            '  <div class="worker-months">\n'
            f'    <span class="small">上月:{esc(before) if before else '<span class="muted">无记录</span>'}</span>\n'
            f'    <span class="small">本月:{state}</span>\n'
            f"  </div>{actions}\n</li>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


@capability_required(Capability.EMPLOYMENT_VIEW)
@require_GET
def survey_village(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    village = selectors.village_for_user(request.user, code)
    notices: list[str] = []
    today = timezone.localdate()
    if request.GET.get("month"):
        month = month_asked(request.GET.get("month"), today, notices)
    else:
        month = selectors.month_to_record(village, today)
        if month < today.replace(day=1):
            notices.append(
                f"本村{e.month_label(month)}的摸排还未开始,已先显示{e.month_label(month)};可用上方月份切换。"
            )
    context = _sheet_context(request, village, month, request.GET.get("missing") == "1")
    context["notices"] = notices
    return render(request, "employment/survey_village.html", context)


@capability_required(Capability.EMPLOYMENT_SURVEY)
@require_POST
def survey_carry(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """其余人员本月无变化 (no `person`), or one worker's 无变化 (`person`, the row swapped in by htmx)."""
    village = selectors.village_for_user(request.user, code)
    month, refused = month_posted(request.POST.get("month"), timezone.localdate())
    raw = [p for p in request.POST.getlist("person") if p.isascii() and p.isdigit()]
    person_ids = [int(p) for p in raw] if raw else None
    back = reverse("employment:survey_village", args=[village.code]) + f"?month={e.month_key(month)}"
    try:
        if refused:
            raise ValidationError(refused)
        result = services.survey_carry_over(request.user, village, month, person_ids)
    except (ValidationError, PermissionDenied) as exc:
        text = "".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        if request.htmx:  # the refusal goes to the page's message line; the worker's card stays
            response = HttpResponse(
                f'<p id="survey-message" class="notice warn" role="alert">{escape(text)}</p>'
            )
            response["HX-Retarget"] = "#survey-message"
            response["HX-Reswap"] = "outerHTML"
            return response
        messages.error(request, text)
        return redirect(back)
    if request.htmx and person_ids is not None and len(person_ids) == 1:
        context = _sheet_context(request, village, month, False, only=person_ids[0])
        context.update(message=result.message(month), oob=True)
        return render(request, "employment/partials/_survey_row_carried.html", context)
    messages.success(request, result.message(month))
    return redirect(back)


# ---- one worker's month ----------------------------------------------------------------------------------


@capability_required(Capability.EMPLOYMENT_SURVEY)
@require_http_methods(["GET", "POST"])
def worker_form(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    person = selectors.person_for_user(user, pk)
    notices: list[str] = []
    refused = ""
    if request.method == "POST":
        month, refused = month_posted(request.POST.get("month"), timezone.localdate())
    else:
        month = month_asked(request.GET.get("month"), timezone.localdate(), notices)
    pii = may_view_pii(user)
    prefill = selectors.prefill_for(person, month)
    hidden = {"employer": prefill.values.get("employer"), "wage_band": prefill.values.get("wage_band")}
    note = prefill.values.get("note") or ""
    if (
        text_shown(note, pii=False) != note
    ):  # a 备注 quoting personal data: kept, never shown (docs/security.md §1)
        hidden["note"] = note
    village_code = person.region_code[:12]
    back = reverse("employment:survey_village", args=[village_code]) + f"?month={e.month_key(month)}"
    if request.method == "POST":
        form = SurveyForm(request.POST, pii=pii, hidden=hidden)
        if refused:
            form.is_valid()
            form.add_error(None, refused)
        elif form.is_valid():
            try:
                done = services.survey_record(user, person, month, form.values())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                said = {"created": "已保存", "replaced": "已更正", "unchanged": "没有变化,未改动"}[
                    done.status
                ]
                messages.success(request, f"{person.name} {e.month_label(month)}的摸排{said}。")
                return redirect(f"{back}#worker-{person.pk}")
    else:
        form = SurveyForm(initial=SurveyForm.initial_from(prefill.values, pii=pii), pii=pii, hidden=hidden)
    if request.method == "GET" and person.pk not in labour_roll.on_roll([person.pk], month):
        notices.append(services.not_on_roll_message(person, month))
    log_access(request, household=person.household, persons=[person], fields=("name", "employer", "wage"))
    fact = selectors.latest_fact(person, month)
    return render(
        request,
        "employment/survey_form.html",
        {
            "person": person,
            "kind": selectors.kind_of(person),
            "form": form,
            "nav": month_nav(month, timezone.localdate()),
            "notices": notices,
            "prefill": prefill,
            "back": back,
            "pii": pii,
            "age": birth_date_shown(person.birth_date, pii=pii),
            "id_number": id_number_shown(person.id_number, pii=pii),
            "fact": fact,
            "fact_employer": work_shown(fact.employer, pii=pii) if fact else "",
            "fact_place": work_shown(fact.place, pii=pii) if fact else "",
        },
    )
