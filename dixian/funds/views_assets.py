"""Asset pages (docs/domain.md §22): the asset list with its totals by class, an asset's page (ledger, incomes,
history, disposal), the registration form, and an income's distribution list — the published list (公示:
household head, village, amount; never an ID number or a phone) as page, print page and .xlsx.

Every read goes through selectors_assets (404 outside the account's subtree); every write through the
services of assets.py, whose ValidationError is shown on the form."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.common.access import region_range_q, scope_by_region
from dixian.common.filters import dropped_notices, region_picker, resolve_region
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.paging import paginate_exact
from dixian.common.spreadsheets import Sheet, export_workbook
from dixian.regions.models import Region

from . import assets as services
from .forms_assets import (
    AssetFilterForm,
    AssetForm,
    DisposalDecideForm,
    DisposalProposeForm,
    DistributionForm,
    IncomeForm,
    MaintenanceForm,
)
from .models import Asset, AssetIncome, Distribution
from .selectors_assets import (
    asset_class_totals,
    asset_get_for_user,
    assets_for_user,
    distributions_for_user,
    gone_recipient_findings,
    income_get_for_user,
    project_for_assets,
)

PAGE_SIZE = 50


def _query(request: AuthenticatedHttpRequest) -> str:
    return urlencode([(k, v) for k, vs in request.GET.lists() if k != "page" for v in vs if v])


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def asset_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = AssetFilterForm(request.GET)
    notices = dropped_notices(form)
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    region = resolve_region(user, data.get("region") or [], notices)
    qs = assets_for_user(user)
    if region is not None:
        qs = qs.filter(region_range_q(region.prefix))
    if data.get("asset_class"):
        qs = qs.filter(asset_class=data["asset_class"])
    if data.get("state"):
        qs = qs.filter(state=data["state"])
    if data.get("year"):
        qs = qs.filter(project__year=data["year"])
    totals = asset_class_totals(qs)
    page = paginate_exact(
        qs.select_related("project", "household").order_by("-pk"), request.GET.get("page"), per_page=PAGE_SIZE
    )
    return render(
        request,
        "funds/assets_list.html",
        {
            "form": form,
            "notices": notices,
            "picker": region_picker(user, region),
            "page": page,
            "query": _query(request),
            "totals": totals,
            "total_count": sum(t.count for t in totals),
            "total_value": sum(t.value for t in totals),
            "can_edit": user_can(user, Capability.ASSETS_EDIT),
        },
    )


def _detail(request: AuthenticatedHttpRequest, asset: Asset, status: int = 200, **forms: Any) -> HttpResponse:
    user = request.user
    incomes = list(asset.incomes.order_by("-year").annotate(distributed=Sum("distributions__amount")))
    context = {
        "asset": asset,
        "ledger": list(asset.maintenance.order_by("-done_on", "-pk")[:200]),
        "incomes": incomes,
        "events": list(asset.events.order_by("at", "pk")),
        "can_edit": user_can(user, Capability.ASSETS_EDIT),
        "can_decide": user_can(user, Capability.ASSETS_DISPOSE_APPROVE),
        "maintenance_form": forms.get("maintenance_form") or MaintenanceForm(),
        "income_form": forms.get("income_form") or IncomeForm(),
        "propose_form": forms.get("propose_form") or DisposalProposeForm(),
        "decide_form": forms.get("decide_form") or DisposalDecideForm(),
        "disposal_kinds": services.DISPOSAL_KINDS,
    }
    return render(request, "funds/assets_detail.html", context, status=status)


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def asset_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _detail(request, asset_get_for_user(request.user, pk))


@capability_required(Capability.ASSETS_EDIT)
@require_http_methods(["GET", "POST"])
def asset_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = AssetForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            project = project_for_assets(user, data["project_code"])
            if project is None:
                form.add_error("project_code", "项目编号在您辖区的项目库中不存在,请核对")
            else:
                try:
                    asset = services.asset_register(
                        actor=user,
                        project=project,
                        name=data["name"],
                        asset_class=data["asset_class"],
                        value=data["value"],
                        owner_unit=data["owner_unit"],
                        manager=data["manager"],
                        operator=data["operator"],
                        handed_over_on=data["handed_over_on"],
                        household_no=data["household_no"],
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, f"资产“{asset.name}”已登记")
                    return redirect("funds:asset_detail", pk=asset.pk)
    else:
        form = AssetForm(initial={"project_code": request.GET.get("project", "")[:40]})
    return render(request, "funds/assets_form.html", {"form": form})


@capability_required(Capability.ASSETS_EDIT)
@require_POST
def maintenance_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    asset = asset_get_for_user(request.user, pk)
    form = MaintenanceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.maintenance_record(
                actor=request.user,
                asset=asset,
                done_on=data["done_on"],
                kind=data["kind"],
                cost=data["cost"] or services.ZERO,
                note=data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "管护记录已登记")
            return redirect("funds:asset_detail", pk=asset.pk)
    return _detail(request, asset, 400, maintenance_form=form)


@capability_required(Capability.ASSETS_EDIT)
@require_POST
def income_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    asset = asset_get_for_user(request.user, pk)
    form = IncomeForm(request.POST)
    if form.is_valid():
        try:
            income = services.income_record(
                actor=request.user,
                asset=asset,
                year=form.cleaned_data["year"],
                amount=form.cleaned_data["amount"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{income.year}年收益已登记,请录入收益分配")
            return redirect("funds:distribution_list", pk=income.pk)
    return _detail(request, asset, 400, income_form=form)


@capability_required(Capability.ASSETS_EDIT)
@require_POST
def disposal_propose(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    asset = asset_get_for_user(request.user, pk)
    form = DisposalProposeForm(request.POST)
    if form.is_valid():
        try:
            services.disposal_propose(
                actor=request.user,
                asset=asset,
                kind=form.cleaned_data["kind"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "处置申请已提交,待县级审批")
            return redirect("funds:asset_detail", pk=asset.pk)
    return _detail(request, asset, 400, propose_form=form)


@capability_required(Capability.ASSETS_DISPOSE_APPROVE)
@require_POST
def disposal_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    asset = asset_get_for_user(request.user, pk)
    form = DisposalDecideForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.disposal_decide(
                actor=request.user,
                asset=asset,
                approve=data["decision"] == "approve",
                note=data["note"],
                disposed_on=data["disposed_on"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "处置审批已办理")
            return redirect("funds:asset_detail", pk=asset.pk)
    return _detail(request, asset, 400, decide_form=form)


# ---- an income's distribution: the published list ----------------------------------------------------


def _published_rows(request: AuthenticatedHttpRequest, income: AssetIncome) -> list[dict[str, Any]]:
    """The rows of the published list (公示): head of household, village, recipient, month, amount. Never an
    ID number, a phone or a household number (docs/domain.md §22; docs/security.md)."""
    shares = list(distributions_for_user(request.user, income).select_related("household"))
    villages = dict(
        Region.objects.filter(code__in={s.household.region_code[:12] for s in shares}).values_list(
            "code", "name"
        )
    )
    return [
        {
            "head_name": s.household.head_name,
            "village": villages.get(s.household.region_code[:12], ""),
            "recipient_name": s.recipient_name,
            "period": s.period,
            "amount": s.amount,
        }
        for s in shares
    ]


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def distribution_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    income = income_get_for_user(request.user, pk)
    return _distribution_page(request, income, DistributionForm())


def _distribution_page(
    request: AuthenticatedHttpRequest, income: AssetIncome, form: DistributionForm, status: int = 200
) -> HttpResponse:
    user = request.user
    rows = _published_rows(request, income)
    total = sum((r["amount"] for r in rows), services.ZERO)
    context = {
        "income": income,
        "asset": income.asset,
        "rows": rows,
        "total": total,
        "left": income.amount - total,
        "findings": gone_recipient_findings(distributions_for_user(user, income)),
        "can_edit": user_can(user, Capability.ASSETS_EDIT) and income.asset.state != Asset.State.DISPOSED,
        "form": form,
    }
    return render(request, "funds/assets_distribution_list.html", context, status=status)


@capability_required(Capability.ASSETS_EDIT)
@require_POST
def distribution_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    income = income_get_for_user(request.user, pk)
    form = DistributionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            share = services.distribution_record(
                actor=request.user,
                income=income,
                household_no=data["household_no"],
                period=data["period"],
                amount=data["amount"],
                recipient_name=data["recipient_name"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已登记:{share.recipient_name} {share.period} {share.amount:,.2f} 元")
            return redirect("funds:distribution_list", pk=income.pk)
    return _distribution_page(request, income, form, 400)


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def distribution_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    income = income_get_for_user(request.user, pk)
    rows = _published_rows(request, income)
    return render(
        request,
        "funds/assets_distribution_print.html",
        {
            "income": income,
            "asset": income.asset,
            "rows": rows,
            "total": sum((r["amount"] for r in rows), services.ZERO),
        },
    )


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def distribution_xlsx(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    income = income_get_for_user(request.user, pk)
    rows = _published_rows(request, income)
    out = io.BytesIO()
    book, formats = export_workbook(out)
    sheet = Sheet(
        book,
        "收益分配公示",
        [
            ("序号", 6),
            ("户主姓名", 12),
            ("所在村", 16),
            ("领取人", 12),
            ("发放月份", 10),
            ("分配金额(元)", 14),
        ],
        formats,
    )
    for n, r in enumerate(rows, start=1):
        sheet.write([n, r["head_name"], r["village"], r["recipient_name"], r["period"], r["amount"]])
    sheet.finish()
    book.close()
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"收益分配公示_{income.asset.pk}_{income.year}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def distribution_findings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """疑点: shares recorded for a month after the recipient died or left, in the account's subtree."""
    findings = gone_recipient_findings(scope_by_region(request.user, Distribution.objects.all()))
    return render(request, "funds/assets_findings.html", {"findings": findings})
