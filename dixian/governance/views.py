"""Village governance pages (docs/domain.md §28): the 四议两公开 list and a decision's page with its steps, the
points scheme (rules, awards, the shop, a household's points), the village documents and the figures per
township; the household page's 积分制 panel is built here too.

Every read goes through selectors.py (404 outside the account's subtree), every write through services.py,
whose ValidationError is shown on the form. Attachments are served only to accounts that see the record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.common.access import region_range_q
from dixian.common.attachments import attachment_response
from dixian.common.filters import dropped_notices, region_picker, resolve_region
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.paging import paginate
from dixian.registry.models import Household

from . import figures, rules, services
from .forms import (
    AwardForm,
    DateForm,
    DecisionFilterForm,
    DecisionForm,
    DocumentFilterForm,
    DocumentForm,
    RedeemForm,
    RuleFilterForm,
    RuleForm,
    StepForm,
)
from .models import Decision, PointsAward, PointsRedemption
from .selectors import (
    awards_for_user,
    decision_get_for_user,
    decisions_for_user,
    document_get_for_user,
    documents_for_user,
    points_household_get,
    redemptions_for_user,
    rule_get_for_user,
    rules_for_user,
    step_get,
)

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.regions.models import Region

PAGE_SIZE = 50


def _query(request: AuthenticatedHttpRequest) -> str:
    return urlencode([(k, v) for k, vs in request.GET.lists() if k != "page" for v in vs if v])


def _can_edit(user: User) -> bool:
    return user_can(user, Capability.GOVERNANCE_EDIT)


def _region_of(
    request: AuthenticatedHttpRequest, form: Any
) -> tuple[list[str], Region | None, dict[str, Any]]:
    notices = dropped_notices(form)
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    region = resolve_region(request.user, data.get("region") or [], notices)
    return notices, region, data


def _serve(path: str, name: str) -> FileResponse:
    """A stored attachment: never cached, never sniffed; a PDF is a download, an image shown inline."""
    if not path:
        raise Http404("没有附件")
    return attachment_response(path, name=name)


def _form_page(
    request: AuthenticatedHttpRequest, form: Any, title: str, button: str, back: str, *, upload: bool = False
) -> HttpResponse:
    return render(
        request,
        "governance/small_form.html",
        {"form": form, "title": title, "button": button, "back": back, "upload": upload},
        status=400 if request.method == "POST" else 200,
    )


# ---- 四议两公开 --------------------------------------------------------------------------------------------


@capability_required(Capability.GOVERNANCE_VIEW)
@require_GET
def decision_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = DecisionFilterForm(request.GET)
    notices, region, data = _region_of(request, form)
    qs = decisions_for_user(user)
    if region is not None:
        qs = qs.filter(region_range_q(region.prefix))
    if data.get("q"):
        qs = qs.filter(title__contains=data["q"].strip())
    if data.get("category"):
        qs = qs.filter(category=data["category"])
    if data.get("status"):
        qs = qs.filter(status=data["status"])
    if data.get("flagged"):
        qs = qs.exclude(status=Decision.Status.OPEN).exclude(missing="")
    page = paginate(qs.select_related("region").order_by("-pk"), request.GET.get("page"), per_page=PAGE_SIZE)
    return render(
        request,
        "governance/decision_list.html",
        {
            "form": form,
            "notices": notices,
            "picker": region_picker(user, region),
            "page": page,
            "query": _query(request),
            "today": timezone.localdate(),
            "can_edit": _can_edit(user),
        },
    )


@capability_required(Capability.GOVERNANCE_EDIT)
@require_http_methods(["GET", "POST"])
def decision_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DecisionForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            decision = services.decision_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "事项已登记,请按顺序登记四议两公开的各项程序")
            return redirect("governance:decision_detail", pk=decision.pk)
    return _form_page(request, form, "登记四议两公开事项", "登记", reverse("governance:decision_list"))


@capability_required(Capability.GOVERNANCE_VIEW)
@require_GET
def decision_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    decision = decision_get_for_user(request.user, pk)
    recorded = {s.step: s for s in decision.steps.all()}
    missing = set(decision.missing.split(","))
    steps = [
        {"code": code, "label": label, "row": recorded.get(code), "missing": code in missing}
        for code, label in rules.STEPS
    ]
    return render(
        request,
        "governance/decision_detail.html",
        {
            "decision": decision,
            "steps": steps,
            "meetings": rules.MEETINGS,
            "today": timezone.localdate(),
            "can_edit": _can_edit(request.user),
        },
    )


@capability_required(Capability.GOVERNANCE_EDIT)
@require_http_methods(["GET", "POST"])
def step_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    decision = decision_get_for_user(request.user, pk)
    posted = request.method == "POST"
    initial = {"step": request.GET.get("step") or decision.next_step or "proposal"}
    form = StepForm(request.POST if posted else None, request.FILES if posted else None, initial=initial)
    if posted and form.is_valid():
        try:
            row = services.step_record(actor=request.user, decision=decision, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已登记{row.get_step_display()}")
            return redirect("governance:decision_detail", pk=decision.pk)
    back = reverse("governance:decision_detail", args=[decision.pk])
    return _form_page(request, form, f"登记程序:{decision.title}", "登记", back, upload=True)


@capability_required(Capability.GOVERNANCE_VIEW)
@require_GET
def step_attachment(request: AuthenticatedHttpRequest, pk: int, step_pk: int) -> FileResponse:
    decision = decision_get_for_user(request.user, pk)
    step = step_get(decision, step_pk)
    return _serve(step.attachment, f"decision-{decision.pk}-{step.step}")


def _dated(request: AuthenticatedHttpRequest, pk: int, *, close: bool) -> HttpResponse:
    decision = decision_get_for_user(request.user, pk)
    form = DateForm(request.POST if request.method == "POST" else None)
    form.fields["on"].label = "办结日期" if close else "实施日期"
    if request.method == "POST" and form.is_valid():
        on = form.cleaned_data["on"]
        try:
            if close:
                services.decision_close(actor=request.user, decision=decision, closed_on=on)
            else:
                services.decision_implement(actor=request.user, decision=decision, implemented_on=on)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            decision.refresh_from_db()
            if decision.missing:
                messages.warning(
                    request,
                    f"已登记。缺少{'、'.join(decision.missing_labels)},已列入问题整改台账",
                )
            else:
                messages.success(request, "已登记")
            return redirect("governance:decision_detail", pk=decision.pk)
    title = f"{'办结' if close else '登记实施'}:{decision.title}"
    back = reverse("governance:decision_detail", args=[decision.pk])
    return _form_page(request, form, title, "办结" if close else "登记", back)


@capability_required(Capability.GOVERNANCE_EDIT)
@require_http_methods(["GET", "POST"])
def decision_implement(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _dated(request, pk, close=False)


@capability_required(Capability.GOVERNANCE_EDIT)
@require_http_methods(["GET", "POST"])
def decision_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _dated(request, pk, close=True)


# ---- 积分制 -------------------------------------------------------------------------------------------------


@capability_required(Capability.GOVERNANCE_VIEW)
@require_GET
def points(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The latest awards and redemptions of the unit (households the account may see by name)."""
    user = request.user
    form = RuleFilterForm(request.GET)
    notices, region, _data = _region_of(request, form)
    awards = awards_for_user(user)
    redemptions = redemptions_for_user(user)
    if region is not None:
        awards = awards.filter(region_range_q(region.prefix))
        redemptions = redemptions.filter(region_range_q(region.prefix))
    page = paginate(
        awards.select_related("household", "rule").order_by("-awarded_on", "-pk"),
        request.GET.get("page"),
        per_page=PAGE_SIZE,
    )
    return render(
        request,
        "governance/points.html",
        {
            "form": form,
            "notices": notices,
            "picker": region_picker(user, region),
            "page": page,
            "redemptions": list(redemptions.select_related("household").order_by("-redeemed_on", "-pk")[:20]),
            "query": _query(request),
        },
    )


