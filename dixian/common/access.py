"""Region scoping: the one mechanism that decides which records an account may see.

An account sees its own region's subtree and nothing else. Every list, detail, export and API goes
through `scope_by_region` (or a selector built on it); records outside the subtree are answered with
404, never 403, so that a guessed primary key reveals nothing.

Codes of a subtree share the node's prefix, so the subtree is the half-open range
[prefix, prefix + "~"): one indexed range condition that works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Model, Q, QuerySet

# Masking has its own module; these names stay importable from here, where they used to live.
from .masking import PRIVATE_SHOWN, mask_id_number, mask_phone, reason_shown

__all__ = [
    "PRIVATE_SHOWN",
    "code_in_scope",
    "mask_id_number",
    "mask_phone",
    "may_view_pii",
    "reason_shown",
    "region_range_q",
    "scope_by_region",
    "user_prefix",
]

if TYPE_CHECKING:
    from dixian.accounts.models import User


def region_range_q(prefix: str, field: str = "region_code") -> Q:
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "~"})


def user_prefix(user: User) -> str | None:
    """The code prefix of the account's subtree, or None when the account sees no region at all."""
    if not user.is_authenticated or not user.is_active or user.region_id is None:
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


def may_view_pii(user: User) -> bool:
    """The account's right to see personal data in full (PII_VIEW, granted per account: see
    `dixian.accounts.capabilities`); pass it as `pii=` to the functions of `dixian.common.masking`."""
    from dixian.accounts.capabilities import Capability, user_can

    return user_can(user, Capability.PII_VIEW)
