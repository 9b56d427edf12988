"""`{% case_panels %}`: the panels registered for the case page (monitoring/panels.py), each rendered with
the page's context plus its own, as the household page renders its panels."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from dixian.registry.templatetags.household_panels import household_panels

register = template.Library()


@register.simple_tag(takes_context=True)
def case_panels(context: Any) -> SafeString:
    return household_panels(context)