@capability_required(Capability.GOVERNANCE_VIEW)
@require_GET
def rule_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = RuleFilterForm(request.GET)
    notices, region, _data = _region_of(request, form)
    qs = rules_for_user(user)
    if region is not None:
        qs = qs.filter(region_range_q(region.prefix))
    page = paginate(qs.select_related("region").order_by("region_code", "item"), request.GET.get("page"))
    return render(
        request,
        "governance/rule_list.html",
        {
            "form": form,
            "notices": notices,
            "picker": region_picker(user, region),
            "page": page,
            "query": _query(request),
            "can_edit": _can_edit(user),
        },
    )


@capability_required(Capability.GOVERNANCE_EDIT)
@require_http_methods(["GET", "POST"])
def rule_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = RuleForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.rule_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已新增积分规则:{rule}")
            return redirect("governance:rule_list")
    return _form_page(request, form, "新增积分规则", "新增", reverse("governance:rule_list"))


@capability_required(Capability.GOVERNANCE_EDIT)
@require_POST
def rule_toggle(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    rule = rule_get_for_user(request.user, pk)
    rule = services.rule_toggle(actor=request.user, rule=rule)
    messages.success(request, f"积分规则「{rule.item}」已{'启用' if rule.active else '停用'}")
    return redirect("governance:rule_list")


def _balance_row(household_id: int) -> dict[str, int]:
    """Awarded, redeemed and the balance of one household, in one query (two subqueries)."""
    awarded = (
        PointsAward.objects.filter(household_id=OuterRef("pk"))
        .order_by()
        .values("household_id")
        .annotate(s=Sum("points"))
        .values("s")
    )
    spent = (
        PointsRedemption.objects.filter(household_id=OuterRef("pk"))
        .order_by()
        .values("household_id")
        .annotate(s=Sum("points"))
        .values("s")
    )
    row = (
        Household.objects.filter(pk=household_id)
        .annotate(
            awarded=Coalesce(Subquery(awarded, output_field=IntegerField()), Value(0)),
            spent=Coalesce(Subquery(spent, output_field=IntegerField()), Value(0)),
        )
        .values("awarded", "spent")
        .first()
    ) or {"awarded": 0, "spent": 0}
    return {"awarded": row["awarded"], "spent": row["spent"], "balance": row["awarded"] - row["spent"]}


@capability_required(Capability.GOVERNANCE_VIEW)
@require_GET
def household_points(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    household = points_household_get(request.user, pk)
    return render(
        request,
        "governance/household_points.html",
        {
            "household": household,
            "sums": _balance_row(household.pk),
            "awards": list(
                PointsAward.objects.filter(household=household)
                .select_related("rule")
                .order_by("-awarded_on", "-pk")[:200]
            ),
            "redemptions": list(
                PointsRedemption.objects.filter(household=household).order_by("-redeemed_on", "-pk")[:200]
            ),
            "can_edit": _can_edit(request.user),
        },
    )


@capability_required(Capability.GOVERNANCE_EDIT)
@require_http_methods(["GET", "POST"])
def award_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    household = points_household_get(request.user, pk)
    form = AwardForm(
        request.POST if request.method == "POST" else None, village_code=household.region_code[:12]
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.points_award(actor=request.user, household=household, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "积分已登记")
            return redirect("governance:household_points", pk=household.pk)
    back = reverse("governance:household_points", args=[household.pk])
    return _form_page(request, form, f"登记积分:{household.head_name}户", "登记", back)


@capability_required(Capability.GOVERNANCE_EDIT)
@require_http_methods(["GET", "POST"])
def redeem_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    household = points_household_get(request.user, pk)
    form = RedeemForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.points_redeem(actor=request.user, household=household, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "兑换已登记")
            return redirect("governance:household_points", pk=household.pk)
    back = reverse("governance:household_points", args=[household.pk])
    return _form_page(request, form, f"积分超市兑换:{household.head_name}户", "兑换", back)


# ---- 村规民约 and 红白理事会 ------------------------------------------------------------------------------------


@capability_required(Capability.GOVERNANCE_VIEW)
@require_GET
def document_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = DocumentFilterForm(request.GET)
    notices, region, data = _region_of(request, form)
    qs = documents_for_user(user)
    if region is not None:
        qs = qs.filter(region_range_q(region.prefix))
    if data.get("kind"):
        qs = qs.filter(kind=data["kind"])
    page = paginate(
        qs.select_related("region").order_by("region_code", "kind", "-adopted_on"), request.GET.get("page")
    )
    return render(
        request,
        "governance/document_list.html",
        {
            "form": form,
            "notices": notices,
            "picker": region_picker(user, region),
            "page": page,
            "query": _query(request),
            "can_edit": _can_edit(user),
        },
    )


@capability_required(Capability.GOVERNANCE_EDIT)
@require_http_methods(["GET", "POST"])
def document_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = DocumentForm(
        request.POST if posted else None, request.FILES if posted else None, user=request.user
    )
    if posted and form.is_valid():
        try:
            services.document_add(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "文件已登记")
            return redirect("governance:document_list")
    return _form_page(
        request,
        form,
        "登记村规民约或红白理事会章程",
        "登记",
        reverse("governance:document_list"),
        upload=True,
    )


@capability_required(Capability.GOVERNANCE_VIEW)
@require_GET
def document_file(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    document = document_get_for_user(request.user, pk)
    return _serve(document.file, f"document-{document.pk}")


# ---- figures per township -----------------------------------------------------------------------------------


@capability_required(Capability.GOVERNANCE_VIEW)
@require_GET
def figures_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = RuleFilterForm(request.GET)
    notices, region, _data = _region_of(request, form)
    decisions = decisions_for_user(user)
    awards = awards_for_user(user)
    redemptions = redemptions_for_user(user)
    if region is not None:
        decisions = decisions.filter(region_range_q(region.prefix))
        awards = awards.filter(region_range_q(region.prefix))
        redemptions = redemptions.filter(region_range_q(region.prefix))
    return render(
        request,
        "governance/figures.html",
        {
            "form": form,
            "notices": notices,
            "picker": region_picker(user, region),
            "report": figures.report(decisions, awards, redemptions),
        },
    )


# ---- the household page's panel ---------------------------------------------------------------------------


def household_panel(user: User, household: Household) -> dict[str, Any]:
    """积分制 on the household page: the balance, awarded and redeemed (one query), for accounts that may see
    the governance ledger; nothing (and no query) for the others."""
    if not user_can(user, Capability.GOVERNANCE_VIEW):
        return {"governance_points": None}
    return {"governance_points": _balance_row(household.pk)}
