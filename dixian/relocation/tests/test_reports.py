"""The relocation figures on the leaders' dashboard (reports/producers_relocation.py): the same numbers as the
site list, at the site's place and every unit above it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dixian.relocation.models import RelocationSite, SiteHousehold
from dixian.reports.catalogue import INDICATORS
from dixian.reports.models import Fact
from dixian.reports.periods import Period
from dixian.reports.selectors import figures_compared
from dixian.reports.services import facts_refresh

from .helpers import build_sites

pytestmark = pytest.mark.django_db


def fact(code: str, region_code: str) -> Decimal:
    row = Fact.objects.filter(
        region_code=region_code, code=code, period=str(Period.current()), dim=""
    ).first()
    return row.value if row else Decimal(0)


def test_the_dashboard_counts_the_sites_at_their_place_and_above(world):
    build_sites(world)
    facts_refresh(periods=[Period.current()], producers=["relocation"])
    assert fact("relocation.sites", world.city.code) == 2
    assert fact("relocation.households", world.city.code) == 4
    assert fact("relocation.households", world.county.code) == 3
    assert fact("relocation.households", world.township.code) == 3
    assert fact("relocation.households", world.village.code) == 0  # the town site is the township's
    assert fact("relocation.households", world.far_village.code) == 1
    assert fact("relocation.persons", world.city.code) == 9
    assert fact("relocation.problems", world.county.code) == 3
    [rate, resolved] = figures_compared(
        world.county,
        Period.current(),
        [INDICATORS["relocation_employment_rate"], INDICATORS["relocation_problems_resolved_rate"]],
    )
    assert (rate.current.numerator, rate.current.denominator) == (1, 2)
    assert (resolved.current.numerator, resolved.current.denominator) == (1, 3)
    drill = INDICATORS["relocation_sites"].drill
    assert (
        drill is not None
        and drill(world.county, Period.current()) == f"/relocation/?region={world.county.pk}"
    )
    SiteHousehold.objects.filter(site__region_code=world.far_village.code).delete()
    RelocationSite.objects.filter(region_code=world.far_village.code).delete()
    facts_refresh(periods=[Period.current()], producers=["relocation"])
    assert fact("relocation.sites", world.city.code) == 1


# Committed changes: inside one transaction a village already marked is not marked again (reports/triggers.py).
@pytest.mark.django_db(transaction=True)
def test_a_relocation_change_marks_the_figures_stale(world, people):
    from dixian.relocation import services
    from dixian.reports.models import StaleVillage

    made = services.site_save(
        actor=people["county_admin"], data={"name": "良塘安置小区", "kind": "village"}, region=world.village
    )
    StaleVillage.objects.all().delete()
    services.households_link(actor=people["county_admin"], site=made, numbers=world.home.household_no)
    assert StaleVillage.objects.filter(region_code=world.village.code).exists()
