"""Forms of the public page and of the staff pages: shape and Chinese messages; rules live in services."""

from __future__ import annotations

from typing import Any, cast

from captcha.fields import CaptchaField, CaptchaTextInput
from django import forms
from django.core.exceptions import ValidationError

from dixian.common.checklists import risk_checklist_field
from dixian.regions.models import Region

from . import validation
from .models import Declaration, Difficulty
from .services import ALLOWED_TRANSITIONS, STAFF_LABELS


class BotCheckInput(CaptchaTextInput):
    template_name = "declarations/partials/_captcha_widget.html"


def bot_check_field() -> CaptchaField:
    return CaptchaField(
        label="验证码",
        widget=BotCheckInput(attrs={"inputmode": "numeric", "maxlength": "4"}),
        error_messages={
            "required": "请填写图中算式的结果(验证码)",
            "incomplete": "请填写图中算式的结果(验证码)",
            "invalid": "验证码不对或已过期,请按新的图片重新计算后填写",
        },
        help_text="看不清可以点“换一张”。",
    )


class DeclarationForm(forms.Form):
    name = forms.CharField(
        label="申报人姓名",
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "请填写申报人姓名"},
    )
    id_number = forms.CharField(
        label="身份证号码",
        max_length=60,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"required": "请填写申报人的18位身份证号码"},
        help_text="18位,最后一位可能是 X",
    )
    phone = forms.CharField(
        label="手机号码",
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
        error_messages={"required": "请填写手机号码,村里核实时会打这个电话联系您"},
    )
    village = forms.CharField(
        label="所在村",
        max_length=14,
        widget=forms.HiddenInput,
        error_messages={"required": "请选择您所在的县、乡镇和村"},
    )
    difficulty = risk_checklist_field(
        label="遇到的困难",
        choices=Difficulty.choices,
        multiple=False,
        required=True,
        error_messages={"required": "请选择遇到的困难类型", "invalid_choice": "请从列表中选择困难类型"},
    )
    description = forms.CharField(
        label="困难情况说明",
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": str(validation.DESCRIPTION_MAX)}),
        error_messages={"required": "请简单说明家里遇到的困难(至少10个字)"},
        help_text="谁、什么时候、遇到了什么困难,大概花了或少了多少钱。10~1000字。",
    )
    consent = forms.BooleanField(
        label="本人承诺所填信息真实,并同意、授权有关部门核查本人及家庭成员的收入、财产等信息,用于防止返贫监测帮扶。",
        error_messages={"required": "请勾选同意核查家庭经济状况,否则无法受理申报"},
    )
    captcha = bot_check_field()

    def clean_name(self) -> str:
        return validation.clean_name(self.cleaned_data["name"])

    def clean_id_number(self) -> str:
        return validation.clean_id_number(self.cleaned_data["id_number"])

    def clean_phone(self) -> str:
        return validation.clean_mobile(self.cleaned_data["phone"])

    def clean_description(self) -> str:
        return validation.clean_description(self.cleaned_data["description"])

    def clean_village(self) -> Region:
        code = self.cleaned_data["village"].strip()
        village = (
            Region.objects.in_use()
            .filter(code=code, level=Region.Level.VILLAGE)
            .select_related("parent__parent")
            .first()
            if code.isascii() and code.isdigit()
            else None
        )
        if village is None:
            raise ValidationError("请选择您所在的县、乡镇和村")
        return village


class StatusLookupForm(forms.Form):
    reference = forms.CharField(
        label="申报编号",
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "placeholder": "如 SB2611-7KQ4MZ"}
        ),
        error_messages={"required": "请填写申报编号(提交申报后页面上显示的 SB 开头的编号)"},
    )
    phone = forms.CharField(
        label="申报时填写的手机号码",
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
        error_messages={"required": "请填写申报时留下的手机号码"},
    )

    def clean_reference(self) -> str:
        canonical = validation.reference_normalise(self.cleaned_data["reference"])
        if canonical is None:
            raise ValidationError(
                "申报编号的格式不对:应为 SB 加4位数字、短横线和6个字母或数字,如 SB2611-7KQ4MZ"
            )
        return canonical

    def clean_phone(self) -> str:
        return validation.clean_mobile(self.cleaned_data["phone"])


class DeclarationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="办理状态",
        required=False,
        choices=[("", "全部"), *((s.value, STAFF_LABELS[s]) for s in Declaration.Status)],
    )
    difficulty = forms.ChoiceField(
        label="困难类型", required=False, choices=[("", "全部"), *Difficulty.choices]
    )

    registered = forms.ChoiceField(
        label="是否在册",
        required=False,
        choices=[("", "全部"), ("yes", "已匹配登记农户"), ("no", "未在册(可能应纳未纳)")],
    )

    def values(self) -> dict[str, str]:
        """The filters; anything invalid typed into the URL counts as 全部 for that filter alone."""
        self.is_valid()
        return {name: self.cleaned_data.get(name) or "" for name in self.fields}


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(label="办理结果", choices=[], error_messages={"required": "请选择办理结果"})
    note = forms.CharField(
        label="办理说明",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="选“未纳入”时必须写明理由。",
        error_messages={"max_length": "办理说明最多500字,请精简"},
    )

    def __init__(self, *args: Any, declaration: Declaration, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = ALLOWED_TRANSITIONS.get(declaration.status, ())
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (s.value, STAFF_LABELS[s]) for s in (Declaration.Status(a) for a in allowed)
        ]
        self.fields["status"].error_messages["invalid_choice"] = "该申报已经办理到其他状态,请刷新页面后再选"

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("status") == Declaration.Status.DISMISSED and not (data.get("note") or "").strip():
            self.add_error("note", "核实后不纳入的,必须填写理由(将作为答复申报人的依据)")
        return data
