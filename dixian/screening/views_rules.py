"""The rules pages (筛查规则): the rule list with the versions in force, each rule's history, and the edit
form that makes a NEW version (an old version is never changed, so every alert keeps naming the exact
version that raised it).

Right to edit: Capability.RULES_EDIT of the permission map (dixian.accounts.capabilities) — the city admin
(市级管理员, also RULES_EDIT_COUNTIES) for the whole city or any county, a county admin (县级管理员) for its
own county. Everyone with a region may read the rules that apply to it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from dixian.accounts.capabilities import Capability, capability_required
from dixian.common.access import user_prefix
from dixian.common.http import AuthenticatedHttpRequest
from dixian.feeds.labels import feed_label
from dixian.regions.models import Region

from .engine.logic import LOGICS
from .forms_rules import RuleVersionForm, may_edit_rules, param_label, param_text, rule_regions_for_user
from .rule_text import placeholder_label, template_readable
from .selectors_rules import (
    current_by_region,
    may_see_rules,
    rule_get,
    rule_history,
    rule_summaries,
    version_applying,
)
from .services_rules import rule_version_create

if TYPE_CHECKING:
    from .models import RuleVersion

FIXED_PLACEHOLDERS = {
    "name": "成员姓名",
    "amount": "金额",
    "threshold": "阈值",
    "window": "筛查时间窗(如2026年1-10月)",
    "rule_id": "规则编号",
    "version": "版本号",
    "note": "升级条件的说明",
}


def _require_reader(request: AuthenticatedHttpRequest) -> None:
    if not may_see_rules(request.user):
        raise PermissionDenied("您的账号尚未分配区划,不能查看筛查规则。")


def _region_names(versions: list[RuleVersion]) -> dict[str, str]:
    prefixes = {v.region_prefix for v in versions if v.region_prefix}
    names = {r.prefix: r.full_name or r.name for r in Region.objects.filter(prefix__in=prefixes)}
    return {"": "全市(默认)", **names}


def _decorate(versions: list[RuleVersion], names: dict[str, str]) -> None:
    for v in versions:
        v.region_label = names.get(v.region_prefix, v.region_prefix)  # type: ignore[attr-defined]  # shown by the template
        v.param_texts = [param_text(k, val) for k, val in v.params.items()]  # type: ignore[attr-defined]  # shown by the template
        v.template_text = template_readable(v.template, v)  # type: ignore[attr-defined]  # shown by the template
        v.escalation_texts = [  # type: ignore[attr-defined]  # shown by the template
            (e.get("grade", ""), template_readable(e.get("note") or e.get("when", ""), v))
            for e in v.escalations
        ]


def version_states(
    versions: list[RuleVersion], current: list[RuleVersion], *, viewer_prefix: str, today: dt.date
) -> dict[int, tuple[str, str]]:
    """Per version, (state, css) as the viewer reads it: only what applies today is 现行.

    A version in force in its region is 现行 — named with its region when several regions have their own —
    unless the viewer's whole region has a more specific version of its own (a county's version replaces the
    city default there). A version that starts later is 待生效; every other one is 历史.
    """
    replaced = {
        v.pk: [
            c
            for c in current
            if len(c.region_prefix) > len(v.region_prefix) and viewer_prefix.startswith(c.region_prefix)
        ]
        for v in current
    }
    several = sum(1 for v in current if not replaced[v.pk]) > 1
    states: dict[int, tuple[str, str]] = {}
    for v in versions:
        if v.pk in replaced and replaced[v.pk]:
            states[v.pk] = (f"本辖区已改用第{replaced[v.pk][0].version}版", "")
        elif v.pk in replaced:
            states[v.pk] = (f"现行({v.region_label})" if several else "现行", "green")  # type: ignore[attr-defined]  # set by _decorate
        elif v.valid_from is not None and v.valid_from > today:
            states[v.pk] = (f"待生效({v.valid_from:%Y-%m-%d} 起)", "yellow")
        else:
            states[v.pk] = ("历史", "")
    return states


@login_required
@require_GET
def rule_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_reader(request)
    summaries = rule_summaries(request.user)
    every = [v for s in summaries for v in (*s.current, *s.upcoming)]
    _decorate(every, _region_names(every))
    return render(
        request,
        "screening/rules/rule_list.html",
        {"summaries": summaries, "can_edit": may_edit_rules(request.user)},
    )


@login_required
@require_GET
def rule_detail(request: AuthenticatedHttpRequest, rule_id: str) -> HttpResponse:
    _require_reader(request)
    rule = rule_get(rule_id)
    history = rule_history(request.user, rule)
    _decorate(history, _region_names(history))
    today = timezone.localdate()
    current, _ = current_by_region(history, today)
    states = version_states(history, current, viewer_prefix=user_prefix(request.user) or "", today=today)
    for v in history:
        v.state, v.state_css = states[v.pk]  # type: ignore[attr-defined]  # shown by the template
    return render(
        request,
        "screening/rules/rule_detail.html",
        {
            "rule": rule,
            "feeds": [feed_label(code) for code in rule.feeds],
            "history": history,
            "current": {v.pk for v in current},
            "can_edit": may_edit_rules(request.user),
        },
    )


def _placeholders(rule_logic: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    logic = LOGICS.get(rule_logic)
    out = list(FIXED_PLACEHOLDERS.items())
    if logic is not None:
        out += [(name, placeholder_label(name)) for name in logic.placeholders]
    out += [(name, f"参数:{param_label(name)[0]}") for name in params]
    return out


@capability_required(Capability.RULES_EDIT)
@require_http_methods(["GET", "POST"])
def rule_edit(request: AuthenticatedHttpRequest, rule_id: str) -> HttpResponse:
    _require_reader(request)
    rule = rule_get(rule_id)
    regions = rule_regions_for_user(request.user)
    if not regions:
        raise PermissionDenied("只有市级、县级管理员可以修改筛查规则。")
    allowed = {p for p, _ in regions}
    wanted = request.POST.get("region_prefix") if request.method == "POST" else request.GET.get("region")
    region_prefix = wanted if wanted in allowed else regions[0][0]
    base = version_applying(rule, region_prefix, request.user)
    if base is None:
        raise PermissionDenied("这条规则还没有任何版本,请联系系统管理员。")
    form = RuleVersionForm(
        request.POST if request.method == "POST" else None, rule=rule, base=base, user=request.user
    )
    if request.method == "GET" and wanted in allowed:
        form.initial["region_prefix"] = wanted
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = rule_version_create(
                rule=rule,
                base=base,
                region_prefix=data["region_prefix"],
                grade=data["grade"],
                template=data["template"],
                params=data["params"],
                valid_from=data["valid_from"],
                note=data["note"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, f"已保存为 {version.label},自 {version.valid_from:%Y-%m-%d} 起用于新的筛查。"
            )
            return redirect(reverse("rules:detail", args=[rule.rule_id]) + f"#v{version.version}")
    names = _region_names([base])
    _decorate([base], names)
    return render(
        request,
        "screening/rules/rule_edit.html",
        {
            "rule": rule,
            "base": base,
            "form": form,
            "regions": regions,
            "placeholders": _placeholders(rule.logic, base.params),
        },
    )
