"""Reads of monitoring cases, scoped like every other record (docs/security.md §4): an account sees the
cases of its subtree, a 帮扶干部 those of its assigned households; anything else is a 404."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import scope_by_region
from dixian.registry.selectors import household_scope_for_user

from .models import MonitoringCase

if TYPE_CHECKING:
    from dixian.accounts.models import User


def case_scope_for_user(user: User) -> QuerySet[MonitoringCase]:
    """The cases `user` may open: one range condition on the case's own code for staff of a subtree (the
    case_queue index); the assigned households' cases for a 帮扶干部."""
    if not user_can(user, Capability.CASES_VIEW):
        return MonitoringCase.objects.none()
    cases = scope_by_region(user, MonitoringCase.objects.all())
    if user_can(user, Capability.REGISTRY_VIEW):
        return cases
    households = household_scope_for_user(user).filter(pk=OuterRef("household_id"))
    return cases.filter(Exists(households))


def case_get_for_user(user: User, pk: int) -> MonitoringCase:
    try:
        return case_scope_for_user(user).select_related("household", "region").get(pk=pk)
    except MonitoringCase.DoesNotExist:
        raise Http404("档案不存在或不在您的管辖范围内") from None
