"""Staff pages for self-declarations (/declarations/): the list, one declaration, its handling, and the
village QR codes and posters that lead applicants to the public page.

Village officers, township and county staff see their own subtree (404 outside it); other roles get 403
for every record alike. ID numbers and phones are masked unless the account may view personal data.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.cases.models import Alert
from dixian.common.access import code_in_scope, may_view_pii
from dixian.common.access_log import log_access
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.masking import id_number_shown, phone_shown
from dixian.common.paging import paginate_exact
from dixian.monitoring import entry
from dixian.monitoring.forms_entry import RegisterForm
from dixian.monitoring.models import MonitoringCase
from dixian.monitoring.selectors import case_scope_for_user
from dixian.monitoring.services import OPENERS
from dixian.regions.models import Region
from dixian.registry.selectors import household_scope_for_user

from . import selectors, services
from .forms import DeclarationFilterForm, StatusChangeForm
from .models import Declaration

PAGE_SIZE = 30
VILLAGE_PAGE_SIZE = 24
ACCEPT_DAYS = 2  # docs/domain.md §4: the township accepts within 2 days
VISIT_WORKING_DAYS = 5  # … and the home visit happens within 2–5 working days


@dataclass
class Deadlines:
    accept_by: dt.date
    visit_by: dt.date
    overdue: str  # "" or what is late
    # A declaration that became an alert has no clock of its own: the alert's 核实期限, or once 拟纳入 its
    # case's 认定期限 (docs/domain.md §20).
    follows: str = ""  # "" or what the date below is ("预警核实期限" / "监测认定期限")
    due_on: dt.date | None = None


def deadlines(
    declaration: Declaration, today: dt.date, clock: selectors.AlertClock | None = None
) -> Deadlines:
    start = timezone.localdate(declaration.created_at)
    accept_by = start + dt.timedelta(days=ACCEPT_DAYS)
    visit_by = selectors.working_days_after(start, VISIT_WORKING_DAYS)
    overdue = ""
    if clock is not None:
        alert = clock.alert
        if alert.status == Alert.Status.PROPOSED:
            follows, due = "监测认定期限", clock.case_due
        else:
            follows, due = "预警核实期限", alert.due_date
        if alert.is_open and due is not None and today > due:
            overdue = "认定超期" if alert.status == Alert.Status.PROPOSED else "核实超期"
        return Deadlines(accept_by, visit_by, overdue, follows, due)
    if declaration.status == Declaration.Status.RECEIVED and today > accept_by:
        overdue = "超期未受理"
    elif (
        declaration.status in (Declaration.Status.RECEIVED, Declaration.Status.VERIFYING) and today > visit_by
    ):
        overdue = "超期未核实"
    return Deadlines(accept_by, visit_by, overdue)


def _shown(declaration: Declaration, pii: bool) -> None:
    declaration.id_shown = id_number_shown(declaration.id_number, pii=pii)  # type: ignore[attr-defined]  # shown by the template
    declaration.phone_shown = phone_shown(declaration.phone, pii=pii)  # type: ignore[attr-defined]  # shown by the template
    declaration.staff_status = services.STAFF_LABELS[Declaration.Status(declaration.status)]  # type: ignore[attr-defined]  # shown by the template


@capability_required(Capability.DECLARATIONS_HANDLE)
@require_GET
def declaration_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DeclarationFilterForm(request.GET)
    filters = form.values()
    qs = selectors.declaration_list_for_user(request.user, **filters)
    page = paginate_exact(qs, request.GET.get("page"), per_page=PAGE_SIZE)
    pii = may_view_pii(request.user)
    today = timezone.localdate()
    clocks = selectors.declaration_clocks(list(page))
    for d in page:
        _shown(d, pii)
        d.deadlines = deadlines(d, today, clocks.get(d.pk))  # shown by the template
    query = urlencode({k: v for k, v in filters.items() if v})
    if pii and page.object_list:  # full ID and phone numbers on the page: a reveal (docs/security.md §5)
        log_access(
            request,
            count=len(page.object_list),
            scope=f"自主申报列表 第 {page.number} 页",
            fields=("name", "id_number", "phone"),
        )
    context = {"form": form, "page": page, "query": query, "pii": pii}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "declarations/partials/_declaration_table.html", context)
    return render(request, "declarations/declaration_list.html", context)


def _detail_context(
    request: AuthenticatedHttpRequest,
    declaration: Declaration,
    form: StatusChangeForm | None = None,
    register_form: RegisterForm | None = None,
) -> dict:
    user = request.user
    pii = may_view_pii(user)
    _shown(declaration, pii)
    household = None
    if declaration.household_id:
        household = household_scope_for_user(user).filter(pk=declaration.household_id).first()
    clock = selectors.declaration_clocks([declaration]).get(declaration.pk)
    alert = clock.alert if clock and code_in_scope(user, clock.alert.region_code) else None
    case_id = None
    if alert is not None and clock is not None and clock.case_id is not None:
        case_id = case_scope_for_user(user).filter(pk=clock.case_id).values_list("pk", flat=True).first()
    if form is None and services.ALLOWED_TRANSITIONS.get(declaration.status):
        form = StatusChangeForm(declaration=declaration)
    # 登记并发起监测: a declarant not in the registry, whose alert is still to verify (docs/domain.md §20).
    may_register = (
        clock is not None
        and alert is not None
        and alert.household_id is None
        and alert.status in Alert.TO_VERIFY_STATUSES
        and user_can(user, Capability.REGISTRY_EDIT)
        and any(user_can(user, c) for c in OPENERS)
    )
    return {
        "d": declaration,
        "pii": pii,
        "household": household,
        "matched_elsewhere": bool(declaration.household_id) and household is None,
        "alert": alert,
        "case_id": case_id,
        "may_register": may_register,
        "register_form": register_form
        or (RegisterForm(initial={"name": declaration.name}) if may_register else None),
        "deadlines": deadlines(declaration, timezone.localdate(), clock),
        "form": form,
        "history": list(selectors.declaration_history(declaration)[:50]),
    }


@capability_required(Capability.DECLARATIONS_HANDLE)
@require_GET
def declaration_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    declaration = selectors.declaration_get_for_user(request.user, pk)
    log_access(
        request,
        household=declaration.household_id,
        region_code=declaration.region_code,
        fields=("name", "id_number", "phone", "description"),
    )
    return render(request, "declarations/declaration_detail.html", _detail_context(request, declaration))


@capability_required(Capability.DECLARATIONS_HANDLE)
@require_POST
def declaration_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    declaration = selectors.declaration_get_for_user(request.user, pk)
    form = StatusChangeForm(request.POST, declaration=declaration)
    if form.is_valid():
        try:
            declaration = services.declaration_set_status(
                declaration=declaration,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(
                request,
                f"申报 {declaration.reference} 已改为“{services.STAFF_LABELS[Declaration.Status(declaration.status)]}”",
            )
            return redirect("declarations:detail", pk=declaration.pk)
    return render(
        request,
        "declarations/declaration_detail.html",
        _detail_context(request, declaration, form),
        status=422,
    )


@capability_required(Capability.DECLARATIONS_HANDLE)
@require_POST
def declaration_register(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """登记并发起监测: the declarant is not in the registry; register the household from the declaration (name,
    ID number when valid, village) and open its case with the declaration's alerts (docs/domain.md §20)."""
    user = request.user
    declaration = selectors.declaration_get_for_user(user, pk)  # 404 outside the account's scope
    form = RegisterForm(request.POST)
    if form.is_valid():
        clocks = selectors.declaration_clocks([declaration])
        alerts = [c.alert for c in clocks.values() if c.alert.household_id is None]
        data = form.cleaned_data
        try:
            with transaction.atomic():
                case = entry.case_register_and_open(
                    actor=user,
                    village=declaration.village,
                    name=data["name"],
                    id_number=declaration.id_number,
                    kind=data["kind"],
                    labour_skill=data["labour_skill"],
                    origin=MonitoringCase.Origin.DECLARATION,
                    reason=data["reason"],
                    alerts=alerts,
                    first_clue_on=timezone.localdate(declaration.created_at),
                )
                services.declaration_match(declaration=declaration, household=case.household, actor=user)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                f"已登记农户 {case.household.household_no}(临时户编号)并发起监测帮扶档案,请尽快入户核实、补全家庭信息。",
            )
            return redirect("declarations:detail", pk=declaration.pk)
    return render(
        request,
        "declarations/declaration_detail.html",
        _detail_context(request, declaration, register_form=form),
        status=422,
    )


