"""就业监测设置: the city's base year and working age (docs/domain.md §23), page of EMPLOYMENT_SETTINGS."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from dixian.accounts.capabilities import Capability, capability_required
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.domain import employment as e
from dixian.domain.dictionaries import ParseError

from .models import EmploymentPolicy
from .roll import policy_for
from .settings import policy_set


class PolicyForm(forms.Form):
    valid_from = forms.CharField(label="生效月份", help_text="如 2027-01,从该月1日起生效", max_length=20)
    base_year = forms.IntegerField(label="比较基准年", error_messages={"invalid": "请填写四位年份,如 2022"})
    age_min = forms.IntegerField(label="劳动年龄下限(周岁)", error_messages={"invalid": "请填写整数,如 16"})
    age_max = forms.IntegerField(label="劳动年龄上限(周岁)", error_messages={"invalid": "请填写整数,如 64"})

    def clean_valid_from(self) -> object:
        try:
            return e.month_parse(self.cleaned_data["valid_from"])
        except ParseError as exc:
            raise forms.ValidationError(str(exc)) from None


@capability_required(Capability.EMPLOYMENT_SETTINGS)
@require_http_methods(["GET", "POST"])
def settings_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    current = today.replace(day=1)
    in_force = policy_for(current)
    form = PolicyForm(
        request.POST or None,
        initial={
            "valid_from": e.month_key(e.month_add(current, 1)),
            "base_year": in_force.base_year,
            "age_min": in_force.age_min,
            "age_max": in_force.age_max,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = policy_set(
                actor=request.user,
                valid_from=data["valid_from"],
                base_year=data["base_year"],
                age_min=data["age_min"],
                age_max=data["age_max"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已保存:{e.month_label(saved.valid_from)}起执行。")
            return redirect("employment:settings")
    return render(
        request,
        "employment/settings.html",
        {
            "form": form,
            "in_force": in_force,
            "current_label": e.month_label(current),
            "policies": list(EmploymentPolicy.objects.select_related("updated_by").order_by("-valid_from")),
            "defaults": (e.DEFAULT_BASE_YEAR, e.DEFAULT_AGE_MIN, e.DEFAULT_AGE_MAX),
        },
    )
