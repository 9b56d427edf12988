"""Registry facts: households and persons by kind and by monitoring category (docs/domain.md §21)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.db.models.functions import Substr

from dixian.accounts.capabilities import Capability
from dixian.registry import choices as c
from dixian.registry.models import Household, Person

from .catalogue import Drill, Indicator, indicator_register, list_url
from .periods import Period
from .producers import Row, producer_register

if TYPE_CHECKING:
    from dixian.regions.models import Region

HOUSEHOLDS = "registry.households"
PERSONS = "registry.persons"
MONITORED_HOUSEHOLDS = "registry.monitored_households"
MONITORED_PERSONS = "registry.monitored_persons"


def _villages_q(villages: Sequence[str] | None, field: str = "region_code") -> Q:
    if villages is None:
        return Q()
    q = Q()
    for v in villages:
        q |= Q(**{f"{field}__gte": v, f"{field}__lt": v + "~"})
    return q


@producer_register(
    "registry", codes=(HOUSEHOLDS, PERSONS, MONITORED_HOUSEHOLDS, MONITORED_PERSONS), history=False
)
def registry_facts(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    """Households and persons by kind (dim "kind=ex_poor"), monitored ones by category, now."""
    village = Substr("region_code", 1, 12)
    households = (
        Household.objects.filter(_villages_q(villages))
        .annotate(v=village)
        .values_list("v", "kind", "monitoring_category")
        .annotate(n=Count("id"))
    )
    for v, kind, category, n in households:
        yield v, HOUSEHOLDS, "", n
        yield v, HOUSEHOLDS, f"kind={kind}", n
        if category:
            yield v, MONITORED_HOUSEHOLDS, "", n
            yield v, MONITORED_HOUSEHOLDS, f"category={category}", n
    persons = (
        Person.objects.filter(_villages_q(villages))
        .annotate(v=village)
        .values_list("v", "household__kind", "household__monitoring_category")
        .annotate(n=Count("id"))
    )
    for v, kind, category, n in persons:
        yield v, PERSONS, "", n
        yield v, PERSONS, f"kind={kind}", n
        if category:
            yield v, MONITORED_PERSONS, "", n
            yield v, MONITORED_PERSONS, f"category={category}", n


def _households(**params: str) -> Drill:
    def drill(region: Region, period: Period) -> str:
        return list_url("registry:household_list", region, **params)

    return drill


_SOURCE = "农户信息库(登记、导入、监测帮扶档案)"
indicator_register(
    Indicator(
        code="ex_poor_households",
        name="脱贫户",
        group="农户底数",
        unit="户",
        numerator=HOUSEHOLDS,
        dim=f"kind={c.HouseholdKind.EX_POOR}",
        numerator_text="户类型为脱贫户的农户数",
        source_text=_SOURCE,
        drill=_households(kind=c.HouseholdKind.EX_POOR),
        drill_capability=Capability.REGISTRY_VIEW,
        headline=True,
    )
)
