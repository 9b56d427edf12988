"""The form of the screening page: a period to screen."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from .services import period_check


class RunStartForm(forms.Form):
    period = forms.CharField(
        label="筛查期间",
        max_length=7,
        help_text="年-月,例如 2026-10",
        widget=forms.TextInput(attrs={"placeholder": "2026-10", "inputmode": "numeric"}),
        error_messages={"required": "请填写筛查期间,例如 2026-10"},
    )

    def clean_period(self) -> str:
        try:
            return period_check(self.cleaned_data["period"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None
