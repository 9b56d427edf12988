"""Pages that feed cases (docs/domain.md §20): 拟纳入 from the alert queue or an alert's page, and
登记并发起监测 for an 应纳未纳 record. Reads are scoped (out of scope answers 404), writes go through
`monitoring.entry`; a refused action comes back as a Chinese message on the page it was posted from."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_POST

from dixian.accounts.capabilities import Capability, capability_required
from dixian.cases.selectors import alert_scope_for_user, unmatched_get_for_user
from dixian.common.access import may_view_pii
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.masking import id_number_shown

from . import entry
from .forms_entry import ProposeForm, RegisterForm


def case_url(pk: int) -> str | None:
    """The case page (monitoring:case_detail), when the case pages are installed."""
    try:
        return reverse("monitoring:case_detail", args=[pk])
    except NoReverseMatch:
        return None


def _back(request: AuthenticatedHttpRequest) -> str:
    """Where the action was posted from: the alert queue or an alert's page (a local path), else the queue."""
    back = request.POST.get("next", "")
    alerts = reverse("cases:alert_queue")
    return back if back.startswith(alerts) and "//" not in back else alerts


@capability_required(Capability.ALERTS_HANDLE)
@require_POST
def alerts_propose(request: AuthenticatedHttpRequest) -> HttpResponse:
    """拟纳入: the ticked alerts open or join their households' cases, one case per household."""
    user = request.user
    form = ProposeForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect(_back(request))
    ids = set(form.cleaned_data["alert"])
    alerts = list(alert_scope_for_user(user).filter(pk__in=ids))
    if len(alerts) != len(ids):
        messages.error(request, "所选预警线索有的不存在或不在您的管辖范围内,请刷新页面后重新勾选。")
        return redirect(_back(request))
    try:
        cases = entry.alerts_propose(alerts=alerts, actor=user, reason=form.cleaned_data["note"])
    except (ValidationError, PermissionDenied) as exc:
        for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
            messages.error(request, message)
        return redirect(_back(request))
    opened = sum(1 for c in cases if c.seq == 1)
    messages.success(
        request,
        f"已拟纳入 {len(alerts)} 条预警线索,涉及 {len(cases)} 户:"
        f"新建监测帮扶档案 {opened} 份"
        + (f",并入已有档案 {len(cases) - opened} 份" if len(cases) > opened else "")
        + "。请按识别程序入户核实。",
    )
    if len(cases) == 1 and (url := case_url(cases[0].pk)):
        return redirect(url)
    return redirect(_back(request))


@capability_required(Capability.UNMATCHED_HANDLE)
@require_http_methods(["GET", "POST"])
def unmatched_register(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """登记并发起监测 for a 应纳未纳 record: the person it names is registered in its village and a case opened."""
    user = request.user
    record = unmatched_get_for_user(user, pk)  # 404 outside the account's scope
    pii = may_view_pii(user)
    form = RegisterForm(request.POST or None, initial={"name": record.name})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = entry.case_from_unmatched(
                actor=user,
                record=record,
                name=data["name"],
                kind=data["kind"],
                labour_skill=data["labour_skill"],
                reason=data["reason"],
            )
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
            return redirect(
                case_url(case.pk) or reverse("registry:household_detail", args=[case.household_id])
            )
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "monitoring/register.html",
        {
            "form": form,
            "title": "登记并发起监测",
            "source": f"应纳未纳线索:{record.get_feed_display()}",
            "village": record.region,
            "id_number": id_number_shown(record.id_number, pii=pii) if record.id_number else "",
            "id_valid": bool(entry.valid_id_number(record.id_number)) if record.id_number else False,
            "action": reverse("monitoring:unmatched_register", args=[record.pk]),
            "back": reverse("cases:unmatched_list"),
        },
        status=status,
    )
