"""Which accounts an administrator sees: those of its region's subtree, the superuser aside (docs/security.md
§6). An account outside answers 404, exactly like one that does not exist."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from dixian.accounts.models import User
from dixian.common.access import region_range_q, user_prefix

from .forms import AccountFilters


def accounts_for_admin(admin: User) -> QuerySet[User]:
    prefix = user_prefix(admin)
    if prefix is None:
        return User.objects.none()
    return (
        User.objects.filter(region_range_q(prefix, "region__code"))
        .exclude(is_superuser=True)
        .select_related("region")
    )


def account_list_for_admin(admin: User, filters: AccountFilters) -> QuerySet[User]:
    qs = accounts_for_admin(admin)
    if filters.region is not None:
        qs = qs.filter(region_range_q(filters.region.prefix, "region__code"))
    if filters.role:
        # Roles are a JSON list; its text holds the quoted code on SQLite and PostgreSQL alike.
        qs = qs.filter(roles__icontains=f'"{filters.role}"')
    if filters.status == "active":
        qs = qs.filter(is_active=True)
    elif filters.status == "inactive":
        qs = qs.filter(is_active=False)
    if filters.q:
        qs = qs.filter(
            Q(username__icontains=filters.q)
            | Q(first_name__icontains=filters.q)
            | Q(last_name__icontains=filters.q)
        )
    return qs.order_by("region__code", "username", "pk")


def account_get_for_admin(admin: User, pk: int) -> User:
    account = accounts_for_admin(admin).filter(pk=pk).first()
    if account is None:
        raise Http404("没有找到该账号。")
    return account
