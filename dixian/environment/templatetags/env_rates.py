"""`{% load env_rates %}`: the ledger's rates (docs/domain.md §27, Decimals to four places) as percentages, and
week-on-week changes in points."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def pct(value: Decimal | None) -> str:
    """0.7512 → '75.1%'; None (nothing to divide by) → '—'."""
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def points(value: Decimal | None) -> str:
    """A change in percentage points: +1.5 / -0.3 / 0.0; None → '—'."""
    if value is None:
        return "—"
    return f"+{value}" if value > 0 else f"{value}"


@register.filter
def change_css(value: Decimal | None) -> str:
    if value is None or value == 0:
        return ""
    return "up" if value > 0 else "warn"
