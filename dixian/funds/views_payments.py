"""Payments (支出), the negative list (负面清单) and the year's funds policy (docs/domain.md §22).

The finance office records a payment on the project's page; the service refuses it, with the reason, before
the project's start, beyond its budget or for a use on the negative list in force on its date. The city
keeps the negative list as versions (never editing one in force) and the year's settings.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.common.access import region_range_q, scope_by_region
from dixian.common.filters import region_picker
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.paging import paginate
from dixian.domain import funds as fd

from . import payments as services
from .forms_projects import NegativeListForm, PaymentForm, PolicyForm, ProjectFilterForm
from .models import FundsPolicy, Payment
from .negative_list import negative_list_on, version_on
from .selectors_projects import project_get_for_user, use_label

PAGE_SIZE = 50


@capability_required(Capability.FUNDS_EDIT)
@require_http_methods(["GET", "POST"])
def payment_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = project_get_for_user(request.user, pk)
    form = PaymentForm(request.POST or None, initial={"paid_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.payment_record(
                project=project,
                actor=request.user,
                paid_on=data["paid_on"],
                amount=data["amount"],
                use_category=data["use_category"],
                payee_category=data["payee_category"],
                level=data["level"],
                payee=data["payee"],
                voucher_no=data["voucher_no"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已录入支付 {data['amount']:,.2f} 元。")
            return redirect("funds:project_detail", pk=project.pk)
    paid = services.paid_total(project)
    return render(
        request,
        "funds/payments_form.html",
        {
            "form": form,
            "project": project,
            "paid": paid,
            "left": max(project.budget_total - paid, Decimal("0.00")),
            "negative": negative_list_on(timezone.localdate()),
            "uses": fd.USE_CATEGORIES,
        },
    )


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def payment_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = ProjectFilterForm(request.GET, user=user)
    filters = form.filters()
    qs = scope_by_region(user, Payment.objects.all())
    if filters.region is not None:
        qs = qs.filter(region_range_q(filters.region.prefix))
    if filters.year is not None:
        qs = qs.filter(project__year=filters.year)
    if filters.project is not None:
        qs = qs.filter(project_id=filters.project)
    total = qs.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")
    page = paginate(
        qs.select_related("project").order_by("-paid_on", "-pk"), request.GET.get("page"), per_page=PAGE_SIZE
    )
    rows = [
        {
            "payment": p,
            "use": use_label(p.use_category),
        }
        for p in page.rows
    ]
    return render(
        request,
        "funds/payments_list.html",
        {
            "form": form,
            "notices": filters.notices,
            "page": page,
            "rows": rows,
            "total": total,
            "query": urlencode(filters.params()),
            "picker": region_picker(user, filters.region),
        },
    )


# ---- the negative list ----------------------------------------------------------------------------------


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def negative_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    in_force = version_on(today)
    current = negative_list_on(today)
    return render(
        request,
        "funds/payments_negative_list.html",
        {
            "today": today,
            "in_force": in_force,
            "current": [(use_label(c), rule) for c, rule in current.items()],
            "versions": [
                {
                    "version": v,
                    "items": [
                        (
                            use_label(i.use_category),
                            i.rule,
                        )
                        for i in v.items.all()
                    ],
                    "future": v.valid_from > today,
                }
                for v in services.negative_list_versions()
            ],
            "may_edit": user_can(request.user, Capability.FUNDS_RULES_EDIT),
        },
    )


@capability_required(Capability.FUNDS_RULES_EDIT)
@require_http_methods(["GET", "POST"])
def negative_list_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = NegativeListForm(
        request.POST or None,
        current=negative_list_on(today),
        initial={"valid_from": today + dt.timedelta(days=1)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = services.negative_list_version_add(
                actor=request.user,
                valid_from=form.cleaned_data["valid_from"],
                note=form.cleaned_data["note"],
                items=form.items(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"已发布负面清单第{version.number}版,{version.valid_from:%Y-%m-%d}起生效。"
            )
            return redirect("funds:negative_list")
    return render(request, "funds/payments_negative_list_form.html", {"form": form})


# ---- the year's policy ----------------------------------------------------------------------------------


@capability_required(Capability.FUNDS_RULES_EDIT)
@require_http_methods(["GET", "POST"])
def policy(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = PolicyForm(
        request.POST or None,
        initial={
            "year": today.year,
            "industry_share_percent": fd.DEFAULT_INDUSTRY_SHARE_MIN * 100,
            "publicity_days": fd.DEFAULT_PUBLICITY_DAYS,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.funds_policy_set(
                actor=request.user,
                year=data["year"],
                industry_share_min=data["industry_share_percent"] / 100,
                publicity_days=data["publicity_days"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已保存{saved.year}年资金管理要求。")
            return redirect("funds:policy")
    return render(
        request,
        "funds/payments_policy.html",
        {
            "form": form,
            "policies": list(FundsPolicy.objects.select_related("updated_by").order_by("-year")),
            "defaults": (fd.DEFAULT_INDUSTRY_SHARE_MIN, fd.DEFAULT_PUBLICITY_DAYS),
        },
    )
