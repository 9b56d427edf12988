"""The case pages (监测帮扶档案, docs/domain.md §20): the queue, a case's page with its step actions, the
home check on a phone, the attachments, and the audited reveal of the household's phone number.

Every read goes through `selectors` (scoped to the account; out of scope answers 404), every write through
`services`, which decide whether the move is legal and who may make it; a refused move comes back as its
Chinese reason on the page. Each action form carries the case's `seq`: a second submission of the same
form (two tabs, two clicks) is told so and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.cases.models import AlertEvidence
from dixian.common.access import may_view_pii
from dixian.common.access_log import log_access
from dixian.common.filters import region_picker
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.masking import phone_shown, reason_shown
from dixian.common.paging import paginate_segments
from dixian.domain import household_facts
from dixian.domain import lifecycle as lc
from dixian.domain.dictionaries import LABOURER_SKILLS
from dixian.registry.models import HouseholdIncome, Person

from . import services
from .forms import (
    AdvanceForm,
    CaseFilterForm,
    HomeCheckForm,
    RefuseForm,
    RejectEliminationForm,
    SendBackForm,
    StepForm,
)
from .models import CaseAttachment, MonitoringCase
from .panels import case_panels_for
from .rows import (
    attachment_label,
    attachment_url,
    case_rows,
    deadline_of,
    risk_names,
    step_progress,
    timeline,
)
from .selectors import (
    STEP_GROUPS,
    attachments_of,
    case_counts_for_user,
    case_get_for_user,
    case_queue_segments,
    transitions_of,
)

PAGE_SIZE = 30


@capability_required(Capability.CASES_VIEW)
@require_GET
def case_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = CaseFilterForm(request.GET, user=user)
    filters = form.filters()
    today = timezone.localdate()
    page = paginate_segments(
        case_queue_segments(user, filters, today),
        request.GET.get("page"),
        fetch=lambda ids: MonitoringCase.objects.filter(pk__in=ids).select_related("household", "region"),
        per_page=PAGE_SIZE,
    )
    return render(
        request,
        "monitoring/case_queue.html",
        {
            "form": form,
            "filters": filters,
            "notices": filters.notices,
            "page": page,
            "rows": case_rows(page.rows, today),
            "query": urlencode(filters.params()),
            "picker": region_picker(user, filters.region),
            "counts": case_counts_for_user(user, today),
            "groups": [(key, label) for key, (label, _) in STEP_GROUPS.items()],
        },
    )


# --- a case's page --------------------------------------------------------------------------------------


def _phone_context(user: Any, case: MonitoringCase, *, revealed: bool = False) -> dict[str, Any]:
    """The household's number as the account may see it: whole with the personal-data right (or after an
    explicit, logged reveal), masked otherwise; a tel: link only with the whole number."""
    number = case.household.phone or ""
    whole = bool(number) and (may_view_pii(user) or revealed)
    return {
        "phone_number": number if whole else phone_shown(number, pii=False),
        "phone_tel": number if whole else "",
        "phone_can_reveal": bool(number)
        and not whole
        and case.is_open
        and user_can(user, Capability.PHONE_REVEAL),
    }


def _forms(user: Any, case: MonitoringCase) -> dict[str, Any]:
    """The forms of the current step for an account that may do it (services.may_act), else none."""
    if not case.is_open or not services.may_act(user, case):
        return {"may_act": False}
    initial = {"seq": case.seq}
    return {
        "may_act": True,
        "advance_form": AdvanceForm(initial=initial) if case.state != lc.HOME_CHECK else None,
        "send_back_form": SendBackForm(initial=initial, state=case.state)
        if lc.earlier_states(case.state)
        else None,
        "refuse_form": RefuseForm(initial=initial) if lc.can_refuse(case.state) else None,
        "reject_form": RejectEliminationForm(initial=initial)
        if lc.can_reject_elimination(case.state)
        else None,
        "asks_method": case.state == lc.MONITORING,
    }


def case_context(request: AuthenticatedHttpRequest, case: MonitoringCase, **extra: Any) -> dict[str, Any]:
    user = request.user
    today = timezone.localdate()
    pii = may_view_pii(user)
    household = case.household
    transitions = transitions_of([case])[case.pk]
    attachments = attachments_of([case])[case.pk]
    members = Person.objects.filter(household=household).aggregate(
        n=Count("id"), labour=Count("id", filter=Q(labour_skill__in=LABOURER_SKILLS))
    )
    return {
        "case": case,
        "household": household,
        "members": members,
        "risks": risk_names(case.risk_codes),
        "deadline": deadline_of(case, today),
        "steps": step_progress(case, today),
        "owner_label": lc.OWNERS.get(case.step.owner, ""),
        "timeline": timeline(transitions, attachments, pii=pii),
        "attachments": [(attachment_label(a, pii=pii), attachment_url(a)) for a in attachments],
        "panels": case_panels_for(user, case),
        **_phone_context(user, case, revealed=extra.pop("revealed", False)),
        **_forms(user, case),
        **extra,
    }


def _logged(request: AuthenticatedHttpRequest, case: MonitoringCase, *, phone: bool = False) -> None:
    log_access(
        request,
        household=case.household,
        fields=("name", "phone", "reason") if phone else ("name", "reason"),
        masked=False if phone else None,
        scope=f"监测帮扶档案 第{case.episode}次" + (":显示电话号码" if phone else ""),
    )


@capability_required(Capability.CASES_VIEW)
@require_GET
def case_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = case_get_for_user(request.user, pk)
    _logged(request, case)
    return render(request, "monitoring/case_detail.html", case_context(request, case))


def _act(
    request: AuthenticatedHttpRequest,
    pk: int,
    form_class: Callable[..., StepForm],
    move: Callable[[MonitoringCase, dict[str, Any]], MonitoringCase],
    done: str,
) -> HttpResponse:
    """Run one step action: the form's own checks, then the service's; every refusal is shown on the
    case's page as its Chinese reason, and nothing is written."""
    case = case_get_for_user(request.user, pk)  # 404 outside the account's scope
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect("monitoring:case_detail", pk=case.pk)
    try:
        move(case, form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        for message in (
            exc.messages if isinstance(exc, ValidationError) else [str(exc) or "您的账号不能办理这一步。"]
        ):
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect("monitoring:case_detail", pk=case.pk)


@capability_required(Capability.CASES_VIEW)
@require_POST
def case_advance(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    def move(case: MonitoringCase, d: dict[str, Any]) -> MonitoringCase:
        if case.state == lc.HOME_CHECK:
            raise ValidationError("入户核实请在“填写入户核实”页面办理(需要类别、风险类型和承诺授权书)。")
        return services.case_advance(
            case=case, actor=request.user, seq=d["seq"], on=d["on"], reason=d["reason"], method=d["method"]
        )

    return _act(request, pk, AdvanceForm, move, "已办理,档案已进入下一环节。")


@capability_required(Capability.CASES_VIEW)
@require_POST
def case_send_back(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = case_get_for_user(request.user, pk)

    def move(case: MonitoringCase, d: dict[str, Any]) -> MonitoringCase:
        return services.case_send_back(
            case=case, actor=request.user, seq=d["seq"], to_state=d["to_state"], reason=d["reason"]
        )

    return _act(
        request, pk, lambda data: SendBackForm(data, state=case.state), move, "已退回,档案回到所选环节。"
    )


@capability_required(Capability.CASES_VIEW)
@require_POST
def case_refuse(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    def move(case: MonitoringCase, d: dict[str, Any]) -> MonitoringCase:
        return services.case_refuse(case=case, actor=request.user, seq=d["seq"], reason=d["reason"])

    return _act(request, pk, RefuseForm, move, "已作不予纳入处理,档案办结。")


@capability_required(Capability.CASES_VIEW)
@require_POST
def case_reject_elimination(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    def move(case: MonitoringCase, d: dict[str, Any]) -> MonitoringCase:
        return services.case_reject_elimination(
            case=case, actor=request.user, seq=d["seq"], reason=d["reason"]
        )

    return _act(request, pk, RejectEliminationForm, move, "已不同意风险消除,该户继续监测帮扶。")


# --- the phone -------------------------------------------------------------------------------------------


@capability_required(Capability.PHONE_REVEAL)
@require_POST
def phone_reveal(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """显示号码: the household's whole number for a front-line account that may open the case, on an
    explicit POST, written to the access log as a reveal (who saw whose number, when: docs/security.md §5).
    Only while the case is open; the number is in this response only, never in a URL or a later page."""
    case = case_get_for_user(request.user, pk)  # 404 outside the account's scope (a helper: its households)
    if not case.is_open:
        messages.error(request, f"该档案已{case.step.label},不再提供拨打电话。")
        return redirect("monitoring:case_detail", pk=case.pk)
    if not case.household.phone:
        messages.error(request, "该户没有登记电话号码。")
        return redirect("monitoring:case_detail", pk=case.pk)
    _logged(request, case, phone=True)
    context = {"case": case, **_phone_context(request.user, case, revealed=True)}
    if request.htmx:
        response = render(request, "monitoring/partials/_phone.html", context)
    else:
        response = render(request, "monitoring/phone_revealed.html", context)
    response["Cache-Control"] = "no-store"
    return response


# --- the home check ---------------------------------------------------------------------------------------


def home_check_facts(case: MonitoringCase, *, pii: bool) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    """The checklist as the registry and the alerts already know it (so nothing known is typed again), and
    the evidence of the case's alerts as the account may read it."""
    household = case.household
    today = timezone.localdate()
    members = list(
        Person.objects.filter(household=household).only(
            "labour_skill", "medical_insurance", "student_status", "birth_date"
        )
    )
    income = HouseholdIncome.objects.filter(household=household).order_by("-year").first()
    evidence = [
        (e.pk, reason_shown(e.reason, pii=pii))
        for e in AlertEvidence.objects.filter(alert__monitoring_cases=case).order_by("created_at", "id")[:20]
    ]
    initial = {
        "members": len(members) or household.member_count or None,
        "labour": sum(1 for m in members if m.labour_skill in LABOURER_SKILLS),
        "income_per_capita": income.net_income_per_capita.quantize(1) if income else None,
        "education_ok": "no"
        if any(household_facts.dropout_of_school_age(m.student_status, m.birth_date, today) for m in members)
        else "yes",
        "medical_ok": "no" if any(not m.medical_insurance for m in members) else "yes",
        # Not yet assessed or not filled in: left for the verifier to answer.
        "housing_ok": ("yes" if household_facts.housing_safe(household.housing_grade) else "no")
        if household.housing_grade
        else None,
        "water_ok": None if household.water_ok is None else ("yes" if household.water_ok else "no"),
        "category": case.category or household.monitoring_category,
        "risk_codes": list(case.risk_codes),
        "seq": case.seq,
        **{f"evidence_{pk}": True for pk, _ in evidence},
    }
    return initial, evidence


@capability_required(Capability.CASES_VILLAGE)
@require_http_methods(["GET", "POST"])
def case_home_check(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    user = request.user
    case = case_get_for_user(user, pk)
    if case.state != lc.HOME_CHECK:
        messages.info(request, f"该档案目前在“{case.step.label}”环节,入户核实已办理。")
        return redirect("monitoring:case_detail", pk=case.pk)
    if not services.may_act(user, case):
        raise PermissionDenied("该档案不在您可以办理的范围内。")
    pii = may_view_pii(user)
    initial, evidence = home_check_facts(case, pii=pii)
    form = HomeCheckForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial=initial,
        evidence=evidence,
    )
    if request.method == "GET":
        _logged(request, case)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            for kind, upload in (
                (CaseAttachment.Kind.AUTHORISATION, d.get("authorisation")),
                (CaseAttachment.Kind.HOME_CHECK, d.get("photo")),
            ):
                if upload:
                    services.attachment_add(case=case, kind=kind, upload=upload, actor=user)
            services.case_advance(
                case=case,
                actor=user,
                seq=d["seq"],
                on=d["on"],
                reason=d.get("note", ""),
                data={
                    "category": d["category"],
                    "risk_codes": d["risk_codes"],
                    "checklist": form.checklist(),
                },
            )
        except (ValidationError, PermissionDenied) as exc:
            for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
                form.add_error(None, message)
        else:
            messages.success(request, "入户核实已完成,档案已转县级信息比对。")
            return redirect("monitoring:case_detail", pk=case.pk)
    authorisations = [
        (attachment_label(a, pii=pii), attachment_url(a))
        for a in case.attachments.filter(kind=CaseAttachment.Kind.AUTHORISATION).order_by("uploaded_at")
    ]
    return render(
        request,
        "monitoring/home_check.html",
        {
            "case": case,
            "household": case.household,
            "form": form,
            "authorisations": authorisations,
            **_phone_context(user, case),
        },
    )


# --- attachments ------------------------------------------------------------------------------------------


@capability_required(Capability.CASES_VIEW)
@require_GET
def attachment(request: AuthenticatedHttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """An attachment, to accounts that may open the case (404 otherwise, as for a key that exists nowhere).
    Never cached (no-store), never sniffed; a PDF is a download, an image shown inline."""
    case = case_get_for_user(request.user, pk)
    found = CaseAttachment.objects.filter(case=case, pk=attachment_pk).first()
    if found is None:
        raise Http404("材料不存在或不在您的管辖范围内")
    try:
        handle = default_storage.open(found.path, "rb")
    except FileNotFoundError:
        raise Http404("材料文件不存在") from None
    log_access(
        request,
        household=case.household,
        fields=("attachment",),
        scope=f"监测帮扶档案 第{case.episode}次:{found.get_kind_display()}",
    )
    response = FileResponse(handle, content_type=found.content_type)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    extension = found.path.rsplit(".", 1)[-1]
    disposition = "attachment" if found.content_type == "application/pdf" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="case-{case.pk}-{found.pk}.{extension}"'
    return response
