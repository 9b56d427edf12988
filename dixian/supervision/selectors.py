"""Reads of the organisation-and-supervision ledger (docs/domain.md §26), scoped by region; a record outside
answers 404 exactly like one that does not exist.

- Units, stationed cadres and visits are seen in the subtree of the place they concern.
- Leaders (kept per county) and experts (kept by the city or a county) are seen in that unit's subtree and by
  the accounts below it (a village sees its county's leaders and the city's pool); they are changed only by
  accounts whose subtree holds them (`*_get_for_edit`).
- 四不两直: an unannounced visit not yet recorded is seen only by accounts that may plan visits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import region_range_q, scope_by_region, user_prefix

from .models import AssistUnit, CountyLeader, Expert, StationedStaff, SupervisionVisit

if TYPE_CHECKING:
    from dixian.accounts.models import User

MISSING = "记录不存在或不在您的管辖范围内"


def _ancestors(prefix: str) -> list[str]:
    """The 12-digit codes of the units above a subtree's prefix (city, county, township)."""
    return [prefix[:n].ljust(12, "0") for n in (4, 6, 9) if n < len(prefix)]


def scope_up_and_down[M: Model](user: User, qs: QuerySet[M]) -> QuerySet[M]:
    """Records kept by a unit of the account's subtree or by a unit above it."""
    prefix = user_prefix(user)
    if prefix is None:
        return qs.none()
    return qs.filter(region_range_q(prefix) | Q(region_code__in=_ancestors(prefix)))


def _get[M: Model](qs: QuerySet[M], pk: int) -> M:
    found = qs.filter(pk=pk).first()
    if found is None:
        raise Http404(MISSING)
    return found


def leaders_for_user(user: User) -> QuerySet[CountyLeader]:
    return scope_up_and_down(user, CountyLeader.objects.all())


def leader_get_for_edit(user: User, pk: int) -> CountyLeader:
    return _get(scope_by_region(user, CountyLeader.objects.select_related("county")), pk)


def units_for_user(user: User) -> QuerySet[AssistUnit]:
    return scope_by_region(user, AssistUnit.objects.all())


def unit_get_for_user(user: User, pk: int) -> AssistUnit:
    return _get(units_for_user(user).select_related("village"), pk)


def staff_for_user(user: User) -> QuerySet[StationedStaff]:
    return scope_by_region(user, StationedStaff.objects.all())


def staff_get_for_user(user: User, pk: int) -> StationedStaff:
    return _get(staff_for_user(user).select_related("village"), pk)


def experts_for_user(user: User) -> QuerySet[Expert]:
    return scope_up_and_down(user, Expert.objects.all())


def expert_get_for_edit(user: User, pk: int) -> Expert:
    return _get(scope_by_region(user, Expert.objects.select_related("region")), pk)


def visits_for_user(user: User) -> QuerySet[SupervisionVisit]:
    qs = scope_by_region(user, SupervisionVisit.objects.all())
    if not user_can(user, Capability.SUPERVISION_EDIT):
        qs = qs.exclude(kind=SupervisionVisit.Kind.UNANNOUNCED, done_on__isnull=True)
    return qs


def visit_get_for_user(user: User, pk: int) -> SupervisionVisit:
    return _get(visits_for_user(user).select_related("region", "planned_by", "recorded_by"), pk)
