"""The supervision pages (docs/domain.md §26): leaders, units, stationed cadres (and their .xlsx), the expert
pool, visits with their record, and the calendar. Reads through selectors.py (404 outside the account's
subtree), writes through services.py, whose ValidationError is shown on the form. Key villages are starred
(★) in every list. 驻村干部's phones are personal data: masked without PII_VIEW, on the page and in the workbook.
"""

from __future__ import annotations

import calendar as cal
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.common.access import code_in_scope, may_view_pii, region_range_q
from dixian.common.access_log import log_access
from dixian.common.filters import dropped_notices, region_picker, resolve_region
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.masking import phone_shown
from dixian.common.models import AccessLog
from dixian.common.paging import paginate, paginate_exact
from dixian.common.spreadsheets import Sheet, export_workbook
from dixian.regions.models import Region

from . import selectors, services
from .forms import (
    CalendarForm,
    ExpertFilterForm,
    ExpertForm,
    LeaderForm,
    ListFilterForm,
    RecordForm,
    StaffFilterForm,
    StaffForm,
    UnitForm,
    VisitFilterForm,
    VisitForm,
)
from .models import AssistUnit, CountyLeader, Expert, StationedStaff, SupervisionVisit

if TYPE_CHECKING:
    from django import forms

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PLACE = ("region", "region__parent", "region__parent__parent")


def _query(request: AuthenticatedHttpRequest) -> str:
    return urlencode([(k, v) for k, vs in request.GET.lists() if k != "page" for v in vs if v])


def _today() -> dt.date:
    return timezone.localdate()


@dataclass
class Filtered:
    qs: QuerySet[Any]
    form: forms.Form
    notices: list[str]
    region: Region | None
    data: dict[str, Any] = field(default_factory=dict)


def _filter(request: AuthenticatedHttpRequest, form: forms.Form, qs: QuerySet[Any]) -> Filtered:
    """The filters every list shares: the region picker, 仅重点帮扶村 and 仅在岗 (today within from–to)."""
    notices = dropped_notices(form)
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    region = resolve_region(request.user, data.get("region") or [], notices)
    if region is not None:
        qs = qs.filter(region_range_q(region.prefix))
    if data.get("current"):
        today = _today()
        qs = qs.filter(start_on__lte=today).filter(Q(end_on__isnull=True) | Q(end_on__gte=today))
    return Filtered(qs, form, notices, region, data)


def _context(request: AuthenticatedHttpRequest, f: Filtered, page: Any, **extra: Any) -> dict[str, Any]:
    return {
        "form": f.form,
        "notices": f.notices,
        "picker": region_picker(request.user, f.region),
        "page": page,
        "query": _query(request),
        "can_edit": user_can(request.user, Capability.SUPERVISION_EDIT),
        "today": _today(),
        **extra,
    }


def _key_villages_by_county(codes: set[str]) -> dict[str, int]:
    """重点帮扶村 of each county (6-digit prefix) among `codes`: one grouped count."""
    if not codes:
        return {}
    rows = (
        Region.objects.filter(level=Region.Level.VILLAGE, is_key_village=True)
        .annotate(county=Substr("code", 1, 6))
        .filter(county__in=codes)
        .values("county")
        .annotate(n=Count("id"))
    )
    return {row["county"]: row["n"] for row in rows}


# ---- 挂点领导 -------------------------------------------------------------------------------------------


@capability_required(Capability.SUPERVISION_VIEW)
@require_GET
def leader_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ListFilterForm(request.GET)
    f = _filter(request, form, selectors.leaders_for_user(request.user))
    if f.data.get("q"):
        f.qs = f.qs.filter(Q(name__contains=f.data["q"].strip()) | Q(post__contains=f.data["q"].strip()))
    page = paginate_exact(
        f.qs.select_related("county").order_by("region_code", "-start_on", "pk"),
        request.GET.get("page"),
        per_page=PAGE_SIZE,
    )
    keys = _key_villages_by_county({leader.region_code[:6] for leader in page.object_list})
    rows = [(leader, keys.get(leader.region_code[:6], 0)) for leader in page.object_list]
    return render(request, "supervision/leader_list.html", _context(request, f, page, rows=rows))


