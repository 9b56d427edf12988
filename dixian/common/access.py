"""Region scoping: the one mechanism that decides which records an account may see.

An account sees its own region's subtree and nothing else. Every list, detail, export and API goes
through `scope_by_region` (or a selector built on it); records outside the subtree are answered with
404, never 403, so that a guessed primary key reveals nothing.

Codes of a subtree share the node's prefix, so the subtree is the half-open range
[prefix, prefix + "~"): one indexed range condition that works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db.models import Model, Q, QuerySet

if TYPE_CHECKING:
    from dixian.accounts.models import User


def region_range_q(prefix: str, field: str = "region_code") -> Q:
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "~"})


def user_prefix(user: User) -> str | None:
    """The code prefix of the account's subtree, or None when the account sees no region at all."""
    if not user.is_authenticated or not user.is_active or user.region is None:
        return None
    return user.region.prefix


def scope_by_region[M: Model](user: User, qs: QuerySet[M], *, field: str = "region_code") -> QuerySet[M]:
    """Limit `qs` to the account's subtree; an account without a region sees nothing."""
    prefix = user_prefix(user)
    if prefix is None:
        return qs.none()
    return qs.filter(region_range_q(prefix, field))


def code_in_scope(user: User, code: str) -> bool:
    prefix = user_prefix(user)
    return prefix is not None and code.startswith(prefix)


def mask_id_number(value: str) -> str:
    """360424********1234: keep the region prefix and the last four characters."""
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 4, 0) + value[-2:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """138****5678."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def may_view_pii(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.can_view_pii)


ID_OR_PHONE = re.compile(r"\d{17}[\dXx]|\d{15}|1\d{10}")

# Department feeds whose rows say something about a person's health: shown only with may_view_pii.
HEALTH_FEEDS = frozenset({"medical", "major_illness", "disability"})


def mask_numbers(text: str) -> str:
    """Mask every ID number and mobile number quoted in a text (an error reason, a record key)."""

    def mask(match: re.Match[str]) -> str:
        value = match.group(0)
        return mask_phone(value) if len(value) == 11 else mask_id_number(value)

    return ID_OR_PHONE.sub(mask, text)


# The marks the screening engine puts around a reason's private values (engine.core.PRIVATE_OPEN/CLOSE; not
# imported, to keep this module light): a cut reason may lack the closing one.
_PRIVATE_VALUE = re.compile("\ue000[^\ue000\ue001]*(?:\ue001|$)")
_PRIVATE_MARKS = re.compile("[\ue000\ue001]")
PRIVATE_SHOWN = "***"


def reason_shown(text: str, *, pii: bool) -> str:
    """An alert's or evidence's reason as an account may see it: with the personal-data right, whole;
    without it, a diagnosis, a disability's category and grade and a petition's own words read "***" and
    ID and mobile numbers are masked. "患病“***”" still tells the village what to check."""
    if not text:
        return ""
    if pii:
        return _PRIVATE_MARKS.sub("", text)
    return mask_numbers(_PRIVATE_MARKS.sub("", _PRIVATE_VALUE.sub(PRIVATE_SHOWN, text)))


def record_key_shown(feed: str, key: str, *, pii: bool) -> str:
    """A feed record's key as an account may see it.

    Keys are the source columns joined with "|" (name, ID number, and for some feeds the diagnosis), so
    without the PII right the numbers are masked and a health feed's key is not shown at all.
    """
    if pii:
        return key
    if feed in HEALTH_FEEDS:
        return "(健康相关记录,需“可查看完整个人信息”权限)"
    return mask_numbers(key)
