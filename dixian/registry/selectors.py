"""Reads of the registry. Every read of personal data goes through these, scoped to the account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import scope_by_region
from dixian.common.models import ChangeLog
from dixian.regions.models import Region

from .models import HelperAssignment, Household, IncomeLine, Person

if TYPE_CHECKING:
    from dixian.accounts.models import User

    from .filters import HouseholdFilters


def household_scope_for_user(user: User) -> QuerySet[Household]:
    """All households the account may see: its subtree, or its assigned households for a 帮扶干部."""
    qs = scope_by_region(user, Household.objects.all())
    if user_can(user, Capability.REGISTRY_VIEW):
        return qs
    if user_can(user, Capability.REGISTRY_VIEW_ASSIGNED):
        today = timezone.localdate()
        # An assignment counts from its start date up to (not including) its end date.
        assigned = HelperAssignment.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gt=today),
            helper=user,
            household=OuterRef("pk"),
            start_date__lte=today,
        )
        return qs.filter(Exists(assigned))
    return qs.none()


def household_get_for_user(user: User, pk: int) -> Household:
    try:
        return household_scope_for_user(user).select_related("region").get(pk=pk)
    except Household.DoesNotExist:
        raise Http404("农户不存在或不在您的管辖范围内") from None


def person_scope_for_user(user: User) -> QuerySet[Person]:
    return Person.objects.filter(household__in=household_scope_for_user(user).values("pk"))


def person_get_for_household(household: Household, pk: int) -> Person:
    """A member of a household already fetched through `household_get_for_user`; 404 for anyone else."""
    try:
        return Person.objects.get(pk=pk, household=household)
    except Person.DoesNotExist:
        raise Http404("该成员不存在或不属于此户") from None


def income_lines_for_code(region_code: str) -> dict[int, IncomeLine]:
    """The income line of each year that applies to a region code: the most specific region wins.

    One query. A line of a county overrides the platform-wide (region-less) line inside that county.
    """
    prefixes = {region_code[:n] for n in Region.PREFIX_LENGTH.values()}
    lines = IncomeLine.objects.filter(Q(region__isnull=True) | Q(region__prefix__in=prefixes)).select_related(
        "region"
    )
    best: dict[int, IncomeLine] = {}
    for line in lines:
        depth = len(line.region.prefix) if line.region_id else 0
        current = best.get(line.year)
        if current is None or depth > (len(current.region.prefix) if current.region_id else 0):
            best[line.year] = line
    return best


def household_history(
    household: Household, *, offset: int = 0, limit: int = 20
) -> tuple[list[ChangeLog], bool]:
    """One page of a household's change log, newest first, and whether older rows exist."""
    rows = list(
        ChangeLog.objects.filter(household_id=household.pk).order_by("-at", "-id")[
            offset : offset + limit + 1
        ]
    )
    return rows[:limit], len(rows) > limit


def household_list_for_user(user: User, filters: HouseholdFilters | None = None) -> QuerySet[Household]:
    """The household list (农户信息) and its export: the account's scope, narrowed by the filters.

    Ordered by (region_code, id), the household_region_id index, so pages and export chunks are stable.
    """
    qs = household_scope_for_user(user)
    if filters is not None:
        qs = filters.apply(qs)
    return qs.order_by("region_code", "id")