def _edit(
    request: AuthenticatedHttpRequest,
    *,
    form_class: type[forms.Form],
    record: Any,
    initial: Callable[[Any], dict[str, Any]],
    save: Callable[[dict[str, Any]], Any],
    title: str,
    back: str,
    form_kwargs: dict[str, Any] | None = None,
    blank_phone: bool = False,
) -> HttpResponse:
    """The edit page of a leader, unit, cadre or expert: one form, one service."""
    user = request.user
    kwargs = {"user": user, **(form_kwargs or {})}
    if request.method == "POST":
        form = form_class(request.POST, **kwargs)
        if form.is_valid():
            data = dict(form.cleaned_data)
            # Without PII_VIEW the phone is never shown, so the form starts blank: left blank, it is kept.
            if blank_phone and record is not None and not data.get("phone"):
                data["phone"] = record.phone
            try:
                saved = save(data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"已保存:{saved}")
                return redirect(back)
    else:
        form = form_class(initial=initial(record) if record is not None else None, **kwargs)
    if blank_phone and record is not None and not may_view_pii(user):
        form.fields[
            "phone"
        ].help_text = f"已登记 {phone_shown(record.phone, pii=False)};留空则不修改,填写则替换"
    return render(
        request,
        "supervision/edit_form.html",
        {"form": form, "title": title, "back": back, "record": record},
        status=400 if request.method == "POST" else 200,
    )


def _period_initial(record: Any, *names: str) -> dict[str, Any]:
    return {name: getattr(record, name) for name in ("start_on", "end_on", *names)}


def _leader_form(request: AuthenticatedHttpRequest, leader: CountyLeader | None) -> HttpResponse:
    return _edit(
        request,
        form_class=LeaderForm,
        record=leader,
        initial=lambda r: _period_initial(r, "name", "post", "note") | {"county": r.county_id},
        save=lambda data: services.leader_save(actor=request.user, data=data, leader=leader),
        title="编辑挂点领导" if leader else "登记挂点领导",
        back=reverse("supervision:leader_list"),
    )


@capability_required(Capability.SUPERVISION_EDIT)
@require_http_methods(["GET", "POST"])
def leader_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _leader_form(request, None)


@capability_required(Capability.SUPERVISION_EDIT)
@require_http_methods(["GET", "POST"])
def leader_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _leader_form(request, selectors.leader_get_for_edit(request.user, pk))


# ---- 定点帮扶单位 ----------------------------------------------------------------------------------------


