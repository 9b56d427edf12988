"""The survey's forms (docs/domain.md §23): the roll's filters and one worker's month.

The worker's form reads the fields of `validation.FIELDS` and hands them to `services.survey_record`, whose
rules (validation.py) decide; the form only turns the posted text into values. Employer and wage band are
personal data (docs/security.md §1): an account without the right sees neither, so the form is not filled
with them and a field left blank keeps what was recorded (`keep_hidden`).
"""

from __future__ import annotations

from typing import Any

from django import forms

from dixian.common.filters import RegionChainField, choices_with_blank
from dixian.common.masking import text_shown
from dixian.domain import employment as e

from .selectors import KINDS, RECORDED

YES_NO = [("1", "是"), ("0", "否")]


class RollFilterForm(forms.Form):
    region = RegionChainField(required=False)
    month = forms.CharField(label="月份", required=False)
    kind = forms.ChoiceField(
        label="劳动力类型", required=False, choices=choices_with_blank(list(KINDS.items()))
    )
    recorded = forms.ChoiceField(
        label="摸排情况", required=False, choices=choices_with_blank(list(RECORDED.items()))
    )
    # The month's record, for the lists behind the figures (employment/views_figures.py).
    working = forms.ChoiceField(
        label="是否务工", required=False, choices=choices_with_blank([("1", "务工"), ("0", "未务工")])
    )
    place_tier = forms.ChoiceField(
        label="务工地域", required=False, choices=choices_with_blank(e.choices("place_tier"))
    )
    channel = forms.ChoiceField(
        label="就业渠道", required=False, choices=choices_with_blank(e.choices("channel"))
    )


def _yes_no(value: str | None) -> bool | None:
    return None if value in (None, "") else value == "1"


def _initial_yes_no(value: bool | None) -> str:
    return "" if value is None else ("1" if value else "0")


class SurveyForm(forms.Form):
    working = forms.ChoiceField(
        label="本月是否务工就业", choices=YES_NO, widget=forms.RadioSelect, required=False
    )
    place_tier = forms.ChoiceField(
        label="务工地域", choices=e.choices("place_tier"), widget=forms.RadioSelect, required=False
    )
    employer = forms.CharField(label="就业单位或帮扶车间", max_length=100, required=False)
    channel = forms.ChoiceField(
        label="就业渠道", choices=choices_with_blank(e.choices("channel"), "请选择"), required=False
    )
    months_worked = forms.IntegerField(
        label="本年务工月数",
        min_value=0,
        max_value=12,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    wage_band = forms.ChoiceField(
        label="月工资收入", choices=choices_with_blank(e.choices("wage_band"), "未填写"), required=False
    )
    not_working_reason = forms.ChoiceField(
        label="未就业原因",
        choices=choices_with_blank(e.choices("not_working_reason"), "请选择"),
        required=False,
    )
    willing = forms.ChoiceField(label="有就业意愿", choices=YES_NO, widget=forms.RadioSelect, required=False)
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args: Any, pii: bool, hidden: dict[str, Any], **kwargs: Any) -> None:
        """`hidden`: the personal values already recorded (employer, wage band) that an account without the
        right (`pii` False) may not see: the form shows that a value exists, never the value."""
        super().__init__(*args, **kwargs)
        self.pii = pii
        self.hidden = {k: v for k, v in hidden.items() if v} if not pii else {}
        self.fields["months_worked"].error_messages.update(
            min_value="本年务工月数不能为负数",
            max_value="本年务工月数最多 12 个月",
            invalid="本年务工月数须为整数",
        )
        if "employer" in self.hidden:
            self.fields["employer"].widget.attrs["placeholder"] = "已填写(已隐藏);不修改请留空"
        if "note" in self.hidden:
            self.fields["note"].widget.attrs["placeholder"] = "已填写(含已隐藏的个人信息);不修改请留空"
        if "wage_band" in self.hidden:
            wage = self.fields["wage_band"]
            assert isinstance(wage, forms.ChoiceField)  # noqa: S101 - declared above
            wage.choices = choices_with_blank(e.choices("wage_band"), "保持原填报(已隐藏)")

    @classmethod
    def initial_from(cls, values: dict[str, Any], *, pii: bool) -> dict[str, Any]:
        initial = {k: v for k, v in values.items() if v is not None}
        initial["working"] = _initial_yes_no(values.get("working"))
        initial["willing"] = _initial_yes_no(values.get("willing"))
        if not pii:
            initial.pop("employer", None)
            initial.pop("wage_band", None)
            if initial.get("note") and text_shown(initial["note"], pii=False) != initial["note"]:
                initial.pop("note")  # it quotes personal data: kept as a hidden value (see views_survey)
        return initial

    def values(self) -> dict[str, Any]:
        """The posted row as the service takes it; a blank hidden field keeps its recorded value."""
        data = dict(self.cleaned_data)
        data["working"] = _yes_no(data.get("working"))
        data["willing"] = _yes_no(data.get("willing"))
        for name, kept in self.hidden.items():
            if not data.get(name):
                data[name] = kept
        return data
