"""Forms of what feeds cases: 拟纳入 from the alert queue and 登记并发起监测 (docs/domain.md §20)."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from dixian.registry import choices as rc


class ProposeForm(forms.Form):
    """The ticked alerts (queue) or the one alert (its page), and the reason shared by each."""

    alert = forms.TypedMultipleChoiceField(
        coerce=int,
        error_messages={
            "required": "请先勾选要拟纳入的预警线索。",
            "invalid_choice": "所选预警线索无效,请刷新页面后重新勾选。",
        },
    )
    note = forms.CharField(
        required=False, max_length=500, error_messages={"max_length": "发起理由最多 500 字。"}
    )

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        # Any whole number is a choice: which alerts the account may handle is the view's question.
        values = data.getlist("alert") if hasattr(data, "getlist") else []
        cast(forms.ChoiceField, self.fields["alert"]).choices = [
            (v, v) for v in values if str(v).isdigit() and len(str(v)) < 12
        ]


class RegisterForm(forms.Form):
    """登记并发起监测: what is known of a household not yet in the registry, phone-sized."""

    name = forms.CharField(
        label="户主姓名",
        max_length=50,
        error_messages={"required": "请填写户主姓名。", "max_length": "姓名最多 50 字。"},
    )
    kind = forms.ChoiceField(
        label="户类型",
        choices=[("", "请选择"), *rc.HouseholdKind.choices],
        error_messages={"required": "请选择户类型。", "invalid_choice": "户类型无效,请重新选择。"},
    )
    labour_skill = forms.ChoiceField(
        label="户主劳动技能",
        choices=[("", "请选择"), *rc.LabourSkill.choices],
        error_messages={"required": "请选择户主的劳动技能。", "invalid_choice": "劳动技能无效,请重新选择。"},
    )
    reason = forms.CharField(
        label="发起理由",
        max_length=500,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "例如:经电话联系,申报人反映因病支出大,拟入户核实"}
        ),
        error_messages={"required": "请填写发起理由。", "max_length": "发起理由最多 500 字。"},
    )