def _village_places(qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs.select_related("village", "village__parent", "village__parent__parent")


@capability_required(Capability.SUPERVISION_VIEW)
@require_GET
def unit_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ListFilterForm(request.GET)
    f = _filter(request, form, selectors.units_for_user(request.user))
    if f.data.get("q"):
        f.qs = f.qs.filter(unit__contains=f.data["q"].strip())
    if f.data.get("key_only"):
        f.qs = f.qs.filter(village__is_key_village=True)
    page = paginate(
        _village_places(f.qs).order_by("region_code", "start_on", "pk"),
        request.GET.get("page"),
        per_page=PAGE_SIZE,
    )
    return render(request, "supervision/unit_list.html", _context(request, f, page))


def _unit_form(request: AuthenticatedHttpRequest, unit: AssistUnit | None) -> HttpResponse:
    return _edit(
        request,
        form_class=UnitForm,
        record=unit,
        initial=lambda r: _period_initial(r, "unit") | {"village": r.village_id},
        save=lambda data: services.unit_save(actor=request.user, data=data, assignment=unit),
        title="编辑定点帮扶单位" if unit else "登记定点帮扶单位",
        back=reverse("supervision:unit_list"),
    )


@capability_required(Capability.SUPERVISION_EDIT)
@require_http_methods(["GET", "POST"])
def unit_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _unit_form(request, None)


@capability_required(Capability.SUPERVISION_EDIT)
@require_http_methods(["GET", "POST"])
def unit_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _unit_form(request, selectors.unit_get_for_user(request.user, pk))


# ---- 驻村第一书记和工作队员 --------------------------------------------------------------------------------


def _staff_filtered(request: AuthenticatedHttpRequest) -> Filtered:
    form = StaffFilterForm(request.GET)
    f = _filter(request, form, selectors.staff_for_user(request.user))
    text = (f.data.get("q") or "").strip()
    if text:
        f.qs = f.qs.filter(Q(name__contains=text) | Q(unit__contains=text))
    if f.data.get("key_only"):
        f.qs = f.qs.filter(village__is_key_village=True)
    if f.data.get("role"):
        f.qs = f.qs.filter(role=f.data["role"])
    return f


@capability_required(Capability.SUPERVISION_VIEW)
@require_GET
def staff_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    f = _staff_filtered(request)
    page = paginate(
        _village_places(f.qs).order_by("region_code", "start_on", "pk"),
        request.GET.get("page"),
        per_page=PAGE_SIZE,
    )
    pii = may_view_pii(request.user)
    rows = [(s, phone_shown(s.phone, pii=pii)) for s in page.object_list]
    if pii and rows:  # whole phone numbers shown: logged (docs/security.md §5)
        log_access(request, fields=["phone"], count=len(rows), scope="驻村干部名单")
    return render(request, "supervision/staff_list.html", _context(request, f, page, rows=rows))


STAFF_HEADERS = [
    ("县(市、区)", 12),
    ("乡镇", 14),
    ("村", 14),
    ("重点帮扶村", 10),
    ("姓名", 10),
    ("身份", 12),
    ("派出单位", 24),
    ("联系电话", 14),
    ("驻村起始日期", 12),
    ("驻村结束日期", 12),
    ("今天在岗", 8),
]


@capability_required(Capability.SUPERVISION_VIEW)
@require_GET
def staff_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The stationed cadres of the list's filters as a workbook (phones masked without PII_VIEW)."""
    f = _staff_filtered(request)
    pii = may_view_pii(request.user)
    today = _today()
    out = io.BytesIO()
    book, formats = export_workbook(out)
    sheet = Sheet(book, "驻村干部", STAFF_HEADERS, formats)
    written = 0
    for s in _village_places(f.qs).order_by("region_code", "start_on", "pk").iterator(chunk_size=2000):
        written += 1
        village = s.village
        township = village.parent
        county = township.parent if township is not None else None
        sheet.write(
            [
                county.name if county else "",
                township.name if township else "",
                village.name,
                village.is_key_village,
                s.name,
                s.get_role_display(),
                s.unit,
                phone_shown(s.phone, pii=pii),
                s.start_on,
                s.end_on,
                s.start_on <= today and (s.end_on is None or s.end_on >= today),
            ]
        )
    sheet.finish()
    book.close()
    if (
        written
    ):  # the export, masked or not, is logged like every export of personal data (docs/security.md §5)
        log_access(
            request, action=AccessLog.Action.EXPORT, fields=["phone"], count=written, scope="驻村干部名单"
        )
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote('驻村第一书记和工作队员.xlsx')}"
    return response


def _staff_form(request: AuthenticatedHttpRequest, staff: StationedStaff | None) -> HttpResponse:
    pii = may_view_pii(request.user)

    def initial(r: StationedStaff) -> dict[str, Any]:
        values = _period_initial(r, "name", "role", "unit") | {"village": r.village_id}
        # Without PII_VIEW the form starts blank (as relocation's 点长电话): left blank, the phone is kept.
        if not pii:
            return values | {"phone": ""}
        return values | {"phone": r.phone}

    return _edit(
        request,
        form_class=StaffForm,
        record=staff,
        initial=initial,
        save=lambda data: services.staff_save(actor=request.user, data=data, staff=staff),
        title="编辑驻村干部" if staff else "登记驻村第一书记或工作队员",
        back=reverse("supervision:staff_list"),
        blank_phone=not pii,
    )


