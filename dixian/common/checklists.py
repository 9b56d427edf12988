"""The risk checklist of the public declaration form (one difficulty) and of the visit form (every risk
found): one field and one partial, common/partials/_risk_checklist.html. The choices come from the app's
own model (declarations.Difficulty, visits.VisitRisk), each mapped there to a risk code."""

from __future__ import annotations

from typing import Any

from django import forms


def risk_checklist_field(
    *,
    label: str,
    choices: Any,
    multiple: bool,
    required: bool,
    error_messages: dict[str, str] | None = None,
) -> forms.Field:
    """Boxes to tick (`multiple`: any number of them) or buttons to choose one of; render it with
    {% include "common/partials/_risk_checklist.html" with field=form.<name> %}."""
    if multiple:
        return forms.MultipleChoiceField(
            label=label,
            required=required,
            choices=choices,
            widget=forms.CheckboxSelectMultiple,
            error_messages=error_messages,
        )
    return forms.ChoiceField(
        label=label,
        required=required,
        choices=choices,
        widget=forms.RadioSelect,
        error_messages=error_messages,
    )
