"""Reads of village governance (docs/domain.md §28), scoped by region: a record outside the account's subtree
answers 404 exactly like one that does not exist. Points name households, so their lists also pass through
the registry's household scope (a 帮扶干部 sees only its households, an account without the registry none)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import scope_by_region
from dixian.registry.selectors import household_scope_for_user

from .models import Decision, DecisionStep, PointsAward, PointsRedemption, PointsRule, VillageDocument

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.registry.models import Household


def decisions_for_user(user: User) -> QuerySet[Decision]:
    return scope_by_region(user, Decision.objects.all())


def decision_get_for_user(user: User, pk: int) -> Decision:
    try:
        return decisions_for_user(user).select_related("region").get(pk=pk)
    except Decision.DoesNotExist:
        raise Http404("事项不存在或不在您的管辖范围内") from None


def step_get(decision: Decision, pk: int) -> DecisionStep:
    """A step of a decision already scoped (decision_get_for_user)."""
    try:
        return DecisionStep.objects.get(decision=decision, pk=pk)
    except DecisionStep.DoesNotExist:
        raise Http404("程序记录不存在或不在您的管辖范围内") from None


def rules_for_user(user: User) -> QuerySet[PointsRule]:
    return scope_by_region(user, PointsRule.objects.all())


def rule_get_for_user(user: User, pk: int) -> PointsRule:
    try:
        return rules_for_user(user).get(pk=pk)
    except PointsRule.DoesNotExist:
        raise Http404("积分规则不存在或不在您的管辖范围内") from None


def documents_for_user(user: User) -> QuerySet[VillageDocument]:
    return scope_by_region(user, VillageDocument.objects.all())


def document_get_for_user(user: User, pk: int) -> VillageDocument:
    try:
        return documents_for_user(user).select_related("region").get(pk=pk)
    except VillageDocument.DoesNotExist:
        raise Http404("文件不存在或不在您的管辖范围内") from None


def _households_q(user: User, field: str = "household") -> Q:
    """The households the account may see by name: its subtree with the registry, its assigned households
    as a 帮扶干部, none otherwise."""
    if user_can(user, Capability.REGISTRY_VIEW):
        return Q()  # the region scope of the caller is the registry's
    return Q(**{f"{field}__in": household_scope_for_user(user).values("pk")})


def awards_for_user(user: User) -> QuerySet[PointsAward]:
    return scope_by_region(user, PointsAward.objects.filter(_households_q(user)))


def redemptions_for_user(user: User) -> QuerySet[PointsRedemption]:
    return scope_by_region(user, PointsRedemption.objects.filter(_households_q(user)))


def points_household_get(user: User, pk: int) -> Household:
    """A household of the account's registry scope (the points page of one household)."""
    from dixian.registry.selectors import household_get_for_user

    return household_get_for_user(user, pk)
