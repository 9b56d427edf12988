"""`{% load funds_rates %}`: a rate of docs/domain.md §22 (a Decimal share to four places) as a percentage."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def rate(value: Decimal | None) -> str:
    """0.7512 → '75.12%'; None (nothing to divide by) → '—'."""
    if value is None:
        return "—"
    return f"{value * 100:.2f}%"
