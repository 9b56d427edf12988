"""Edit forms of the household page. They check the shape of the input; services.py applies the rules.

An account that may not see personal information (`may_view_pii`) edits without ever receiving it: the ID
number and phone inputs start empty (leaving them empty keeps the stored value) and the health fields are
left out of the form altogether.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from copy import copy
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from dixian.common.forms import add_service_errors
from dixian.common.masking import id_number_shown, phone_shown
from dixian.domain import dictionaries, household_facts
from dixian.domain.income import FIRST_INCOME_YEAR

from . import choices as c
from .models import Household, HouseholdIncome, Person
from .parsing import ParseError, parse_phone
from .services import HOUSEHOLD_EDITABLE, INCOME_COMPONENTS, PERSON_EDITABLE, id_number_normalise

HEALTH_FIELDS = ("health_status", "disability_category", "disability_grade")
KEEP_HINT = "当前为 {masked};不修改请留空。"


def clean_phone(value: str) -> str:
    """The workbook's phone rule (11-digit mobile, or landline with area code), so both paths agree."""
    try:
        return parse_phone(value)
    except ParseError as exc:
        raise ValidationError(str(exc)) from None


class _ServiceForm(forms.ModelForm):
    """A ModelForm whose instance is a copy, and whose uniqueness checks are left to the services."""

    def __init__(self, *args: Any, instance: Any = None, **kwargs: Any) -> None:
        # ModelForm writes cleaned values onto its instance; the services re-read the stored record, so the
        # form must not change the object the view holds.
        super().__init__(*args, instance=copy(instance) if instance is not None else None, **kwargs)  # type: ignore[misc]  # callers pass only data/files positionally

    def validate_unique(self) -> None:
        """The services check uniqueness, with messages that reveal nothing outside the account's scope."""

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.changed_data}

    def add_service_errors(self, exc: ValidationError) -> None:
        add_service_errors(self, exc)


# 监测对象类别 is written by the monitoring case only (docs/domain.md §20): the form does not offer it.
HOUSEHOLD_FORM_FIELDS = tuple(f for f in HOUSEHOLD_EDITABLE if f != "monitoring_category")


class HouseholdForm(_ServiceForm):
    class Meta:
        model = Household
        fields = HOUSEHOLD_FORM_FIELDS
        widgets = {"address": forms.TextInput(attrs={"size": 40})}

    def __init__(self, *args: Any, may_view_pii: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["water_ok"].widget = WaterSelect()
        self.fields["year_out_of_poverty"].widget.attrs.update(
            min=household_facts.POVERTY_EXIT_YEARS[0], max=household_facts.POVERTY_EXIT_YEARS[1]
        )
        if not may_view_pii:
            _keep_unless_typed(self, "phone", phone_shown(self.instance.phone, pii=False))

    def clean_phone(self) -> str:
        return _kept(self, "phone", clean_phone(self.cleaned_data.get("phone") or ""))


class PersonForm(_ServiceForm):
    class Meta:
        model = Person
        fields = PERSON_EDITABLE
        help_texts = {"id_number": "18位居民身份证号码;性别和出生日期由号码自动得出。"}

    def __init__(self, *args: Any, may_view_pii: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        known = [*c.ETHNICITIES, dictionaries.OTHER_ETHNICITY]
        if self.instance.ethnicity and self.instance.ethnicity not in known:
            known.insert(0, self.instance.ethnicity)  # a spelling from an old workbook stays selectable
        self.fields["ethnicity"] = forms.ChoiceField(
            label="民族", choices=[(e, e) for e in known], initial="汉族"
        )
        self.fields["months_worked"].widget.attrs.update(min=0, max=12)
        # 在校生情况 at grade level, grouped by stage (docs/domain.md §18).
        student = self.fields["student_status"]
        assert isinstance(student, forms.ChoiceField)
        student.choices = dictionaries.student_status_grouped()
        if not may_view_pii:
            for name in HEALTH_FIELDS:
                del self.fields[name]
            if self.instance.pk:
                _keep_unless_typed(self, "id_number", id_number_shown(self.instance.id_number, pii=False))
                _keep_unless_typed(self, "phone", phone_shown(self.instance.phone, pii=False))

    def clean_id_number(self) -> str:
        value = _kept(self, "id_number", id_number_normalise(self.cleaned_data.get("id_number") or ""))
        if not value:
            raise ValidationError("请填写证件号码。")
        return value

    def clean_phone(self) -> str:
        return _kept(self, "phone", clean_phone(self.cleaned_data.get("phone") or ""))


class WaterSelect(forms.NullBooleanSelect):
    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", "未填写"), ("true", "是"), ("false", "否")]


def _kept(form: forms.ModelForm, name: str, value: str) -> str:
    """An empty input of a masked field keeps the stored value."""
    if not value and getattr(form.fields[name], "keep_stored", False):
        return str(getattr(form.instance, name))
    return value


def _keep_unless_typed(form: forms.ModelForm, name: str, masked: str) -> None:
    """Never send the stored value to the browser; an empty input keeps it."""
    field = form.fields[name]
    field.required = False
    field.keep_stored = bool(masked)  # type: ignore[attr-defined]  # our own flag on the field, read back by _kept()
    form.initial[name] = ""
    if masked:
        field.help_text = KEEP_HINT.format(masked=masked)
        field.widget.attrs["placeholder"] = masked


class PersonMoveForm(forms.Form):
    household_no = forms.CharField(label="迁入户的户编号", max_length=24)
    relation = forms.ChoiceField(
        label="迁入后与户主关系",
        required=False,
        choices=[("", "保持不变"), *c.Relation.choices],
    )

    def clean_household_no(self) -> str:
        return self.cleaned_data["household_no"].strip()


class IncomeForm(forms.Form):
    year = forms.IntegerField(label="收入年度", min_value=FIRST_INCOME_YEAR, max_value=2100)
    members = forms.IntegerField(
        label="计算人口数",
        min_value=1,
        max_value=99,
        required=False,
        help_text="留空则按本户当前人口数计算。",
    )

    def __init__(self, *args: Any, initial: MutableMapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, initial=initial, **kwargs)  # type: ignore[misc]  # callers pass only data positionally
        for name in INCOME_COMPONENTS:
            model_field = HouseholdIncome._meta.get_field(name)
            self.fields[name] = forms.DecimalField(
                label=f"{model_field.verbose_name}(元)",  # type: ignore[union-attr]  # a concrete field's name, never a reverse relation
                min_value=0,
                max_digits=12,
                decimal_places=2,
                required=False,
                error_messages={"min_value": "金额不能为负数。"},
            )

    def amounts(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) or Decimal(0) for name in INCOME_COMPONENTS}
