"""Forms of the case's assistance (帮扶联系人, 帮扶措施): they check the input's shape; `assistance` applies
the rules (docs/domain.md §20)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone

from dixian.domain import lifecycle as lc

from .assistance import STATUS_VERB

if TYPE_CHECKING:
    from dixian.accounts.models import User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"required": "请填写日期。", "invalid": "日期格式不对,请按 2026-11-20 的格式填写。"}


def account_label(user: User) -> str:
    name = user.get_full_name() or user.username
    return f"{name}({user.region.name})" if user.region is not None else name


class HelperAssignForm(forms.Form):
    # `account`, not `helper`: a template naming "helper" reads as a role (accounts/tests/test_no_role_literals).
    account = forms.TypedChoiceField(
        label="帮扶联系人",
        coerce=int,
        error_messages={
            "required": "请选择帮扶联系人。",
            "invalid_choice": "所选账号不能作为该户的帮扶联系人,请重新选择。",
        },
    )
    unit = forms.CharField(
        label="帮扶单位",
        required=False,
        max_length=100,
        error_messages={"max_length": "帮扶单位最多 %(limit_value)d 字。"},
    )
    start_date = forms.DateField(label="结对开始日期", widget=DATE, error_messages=DATE_ERRORS)

    def __init__(self, *args: Any, candidates: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {u.pk: u for u in candidates}
        field = self.fields["account"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "请选择"), *((u.pk, account_label(u)) for u in candidates)]
        self.fields["start_date"].initial = timezone.localdate()


class HelperEndForm(forms.Form):
    end_date = forms.DateField(label="结束日期", widget=DATE, error_messages=DATE_ERRORS)


class MeasureForm(forms.Form):
    category = forms.ChoiceField(
        label="措施类别",
        choices=[("", "请选择"), *lc.MEASURE_CHOICES],
        error_messages={"required": "请选择措施类别。", "invalid_choice": "请从列表中选择措施类别。"},
    )
    item = forms.CharField(
        label="具体措施",
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "如:产业奖补、公益性岗位、医疗救助"}),
        error_messages={"required": "请填写具体措施。", "max_length": "具体措施最多 %(limit_value)d 字。"},
    )
    detail = forms.CharField(
        label="措施说明",
        required=False,
        max_length=500,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "内容、规模、标准等;请勿填写身份证号、银行卡号或病情诊断"}
        ),
        error_messages={"max_length": "措施说明最多 %(limit_value)d 字(现有 %(show_value)d 字)。"},
    )
    start_on = forms.DateField(label="开始日期", widget=DATE, error_messages=DATE_ERRORS)
    end_on = forms.DateField(label="结束日期", required=False, widget=DATE, error_messages=DATE_ERRORS)
    amount = forms.DecimalField(
        label="金额(元)",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        error_messages={
            "invalid": "金额请填写数字,如 3000 或 1250.50。",
            "min_value": "金额不能为负数。",
            "max_digits": "金额过大,请核对。",
            "max_decimal_places": "金额最多保留两位小数。",
            "max_whole_digits": "金额过大,请核对。",
        },
    )
    deliverer = forms.CharField(
        label="落实单位或责任人",
        max_length=100,
        error_messages={
            "required": "请填写落实单位或责任人。",
            "max_length": "落实单位或责任人最多 %(limit_value)d 字。",
        },
    )
    stamp = forms.CharField(required=False, widget=forms.HiddenInput)


class MeasureStatusForm(forms.Form):
    status = forms.ChoiceField(
        label="落实情况",
        choices=[(s.value, verb) for s, verb in STATUS_VERB.items()],
        error_messages={"required": "请选择要办理的落实情况。", "invalid_choice": "请选择要办理的落实情况。"},
    )
    on = forms.DateField(label="日期", widget=DATE, error_messages=DATE_ERRORS)
    note = forms.CharField(
        label="说明",
        required=False,
        max_length=300,
        error_messages={"max_length": "说明最多 %(limit_value)d 字。"},
    )
