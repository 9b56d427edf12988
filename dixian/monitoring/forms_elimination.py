"""Forms of risk elimination, 回头看 and the deadline pages (docs/domain.md §7, §20)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from dixian.domain import lifecycle as lc
from dixian.regions.models import Region

from .deadlines import LIMIT_DAYS_MAX
from .models import FollowUpCheck

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EliminationProposeForm(forms.Form):
    """提出风险消除: the village proposes, with the method, the day and its opinion."""

    seq = forms.IntegerField(widget=forms.HiddenInput)
    method = forms.ChoiceField(
        label="消除方式",
        choices=list(lc.ELIMINATION_METHODS.items()),
        widget=forms.RadioSelect,
        error_messages={"required": "请选择风险消除方式(帮扶消除或自然消除)"},
    )
    on = forms.DateField(
        label="提出日期",
        widget=DATE,
        error_messages={"required": "请填写提出日期", "invalid": "日期格式不对"},
    )
    reason = forms.CharField(
        label="村级意见",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写村级意见(风险已消除的依据)"},
    )

    def clean_on(self) -> dt.date:
        on: dt.date = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError("提出日期不能晚于今天")
        return on


class FollowUpForm(forms.Form):
    """回头看 on a phone: the result, the day, and a note (required for a new risk)."""

    result = forms.ChoiceField(
        label="回头看结果",
        choices=[
            (FollowUpCheck.Result.STABLE, "稳定,无新风险"),
            (FollowUpCheck.Result.NEW_RISK, "发现新风险"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择回头看结果"},
    )
    on = forms.DateField(
        label="回头看日期", widget=DATE, error_messages={"required": "请填写日期", "invalid": "日期格式不对"}
    )
    note = forms.CharField(
        label="情况说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if data.get("on") and data["on"] > timezone.localdate():
            self.add_error("on", "回头看日期不能晚于今天")
        if data.get("result") == FollowUpCheck.Result.NEW_RISK and not (data.get("note") or "").strip():
            self.add_error("note", "发现新风险时请写明情况(将作为重新纳入监测的发起理由)")
        return data


class MonthForm(forms.Form):
    month = forms.CharField(label="月份", required=False, widget=forms.TextInput(attrs={"type": "month"}))


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name or obj.name}({obj.get_level_display()})"


class DeadlinePolicyForm(forms.Form):
    region = RegionChoiceField(
        label="区划",
        queryset=Region.objects.none(),
        error_messages={"required": "请选择区划", "invalid_choice": "所选区划不在您的管辖范围内"},
    )
    limit_days = forms.IntegerField(
        label="办理时限(天)",
        min_value=1,
        max_value=LIMIT_DAYS_MAX,
        required=False,
        error_messages={
            "min_value": f"办理时限应在 1 到 {LIMIT_DAYS_MAX} 天之间",
            "max_value": f"办理时限应在 1 到 {LIMIT_DAYS_MAX} 天之间",
            "invalid": "请填写整数天数",
        },
    )
    working_days = forms.BooleanField(label="按工作日计(周一至周五)", required=False)
    clear = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = regions.order_by("code")

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if not data.get("clear") and data.get("limit_days") is None and "limit_days" not in self.errors:
            self.add_error("limit_days", "请填写办理时限")
        return data
