"""Forms of the living-environment ledger: they check the input's shape; the rules are the services'
(validation.py, docs/domain.md §27)."""

from __future__ import annotations

from django import forms

from .models import EnvironmentProject
from .validation import FIELD_LABELS


def _count(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=1_000_000,
        error_messages={
            "required": f"请填写{label}(没有请填0)",
            "invalid": f"{label}应为整数",
            "min_value": f"{label}不能为负数",
            "max_value": f"{label}过大,请核对",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": "0"}),
    )


class WeeklyRowForm(forms.Form):
    """One village's row of the township's weekly form (prefixed with the village's code)."""

    toilets_upgraded = _count(FIELD_LABELS["toilets_upgraded"])
    toilets_sanitary = _count(FIELD_LABELS["toilets_sanitary"])
    toilets_in_use = _count(FIELD_LABELS["toilets_in_use"])
    garbage_covered = _count(FIELD_LABELS["garbage_covered"])
    sewage_households = _count(FIELD_LABELS["sewage_households"])
    works_done = _count(FIELD_LABELS["works_done"])
    note = forms.CharField(label="本周情况", max_length=200, required=False)


class PlanForm(forms.Form):
    toilets_planned = _count("年度改厕任务(户)")
    natural_villages = _count("自然村数")
    works_planned = _count("村庄整治计划(项)")
    works_note = forms.CharField(label="村庄整治内容", max_length=200, required=False)


class ProjectTagForm(forms.Form):
    code = forms.CharField(label="项目编号", max_length=40, error_messages={"required": "请填写项目编号"})
    theme = forms.ChoiceField(label="类别", choices=EnvironmentProject.Theme.choices)
    corridor = forms.ChoiceField(label="沿线", choices=EnvironmentProject.Corridor.choices, required=False)
