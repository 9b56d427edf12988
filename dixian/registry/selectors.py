"""Reads of the registry. Every read of personal data goes through these, scoped to the account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from dixian.accounts.models import Role
from dixian.common.access import scope_by_region

from .models import HelperAssignment, Household, Person

if TYPE_CHECKING:
    from dixian.accounts.models import User


def household_scope_for_user(user: User) -> QuerySet[Household]:
    """All households the account may see: its subtree, or its assigned households for a 帮扶干部."""
    qs = scope_by_region(user, Household.objects.all())
    if not user.is_authenticated:
        return qs.none()
    if user.is_registry_reader:
        return qs
    if user.has_role(Role.HELPER):
        assigned = HelperAssignment.objects.filter(helper=user, household=OuterRef("pk"), end_date__isnull=True)
        return qs.filter(Exists(assigned))
    return qs.none()


def household_get_for_user(user: User, pk: int) -> Household:
    try:
        return household_scope_for_user(user).select_related("region").get(pk=pk)
    except Household.DoesNotExist:
        raise Http404("农户不存在或不在您的管辖范围内") from None


def person_scope_for_user(user: User) -> QuerySet[Person]:
    return Person.objects.filter(household__in=household_scope_for_user(user).values("pk"))