# ---- villages: QR codes and posters ----------------------------------------------------------------


def public_url(request: HttpRequest, village: Region) -> str:
    path = reverse("declare:village", args=[village.code])
    base = settings.DIXIAN_PUBLIC_BASE_URL
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def qr_for(request: HttpRequest, village: Region) -> segno.QRCode:
    return segno.make(public_url(request, village), error="m")


def qr_svg(qr: segno.QRCode, *, scale: int, title: str = "", border: int = 4) -> str:
    """SVG text of the code; the standard quiet zone (4 modules) unless shown on a white card."""
    buf = io.BytesIO()
    qr.save(
        buf, kind="svg", scale=scale, xmldecl=False, svgns=True, nl=False, title=title or None, border=border
    )
    return buf.getvalue().decode()


@capability_required(Capability.DECLARATIONS_HANDLE)
@require_GET
def village_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    qs = selectors.villages_for_user(request.user).order_by("code")
    page = paginate_exact(qs, request.GET.get("page"), per_page=VILLAGE_PAGE_SIZE)
    for village in page:
        village.url = public_url(request, village)  # shown by the template
        svg = qr_svg(qr_for(request, village), scale=3, title=f"{village.name}申报二维码", border=2)
        village.qr_inline = mark_safe(svg)  # noqa: S308 - shown by the template; segno's SVG escapes the title
    return render(request, "declarations/village_list.html", {"page": page})


def _download_name(village: Region, ext: str) -> str:
    return f"自主申报二维码_{village.name}_{village.code}.{ext}"


@capability_required(Capability.DECLARATIONS_HANDLE)
@require_GET
def village_qr_svg(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    village = selectors.village_get_for_user(request.user, code)
    response = HttpResponse(
        qr_svg(qr_for(request, village), scale=10, title=village.name), content_type="image/svg+xml"
    )
    response["Content-Disposition"] = _disposition(_download_name(village, "svg"))
    return response


@capability_required(Capability.DECLARATIONS_HANDLE)
@require_GET
def village_qr_png(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    village = selectors.village_get_for_user(request.user, code)
    buf = io.BytesIO()
    qr_for(request, village).save(buf, kind="png", scale=12, border=4)
    response = HttpResponse(buf.getvalue(), content_type="image/png")
    response["Content-Disposition"] = _disposition(_download_name(village, "png"))
    return response


def _disposition(filename: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(filename)}"


@capability_required(Capability.DECLARATIONS_HANDLE)
@require_GET
def village_poster(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    village = selectors.village_get_for_user(request.user, code)
    svg = qr_svg(qr_for(request, village), scale=8, title=f"{village.name}申报二维码")
    context = {
        "village": village,
        "place": village.full_name or village.name,
        "url": public_url(request, village),
        "qr": mark_safe(svg),  # noqa: S308 - segno's SVG; it escapes the title
        "hotline": "12317",
    }
    return render(request, "declarations/village_poster.html", context)
