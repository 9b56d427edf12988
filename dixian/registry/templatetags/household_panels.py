"""`{% household_panels %}`: the panels other apps registered for the household page (registry/panels.py)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def household_panels(context: Any) -> SafeString:
    """Render each panel of `panels` with the page's context plus the panel's own (not leaking into the next)."""
    engine = context.template.engine
    html = []
    for panel in context.get("panels", []):
        with context.push(**panel.context):
            html.append(engine.get_template(panel.template).render(context))
    return mark_safe("".join(html))  # noqa: S308 - templates rendered with autoescape, not user strings
