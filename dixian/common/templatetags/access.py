"""`{% load access %}`: what an account may see of personal data, in templates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

from dixian.common.access import may_view_pii, reason_shown

if TYPE_CHECKING:
    from dixian.accounts.models import User

register = template.Library()


@register.filter
def reason_for(text: str, user: User) -> str:
    """`{{ alert.reason|reason_for:request.user }}`: see `common.access.reason_shown`."""
    return reason_shown(text or "", pii=may_view_pii(user))
