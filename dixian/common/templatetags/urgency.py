"""`{% load urgency %}`: `{{ grade|grade_css }}`, the colour of an alert grade (`common.urgency`)."""

from __future__ import annotations

from django import template

from dixian.common.urgency import grade_css as _grade_css

register = template.Library()


@register.filter
def grade_css(grade: str) -> str:
    return _grade_css(grade)
