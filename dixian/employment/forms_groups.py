"""Forms of the key-group and 公益性岗位 pages (docs/domain.md §23): they check the input's shape; the services
(keygroups.py, posts.py) apply the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from dixian.common.filters import RegionChainField, choices_with_blank
from dixian.domain import employment as e
from dixian.domain.dictionaries import ParseError

DATE = forms.DateInput(attrs={"type": "date"})
MONEY_ERRORS = {
    "invalid": "请填写金额(元),例如 800 或 800.50",
    "max_decimal_places": "金额最多两位小数(精确到分)",
    "max_digits": "金额过大,请核对",
    "max_whole_digits": "金额过大,请核对",
    "min_value": "金额必须大于 0",
}
DATE_ERRORS = {"invalid": "请填写有效日期,例如 2026-10-08"}

STATES = [("open", "在册"), ("overdue", "超期未跟进"), ("closed", "已退出"), ("all", "全部")]
POST_STATES = [("held", "在岗"), ("vacant", "空缺"), ("expired", "聘期已满")]


class KeyGroupFilterForm(forms.Form):
    region = RegionChainField(label="地区", required=False)
    group = forms.ChoiceField(
        label="重点群体", required=False, choices=choices_with_blank(list(e.KEY_GROUPS.items()))
    )
    state = forms.ChoiceField(label="状态", required=False, choices=STATES)


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(
        label="帮扶方式", choices=choices_with_blank(e.choices("follow_up_kind"), "请选择")
    )
    on = forms.DateField(label="跟踪日期", widget=DATE, error_messages=DATE_ERRORS)
    detail = forms.CharField(label="帮扶内容", max_length=200, widget=forms.TextInput(attrs={"size": 40}))


def _money(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, max_digits=10, decimal_places=2, min_value=0.01, error_messages=MONEY_ERRORS
    )


class PostFilterForm(forms.Form):
    region = RegionChainField(label="地区", required=False)
    post_type = forms.ChoiceField(
        label="岗位类型", required=False, choices=choices_with_blank(e.choices("post_type"))
    )
    state = forms.ChoiceField(label="状态", required=False, choices=choices_with_blank(POST_STATES))


class PostForm(forms.Form):
    village = forms.TypedChoiceField(label="所在村", coerce=int, empty_value=None)
    name = forms.CharField(label="岗位名称", max_length=60)
    post_type = forms.ChoiceField(
        label="岗位类型", choices=choices_with_blank(e.choices("post_type"), "请选择")
    )
    funding = forms.ChoiceField(
        label="资金来源", choices=choices_with_blank(e.choices("post_funding"), "请选择")
    )
    monthly_pay = _money("月补贴(元)")
    term_start = forms.DateField(label="聘期开始", widget=DATE, error_messages=DATE_ERRORS)
    term_end = forms.DateField(label="聘期结束", widget=DATE, error_messages=DATE_ERRORS)

    def __init__(self, *args: Any, villages: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if villages is None:  # an edit: the village stays
            del self.fields["village"]
        else:
            self.fields["village"].choices = [("", "请选择"), *villages]  # type: ignore[attr-defined]  # a ChoiceField


class AssignForm(forms.Form):
    person = forms.TypedChoiceField(label="聘用人员", coerce=int, empty_value=None)
    start = forms.DateField(label="上岗日期", widget=DATE, error_messages=DATE_ERRORS)

    def __init__(self, *args: Any, candidates: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "请选择"), *(candidates or [])]  # type: ignore[attr-defined]  # a ChoiceField


class EndForm(forms.Form):
    end = forms.DateField(label="离岗日期", widget=DATE, error_messages=DATE_ERRORS)
    end_reason = forms.CharField(label="离岗原因", max_length=100)


class MonthField(forms.CharField):
    """A month as typed (2026-10, 2026年10月) or from <input type="month">: its first day."""

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]  # a date, not a str
        text = super().to_python(value)
        if not text:
            return None
        try:
            return e.month_parse(text)
        except ParseError as exc:
            raise forms.ValidationError(str(exc)) from None


class PaymentForm(forms.Form):
    month = MonthField(label="发放月份", widget=forms.TextInput(attrs={"type": "month"}))
    amount = _money("发放金额(元)")
    paid_on = forms.DateField(label="发放日期", widget=DATE, error_messages=DATE_ERRORS)
