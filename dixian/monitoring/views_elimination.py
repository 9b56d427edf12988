"""Risk elimination and 回头看 on the case page and beside it (docs/domain.md §7, §20): the elimination
panel (criteria met / not met with their evidence, the proposal form, the snapshot taken at proposal
checked again live), the 回头看 panel, the list of due checks and the phone-sized form that records one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from dixian.accounts.capabilities import Capability, capability_required
from dixian.common.paging import paginate
from dixian.domain import lifecycle as lc

from .criteria import elimination_criteria
from .follow_ups import (
    follow_up_colour,
    follow_up_get_for_user,
    follow_up_may_record,
    follow_up_record,
    follow_ups_for_user,
)
from .forms_elimination import EliminationProposeForm, FollowUpForm
from .models import FollowUpCheck, MonitoringCase, RiskElimination
from .selectors import case_get_for_user
from .services import case_advance, may_act

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.common.http import AuthenticatedHttpRequest

SHOWN_STATES = frozenset({lc.MONITORING, lc.ELIMINATED} | lc.ELIMINATING)


# --- panels of the case page (monitoring/panels.py) ------------------------------------------------


def elimination_panel(user: User, case: MonitoringCase) -> dict[str, Any]:
    """风险消除 (order 30). While monitored: each criterion as it holds today, and the proposal form for
    the village. During the elimination steps: the criteria as checked at proposal beside a live check
    (a criterion that no longer holds is red: the county's approval will be refused). Once eliminated:
    the method, the dates and the criteria of the proposal."""
    if case.state not in SHOWN_STATES:
        return {"elim": None}
    today = timezone.localdate()
    elimination = RiskElimination.objects.filter(case=case).first()
    live = [c.as_dict() for c in elimination_criteria(case, on=today)] if case.is_open else []
    then = {str(c["code"]): c for c in elimination.criteria} if elimination is not None else {}
    rows = []
    for c in live or list(then.values()):
        at_proposal = then.get(str(c["code"]))
        rows.append(
            {
                "label": c["label"],
                "met": c["met"],
                "evidence": c["evidence"],
                "then": at_proposal,
                "lost": bool(at_proposal and at_proposal["met"] and not c["met"]),
            }
        )
    all_met = bool(live) and all(c["met"] for c in live)
    may_propose = case.state == lc.MONITORING and may_act(user, case)
    form = (
        EliminationProposeForm(initial={"seq": case.seq, "on": today, "method": lc.ASSISTED})
        if may_propose and all_met
        else None
    )
    return {
        "elim": {
            "case": case,
            "state": case.state,
            "monitoring": case.state == lc.MONITORING,
            "eliminating": case.state in lc.ELIMINATING,
            "eliminated": case.state == lc.ELIMINATED,
            "rows": rows,
            "all_met": all_met,
            "lost": [r for r in rows if r["lost"] or (r["then"] is not None and not r["met"])],
            "elimination": elimination,
            "may_propose": may_propose,
            "form": form,
        }
    }


def follow_up_panel(user: User, case: MonitoringCase) -> dict[str, Any]:
    """回头看 (order 40): the case's checks, due first, each with its result or the link to record it."""
    checks = list(FollowUpCheck.objects.filter(case=case).select_related("done_by").order_by("due_on", "pk"))
    if not checks:
        return {"follow_up_rows": None}
    today = timezone.localdate()
    return {
        "follow_up_rows": [
            {
                "check": f,
                "colour": follow_up_colour(f, today),
                "may_record": f.done_on is None and follow_up_may_record(user, f),
            }
            for f in checks
        ]
    }


# --- views ------------------------------------------------------------------------------------------


def _back(request: AuthenticatedHttpRequest, case: MonitoringCase) -> HttpResponseRedirect:
    """To the page the form was on (the case page), else to the household."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(reverse("registry:household_detail", args=[case.household_id]))


@capability_required(Capability.CASES_VILLAGE)
@require_POST
def elimination_propose(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """提出风险消除: the case moves from 监测帮扶中 to the elimination home check, or the reason why not."""
    case = case_get_for_user(request.user, pk)
    form = EliminationProposeForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.as_data().values():
            for error in errors:
                for message in error.messages:
                    messages.error(request, message)
        return _back(request, case)
    if case.state != lc.MONITORING:
        messages.error(request, f"档案处于“{case.step.label}”,不能提出风险消除(可能已经提出过),请刷新页面。")
        return _back(request, case)
    data = form.cleaned_data
    try:
        case_advance(
            case=case,
            actor=request.user,
            seq=data["seq"],
            on=data["on"],
            reason=data["reason"],
            method=data["method"],
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, f"已提出风险消除({lc.ELIMINATION_METHODS[data['method']]}),下一步:风险消除入户核实。"
        )
    return _back(request, case)


@capability_required(Capability.CASES_VIEW)
@require_http_methods(["GET"])
def follow_ups(request: AuthenticatedHttpRequest) -> HttpResponse:
    """回头看 of the account's region: the checks not yet done, earliest first (overdue red, due within a
    week orange); ?done=1 lists the recorded ones, latest first."""
    done = request.GET.get("done") == "1"
    checks = follow_ups_for_user(request.user)
    checks = (
        checks.filter(done_on__isnull=False).order_by("-done_on", "-pk")
        if done
        else checks.filter(done_on__isnull=True).order_by("due_on", "pk")
    )
    page = paginate(checks, request.GET.get("page"))
    today = timezone.localdate()
    rows = [
        {
            "check": f,
            "colour": follow_up_colour(f, today),
            "may_record": f.done_on is None and follow_up_may_record(request.user, f),
        }
        for f in page.object_list
    ]
    return render(request, "monitoring/follow_ups.html", {"page": page, "rows": rows, "done": done})


@capability_required(Capability.CASES_VILLAGE)
@require_http_methods(["GET", "POST"])
def follow_up_record_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Record one 回头看 (phone-sized): stable, or a new risk that opens monitoring again."""
    check = follow_up_get_for_user(request.user, pk)
    case = check.case
    problems: list[str] = []
    if request.method == "POST":
        form = FollowUpForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                reopened = follow_up_record(
                    follow_up=check,
                    actor=request.user,
                    result=data["result"],
                    note=data["note"],
                    on=data["on"],
                )
            except ValidationError as exc:
                problems = exc.messages
            else:
                if reopened is not None:
                    messages.success(
                        request,
                        f"已记录回头看,发现新风险:已重新纳入监测程序(第{reopened.episode}次监测),"
                        f"当前环节“{reopened.step.label}”。",
                    )
                else:
                    messages.success(request, "已记录回头看:稳定,无新风险。")
                return redirect("monitoring:follow_ups")
    else:
        form = FollowUpForm(initial={"on": timezone.localdate(), "result": FollowUpCheck.Result.STABLE})
    return render(
        request,
        "monitoring/follow_up_form.html",
        {"form": form, "check": check, "case": case, "problems": problems},
    )