@capability_required(Capability.SUPERVISION_EDIT)
@require_http_methods(["GET", "POST"])
def staff_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _staff_form(request, None)


@capability_required(Capability.SUPERVISION_EDIT)
@require_http_methods(["GET", "POST"])
def staff_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _staff_form(request, selectors.staff_get_for_user(request.user, pk))


# ---- 专家库 --------------------------------------------------------------------------------------------


@capability_required(Capability.SUPERVISION_VIEW)
@require_GET
def expert_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ExpertFilterForm(request.GET)
    notices = dropped_notices(form)
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    qs = selectors.experts_for_user(request.user)
    text = (data.get("q") or "").strip()
    if text:
        qs = qs.filter(Q(name__contains=text) | Q(unit__contains=text))
    if data.get("field"):
        qs = qs.filter(field=data["field"])
    page = paginate_exact(
        qs.select_related("region")
        .annotate(visit_count=Count("visits"))
        .order_by("region_code", "field", "name", "pk"),
        request.GET.get("page"),
        per_page=PAGE_SIZE,
    )
    by_field = dict(qs.filter(active=True).values_list("field").annotate(n=Count("id")).order_by())
    fields = [(label, by_field.get(value, 0)) for value, label in Expert.Field.choices]
    f = Filtered(qs, form, notices, None, data)
    rows = [(e, code_in_scope(request.user, e.region_code)) for e in page.object_list]
    context = _context(request, f, page, rows=rows, fields=fields, active=sum(by_field.values()))
    context["picker"] = []
    return render(request, "supervision/expert_list.html", context)


def _expert_form(request: AuthenticatedHttpRequest, expert: Expert | None) -> HttpResponse:
    return _edit(
        request,
        form_class=ExpertForm,
        record=expert,
        initial=lambda r: (
            {n: getattr(r, n) for n in ("name", "field", "unit", "title", "active")} | {"region": r.region_id}
        ),
        save=lambda data: services.expert_save(actor=request.user, data=data, expert=expert),
        title="编辑专家" if expert else "登记专家",
        back=reverse("supervision:expert_list"),
    )


@capability_required(Capability.SUPERVISION_EDIT)
@require_http_methods(["GET", "POST"])
def expert_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _expert_form(request, None)


@capability_required(Capability.SUPERVISION_EDIT)
@require_http_methods(["GET", "POST"])
def expert_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _expert_form(request, selectors.expert_get_for_edit(request.user, pk))


# ---- 督导调研 ------------------------------------------------------------------------------------------


def _visit_rows(qs: QuerySet[SupervisionVisit]) -> QuerySet[SupervisionVisit]:
    return qs.select_related(*PLACE).prefetch_related("leaders", "experts")


@dataclass
class VisitRow:
    """A visit as a list shows it, its texts made once here rather than per row in the template (the list's
    rendering is most of its time: bench/bench_supervision.py)."""

    visit: SupervisionVisit
    key: bool  # a key village (重点帮扶村)
    place: str
    above: str  # the township and county
    people: str  # leaders / experts
    day: dt.date  # the date done, or the planned date
    url: str
    kind: str
    state: str  # 已实施, 逾期 or 计划
    css: str  # the state's badge colour


