"""The relocation tests' world: two sites over the registry's small world (dixian/registry/testing.py), with
households linked, a month's survey, problems and special-fund projects, each figure known exactly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from dixian.common.testing import fake_id
from dixian.employment.models import Employment
from dixian.funds.models import Payment, Project
from dixian.funds.testing import planned_project
from dixian.registry.models import Household, Person
from dixian.registry.testing import World, household

from ..models import RelocationSite, SiteHousehold, SiteProblem, SiteProject

OCTOBER = dt.date(2026, 10, 1)
SEPTEMBER = dt.date(2026, 9, 1)


@dataclass
class Sites:
    town: RelocationSite  # 义宁镇 (修水县): home, neighbour and the elderly household
    far: RelocationSite  # 城西村 (都昌县): far
    elderly: Household  # three members, none of working age: not a labour household
    project: Project
    project_other: Project


def site(region, name: str, **extra: object) -> RelocationSite:
    county = region if region.level == "county" else type(region).objects.get(code=region.code[:6] + "000000")
    return RelocationSite.objects.create(
        name=name, county=county, region=region, region_code=region.code, kind="town", **extra
    )


def link(s: RelocationSite, h: Household) -> SiteHousehold:
    return SiteHousehold.objects.create(site=s, household=h, region_code=h.region_code)


def record(person: Person, month: dt.date, working: bool) -> Employment:
    return Employment.objects.create(
        person=person,
        household=person.household,
        region_code=person.region_code,
        month=month,
        working=working,
        place_tier="in_county" if working else "",
        channel="self" if working else "",
        not_working_reason="" if working else "no_job",
        willing=None if working else True,
        source=Employment.Source.FORM,
        recorded_at=timezone.now(),
    )


def elderly_household(world: World) -> Household:
    h = household("3604241002010099", world.village, "赵老汉", 99, members=1)
    Person.objects.filter(household=h).update(birth_date=dt.date(1950, 1, 1), labour_skill="none")
    for seq, name in ((97, "赵老太"), (98, "赵小孙")):
        Person.objects.create(
            household=h,
            region_code=h.region_code,
            id_number=fake_id("360424", dt.date(1952, 3, 3) if seq == 97 else dt.date(2015, 3, 3), seq),
            name=name,
            sex="female",
            birth_date=dt.date(1952, 3, 3) if seq == 97 else dt.date(2015, 3, 3),
            relation="other",
            labour_skill="none",
            medical_insurance="resident",
        )
    return h


def build_sites(world: World) -> Sites:
    town = site(world.township, "义宁镇幸福家园", persons_planned=250, households_planned=60)
    far = site(world.far_village, "城西安置点", chief_name="刘点长", chief_phone="13912345678")
    elderly = elderly_household(world)
    for h in (world.home, world.neighbour, elderly):
        link(town, h)
    link(far, world.far)
    home_head = world.home.members.order_by("pk")[0]
    neighbour_head = world.neighbour.members.order_by("pk")[0]
    record(home_head, OCTOBER, True)
    record(neighbour_head, SEPTEMBER, True)  # worked in September, idle in October: still a finding
    record(neighbour_head, OCTOBER, False)
    today = timezone.localdate()
    SiteProblem.objects.create(
        site=town,
        region_code=town.region_code,
        category="facilities",
        description="路灯不亮",
        found_on=dt.date(2026, 3, 1),
        owner="镇政府",
        deadline=dt.date(2026, 4, 1),
        resolved_on=dt.date(2026, 3, 20),
        resolution="已更换",
    )
    SiteProblem.objects.create(
        site=town,
        region_code=town.region_code,
        category="employment",
        description="就业车间未开工",
        found_on=dt.date(2026, 3, 1),
        owner="人社所",
        deadline=today - dt.timedelta(days=1),
    )
    SiteProblem.objects.create(
        site=town,
        region_code=town.region_code,
        category="community",
        description="物业未进驻",
        found_on=dt.date(2026, 3, 1),
        owner="社区",
        deadline=today + dt.timedelta(days=30),
    )
    project = planned_project(world.village, code="AZD-1", budget=Decimal("100000.00"), name="安置点配套")
    project_other = planned_project(world.other_village, code="AZD-2", budget=Decimal("50000.00"))
    for amount in ("30000.00", "12345.67"):
        Payment.objects.create(
            project=project,
            paid_on=dt.date(2026, 5, 1),
            amount=Decimal(amount),
            use_category="construction",
            payee_category="contractor",
            region_code=project.region_code,
        )
    for p in (project, project_other):
        SiteProject.objects.create(site=town, project=p, region_code=town.region_code)
    return Sites(town, far, elderly, project, project_other)
