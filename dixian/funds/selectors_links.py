"""Reads of 联农带农 (docs/domain.md §22): the households linked in a region and year, counted as distinct
households — a household linked by two projects, or by a project and an entity, counts once.

`linked_households` is what the region's funds report (helper D, `funds:report`) and the command line show
as "带动农户 N 户,其中脱贫户和监测对象 M 户".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from dixian.common.access import region_range_q, scope_by_region
from dixian.registry.choices import HouseholdKind

from .models import BenefitLink, BusinessEntity, IndustryBase

if TYPE_CHECKING:
    from dixian.accounts.models import User

SOURCES = ("project", "entity", "base")
# 脱贫户 or 监测对象 (any monitoring category): the households the figures single out.
EX_POOR_OR_MONITORED = Q(household__kind=HouseholdKind.EX_POOR) | ~Q(household__monitoring_category="")


@dataclass(frozen=True)
class LinkedHouseholds:
    households: int  # distinct households linked
    ex_poor_or_monitored: int  # of which 脱贫户 or 监测户 (distinct)


def links_in(prefix: str, year: int | None = None, *, source: str | None = None) -> QuerySet[BenefitLink]:
    """The links of households inside `prefix` (a region code prefix), of a year, of one kind of source."""
    if source is not None and source not in SOURCES:
        raise ValueError(f"unknown link source {source!r}")
    qs = BenefitLink.objects.filter(region_range_q(prefix))
    if year is not None:
        qs = qs.filter(year=year)
    if source is not None:
        qs = qs.filter(**{f"{source}__isnull": False})
    return qs


def linked_households(prefix: str, year: int, *, source: str | None = None) -> LinkedHouseholds:
    """Distinct households linked in the region (code prefix) and year, and the 脱贫户/监测户 among them.

    `source`: "project", "entity" or "base" to count the links of one kind only; None for all. One query."""
    found = links_in(prefix, year, source=source).aggregate(
        households=Count("household", distinct=True),
        weak=Count("household", distinct=True, filter=EX_POOR_OR_MONITORED),
    )
    return LinkedHouseholds(found["households"] or 0, found["weak"] or 0)


def entities_for_user(user: User) -> QuerySet[BusinessEntity]:
    return scope_by_region(user, BusinessEntity.objects.all())


def bases_for_user(user: User) -> QuerySet[IndustryBase]:
    return scope_by_region(user, IndustryBase.objects.all())