def visit_row(visit: SupervisionVisit) -> VisitRow:
    region = visit.region
    township = region.parent
    county = township.parent if township is not None else None
    above = [r.name for r in (township, county) if r is not None and r.level != Region.Level.CITY]
    leaders = "、".join(leader.name for leader in visit.leaders.all())
    experts = "、".join(expert.name for expert in visit.experts.all())
    state = "已实施" if visit.done_on else ("逾期" if visit.planned_on < _today() else "计划")
    return VisitRow(
        visit=visit,
        key=region.is_key_village,
        place=region.name,
        above=" · ".join(above),
        people=" / ".join(x for x in (leaders, experts) if x),
        day=visit.done_on or visit.planned_on,
        url=reverse("supervision:visit_detail", args=[visit.pk]),
        kind=visit.get_kind_display(),
        state=state,
        css={"已实施": "green", "逾期": "red"}.get(state, ""),
    )


@capability_required(Capability.SUPERVISION_VIEW)
@require_GET
def visit_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = VisitFilterForm(request.GET)
    f = _filter(request, form, selectors.visits_for_user(request.user))
    today = _today()
    if f.data.get("kind"):
        f.qs = f.qs.filter(kind=f.data["kind"])
    state = f.data.get("state")
    if state == "planned":
        f.qs = f.qs.filter(done_on__isnull=True, planned_on__gte=today)
    elif state == "overdue":
        f.qs = f.qs.filter(done_on__isnull=True, planned_on__lt=today)
    elif state == "done":
        f.qs = f.qs.filter(done_on__isnull=False)
    if f.data.get("key_only"):
        f.qs = f.qs.filter(region__is_key_village=True)
    page = paginate(
        _visit_rows(f.qs.order_by("-planned_on", "-pk")), request.GET.get("page"), per_page=PAGE_SIZE
    )
    rows = [visit_row(v) for v in page.object_list]
    return render(request, "supervision/visit_list.html", _context(request, f, page, rows=rows))


def _finding_url(pk: int) -> str | None:
    """The rectification ledger's page of a finding, once that ledger has one (docs/domain.md §26)."""
    try:
        return reverse("rectification:finding_detail", args=[pk])
    except NoReverseMatch:
        return None


@capability_required(Capability.SUPERVISION_VIEW)
@require_GET
def visit_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get_for_user(request.user, pk)
    findings = [
        (vf.finding, _finding_url(vf.finding_id))
        for vf in visit.findings.select_related("finding").order_by("seq")
    ]
    return render(
        request,
        "supervision/visit_detail.html",
        {
            "visit": visit,
            "leaders": list(visit.leaders.order_by("name")),
            "experts": list(visit.experts.order_by("name")),
            "findings": findings,
            "can_edit": user_can(request.user, Capability.SUPERVISION_EDIT),
            "today": _today(),
        },
    )


def _visit_choices(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    today = _today()
    leaders = (
        selectors.leaders_for_user(request.user)
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=today - dt.timedelta(days=366)))
        .select_related("county")
        .order_by("region_code", "name")
    )
    experts = selectors.experts_for_user(request.user).filter(active=True).order_by("field", "name")
    return {"leaders": leaders, "experts": experts}


def _visit_form(request: AuthenticatedHttpRequest, visit: SupervisionVisit | None) -> HttpResponse:
    choices = _visit_choices(request)
    user = request.user
    if request.method == "POST":
        form = VisitForm(request.POST, user=user, **choices)
        if form.is_valid():
            try:
                saved = services.visit_plan(
                    actor=user,
                    data=form.cleaned_data,
                    experts_seen=selectors.experts_for_user(user),
                    visit=visit,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"已保存督导调研计划:{saved.topic}")
                return redirect("supervision:visit_detail", pk=saved.pk)
    elif visit is not None:
        initial = {n: getattr(visit, n) for n in ("kind", "topic", "planned_on")}
        initial |= {"region": visit.region_id, "leaders": list(visit.leaders.all())}
        initial["experts"] = list(visit.experts.all())
        form = VisitForm(initial=initial, user=user, **choices)
    else:
        form = VisitForm(user=user, **choices)
    back = (
        reverse("supervision:visit_detail", args=[visit.pk]) if visit else reverse("supervision:visit_list")
    )
    return render(
        request,
        "supervision/edit_form.html",
        {"form": form, "title": "修改督导调研计划" if visit else "计划督导调研", "back": back},
        status=400 if request.method == "POST" else 200,
    )


