"""The rules pages (筛查规则): the rule list with the versions in force, each rule's history, and the edit
form that makes a NEW version (an old version is never changed, so every alert keeps naming the exact
version that raised it).

Right to edit: Capability.RULES_EDIT of the permission map (dixian.accounts.capabilities) — the city admin
(市级管理员, also RULES_EDIT_COUNTIES) for the whole city or any county, a county admin (县级管理员) for its
own county. Everyone with a region may read the rules that apply to it.
"""

from __future__ import annotations

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
from dixian.common.http import AuthenticatedHttpRequest
from dixian.regions.models import Region

from .engine.logic import LOGICS
from .forms_rules import RuleVersionForm, may_edit_rules, param_text, rule_regions_for_user
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
    current, _ = current_by_region(history, timezone.localdate())
    return render(
        request,
        "screening/rules/rule_detail.html",
        {
            "rule": rule,
            "history": history,
            "current": {v.pk for v in current},
            "can_edit": may_edit_rules(request.user),
        },
    )


def _placeholders(rule_logic: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    logic = LOGICS.get(rule_logic)
    out = list(FIXED_PLACEHOLDERS.items())
    if logic is not None:
        out += [(name, "本规则提供") for name in logic.placeholders]
    out += [(name, "参数") for name in params]
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
