"""The timeliness report (识别认定时效) and the identification limit per region (认定时限), docs/domain.md
§5, §20."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from dixian.accounts.capabilities import Capability, capability_required

from .deadlines import (
    Timeliness,
    deadline_policy_clear,
    deadline_policy_set,
    policies_for_user,
    policy_regions_for,
    timeliness_for_user,
)
from .forms_elimination import DeadlinePolicyForm, MonthForm
from .services import deadline_policy_for

if TYPE_CHECKING:
    from dixian.common.http import AuthenticatedHttpRequest


def _report(request: AuthenticatedHttpRequest) -> tuple[Timeliness, list[str]]:
    today = timezone.localdate()
    month = (request.GET.get("month") or "").strip() or f"{today:%Y-%m}"
    notices: list[str] = []
    try:
        return timeliness_for_user(request.user, month, today), notices
    except ValueError as exc:
        notices.append(f"{exc},已显示本月。")
        return timeliness_for_user(request.user, f"{today:%Y-%m}", today), notices


@capability_required(Capability.CASES_VIEW)
@require_GET
def timeliness(request: AuthenticatedHttpRequest) -> HttpResponse:
    report, notices = _report(request)
    limit = deadline_policy_for(request.user.region) if request.user.region is not None else None
    context = {
        "report": report,
        "notices": notices,
        "form": MonthForm(initial={"month": report.month}),
        "limit": limit,
    }
    return render(request, "monitoring/timeliness.html", context)


@capability_required(Capability.CASES_VIEW)
@require_GET
def timeliness_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    from .deadlines import timeliness_workbook

    report, _ = _report(request)
    buffer = io.BytesIO()
    timeliness_workbook(report, buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="timeliness-{report.month}.xlsx"'
    return response


@capability_required(Capability.DEADLINES_EDIT)
@require_http_methods(["GET", "POST"])
def deadline_policies(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The limits of the account's subtree (and the ones above that decide its own), and the form that sets
    or removes one. A change applies to the cases opened from then on: an open case keeps its clock."""
    regions = policy_regions_for(request.user)
    form = DeadlinePolicyForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region = data["region"]
        try:
            if data["clear"]:
                if deadline_policy_clear(actor=request.user, region=region):
                    messages.success(request, f"已取消{region.name}的认定时限,按上级设定执行。")
                else:
                    messages.info(request, f"{region.name}没有单独设定认定时限。")
            else:
                deadline_policy_set(
                    actor=request.user,
                    region=region,
                    limit_days=data["limit_days"],
                    working_days=data["working_days"],
                )
                unit = "个工作日" if data["working_days"] else "天"
                messages.success(
                    request,
                    f"已设定{region.name}的认定时限为{data['limit_days']}{unit},此后新发起的档案适用。",
                )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("monitoring:deadline_policies")
    own_region = request.user.region
    context = {
        "form": form,
        "policies": [
            {"policy": p, "editable": own_region is not None and p.region.code.startswith(own_region.prefix)}
            for p in policies_for_user(request.user)
        ],
        "own_limit": deadline_policy_for(own_region) if own_region is not None else None,
    }
    return render(request, "monitoring/deadline_policies.html", context)