@capability_required(Capability.SUPERVISION_EDIT)
@require_http_methods(["GET", "POST"])
def visit_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _visit_form(request, None)


@capability_required(Capability.SUPERVISION_EDIT)
@require_http_methods(["GET", "POST"])
def visit_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get_for_user(request.user, pk)
    if visit.done_on is not None:
        messages.error(request, "该督导调研已记录实施情况,不能再修改计划")
        return redirect("supervision:visit_detail", pk=visit.pk)
    return _visit_form(request, visit)


@capability_required(Capability.SUPERVISION_EDIT)
@require_http_methods(["GET", "POST"])
def visit_record(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get_for_user(request.user, pk)
    back = reverse("supervision:visit_detail", args=[visit.pk])
    if visit.done_on is not None:
        messages.error(request, f"该督导调研已于{visit.done_on:%Y-%m-%d}记录,不能重复记录")
        return redirect(back)
    posted = request.method == "POST"
    form = RecordForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            raised = services.visit_record(actor=request.user, visit=visit, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已记录督导调研,{len(raised)}个问题已进入问题整改台账")
            return redirect(back)
    return render(
        request,
        "supervision/edit_form.html",
        {"form": form, "title": f"记录督导调研:{visit.topic}", "back": back, "record": visit},
        status=400 if posted else 200,
    )


# ---- 督导日历 ------------------------------------------------------------------------------------------


@dataclass
class Week:
    monday: dt.date
    sunday: dt.date
    visits: list[VisitRow]


def _month(value: dt.date | None) -> dt.date:
    day = value or _today()
    return day.replace(day=1)


def _shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@capability_required(Capability.SUPERVISION_VIEW)
@require_GET
def visit_calendar(request: AuthenticatedHttpRequest) -> HttpResponse:
    """督导日历: the visits of a unit (a county by default) in a month, week by week, at the date done or, not
    yet done, the planned date (docs/domain.md §26)."""
    form = CalendarForm(request.GET)
    f = _filter(request, form, selectors.visits_for_user(request.user))
    month = _month(f.data.get("month"))
    last = month.replace(day=cal.monthrange(month.year, month.month)[1])
    first_monday = month - dt.timedelta(days=month.weekday())
    last_sunday = last + dt.timedelta(days=6 - last.weekday())
    visits = _visit_rows(
        f.qs.filter(
            Q(planned_on__range=(first_monday, last_sunday)) | Q(done_on__range=(first_monday, last_sunday))
        ).order_by("planned_on", "pk")
    )
    weeks: list[Week] = []
    monday = first_monday
    while monday <= last:
        weeks.append(Week(monday, monday + dt.timedelta(days=6), []))
        monday += dt.timedelta(days=7)
    for visit in visits:
        row = visit_row(visit)
        if first_monday <= row.day <= last_sunday:
            weeks[(row.day - first_monday).days // 7].visits.append(row)
    for week in weeks:
        week.visits.sort(key=lambda row: (row.day, row.visit.pk))
    query = urlencode([(k, v) for k, vs in request.GET.lists() if k != "month" for v in vs if v])
    in_month = [row for w in weeks for row in w.visits if month <= row.day <= last]
    done = sum(1 for row in in_month if row.visit.done_on)
    planned = len(in_month) - done
    return render(
        request,
        "supervision/calendar.html",
        {
            "form": form,
            "notices": f.notices,
            "picker": region_picker(request.user, f.region),
            "unit": f.region or request.user.region,
            "month": month,
            "weeks": weeks,
            "previous": _shift(month, -1),
            "next": _shift(month, 1),
            "query": query,
            "done": done,
            "planned": planned,
            "today": _today(),
            "can_edit": user_can(request.user, Capability.SUPERVISION_EDIT),
        },
    )
