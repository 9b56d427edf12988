"""`{% load access %}`: what an account may see of personal data, in templates.

Each filter takes the viewing user and hands the value to its kind's function in `common.masking`:
`{{ person.id_number|id_number_for:request.user }}`, `{{ household.phone|phone_for:request.user }}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template

from dixian.common import masking
from dixian.common.access import may_view_pii

if TYPE_CHECKING:
    pass

register = template.Library()


@register.filter
def reason_for(text: str, user: Any) -> str:
    """`{{ alert.reason|reason_for:request.user }}`: see `common.masking.reason_shown`."""
    return masking.reason_shown(text or "", pii=may_view_pii(user))


@register.filter
def id_number_for(value: str, user: Any) -> str:
    return masking.id_number_shown(value, pii=may_view_pii(user))


@register.filter
def phone_for(value: str, user: Any) -> str:
    return masking.phone_shown(value, pii=may_view_pii(user))


@register.filter
def bank_account_for(value: str, user: Any) -> str:
    return masking.bank_account_shown(value, pii=may_view_pii(user))


@register.filter
def health_for(value: Any, user: Any) -> Any:
    return masking.health_shown(value, pii=may_view_pii(user))


@register.filter
def text_for(text: str, user: Any) -> str:
    """A free text that may quote ID or mobile numbers."""
    return masking.text_shown(text, pii=may_view_pii(user))


@register.filter
def birth_date_for(value: Any, user: Any) -> str:
    """`{{ person.birth_date|birth_date_for:request.user }}`: the date with the right, else the age (56岁)."""
    return masking.birth_date_shown(value, pii=may_view_pii(user))
