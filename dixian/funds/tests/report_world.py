"""A small hand-made year of funds and projects over registry.testing's world, every figure of which the
report tests check by hand (docs/domain.md §22 "Figures"). Rows are written directly: the figures read
rows, whichever service wrote them.

修水县 (county): allocations 中央 1,000,000.00 (直达) and 省级 500,000.50; projects in the 2023 plan P1 (产业,
良塘村, accepted), P2 (基础设施, 桃坪村, started) and P3 (产业, 义宁镇 itself, not started), and P4 only
proposed; 都昌县 (other county): 市级 200,000.00 (直达), P5 (产业, 城西村, started).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from dixian.domain import funds as fd
from dixian.funds.models import (
    Allocation,
    Arrangement,
    Asset,
    BenefitLink,
    BusinessEntity,
    IndustryBase,
    Payment,
    Project,
)
from dixian.regions.models import Region
from dixian.registry.models import Household
from dixian.registry.testing import World, household

D = Decimal
YEAR = 2023


@dataclass
class FundsWorld:
    projects: dict[str, Project]
    allocations: dict[str, Allocation]
    ordinary: Household
    monitored: Household


def allocation(
    key: str, region: Region, level: str, amount: str, *, direct: bool, year: int = YEAR
) -> Allocation:
    return Allocation.objects.create(
        year=year,
        level=level,
        doc_no=f"赣财农〔{year}〕{key}号",
        doc_date=dt.date(year, 2, 1),
        region=region,
        region_code=region.code,
        amount=D(amount),
        direct=direct,
    )


def project(
    code: str,
    region: Region,
    kind: str,
    budget: str,
    *,
    state: str = fd.IN_PLAN,
    started: dt.date | None = None,
    completed: dt.date | None = None,
    accepted: dt.date | None = None,
    year: int = YEAR,
) -> Project:
    return Project.objects.create(
        code=code,
        name=f"项目{code}",
        year=year,
        kind=kind,
        region=region,
        region_code=region.code,
        owner_unit="乡镇人民政府",
        state=state,
        state_since=timezone.now(),
        planned_on=dt.date(year, 3, 1) if state == fd.IN_PLAN else None,
        budget_total=D(budget),
        started_on=started,
        completed_on=completed,
        accepted_on=accepted,
    )


def arrange(a: Allocation, p: Project, amount: str, on: dt.date = dt.date(YEAR, 3, 10)) -> Arrangement:
    return Arrangement.objects.create(
        allocation=a, project=p, amount=D(amount), arranged_on=on, region_code=a.region_code
    )


def pay(p: Project, amount: str, on: dt.date) -> Payment:
    return Payment.objects.create(
        project=p,
        paid_on=on,
        amount=D(amount),
        level=fd.CENTRAL,
        use_category="construction",
        payee_category="contractor",
        region_code=p.region_code,
    )


def asset(
    p: Project, cls: str, value: str, *, state: str = Asset.State.ACTIVE, owner: Household | None = None
) -> Asset:
    return Asset.objects.create(
        project=p,
        name=f"{p.name}资产",
        asset_class=cls,
        value=D(value),
        owner_unit="村集体经济组织",
        household=owner,
        region_code=p.region_code,
        state=state,
    )


def link(h: Household, *, year: int = YEAR, form: str = "employment", **source: object) -> BenefitLink:
    return BenefitLink.objects.create(household=h, year=year, form=form, region_code=h.region_code, **source)


def build_funds_world(world: World) -> FundsWorld:
    a1 = allocation("1", world.county, fd.CENTRAL, "1000000.00", direct=True)
    a2 = allocation("2", world.county, fd.PROVINCE, "500000.50", direct=False)
    a3 = allocation("3", world.other_county, fd.CITY, "200000.00", direct=True)
    allocation("9", world.county, fd.COUNTY, "999.00", direct=False, year=YEAR - 1)  # another year

    d = dt.date
    p1 = project(
        "P1",
        world.village,
        fd.INDUSTRY,
        "600000.00",
        started=d(YEAR, 4, 1),
        completed=d(YEAR, 9, 1),
        accepted=d(YEAR, 10, 15),
    )
    p2 = project("P2", world.other_village, fd.INFRASTRUCTURE, "300000.25", started=d(YEAR, 5, 1))
    p3 = project("P3", world.township, fd.INDUSTRY, "100000.00")
    p4 = project("P4", world.village, fd.INDUSTRY, "50000.00", state=fd.PROPOSED)
    p5 = project("P5", world.far_village, fd.INDUSTRY, "150000.00", started=d(YEAR, 6, 1))

    arrange(a1, p1, "600000.00")
    arrange(a2, p2, "300000.25")
    arrange(a1, p3, "100000.00")
    arrange(a3, p5, "150000.00")

    pay(p1, "450000.10", d(YEAR, 5, 1))
    pay(p1, "149999.90", d(YEAR, 10, 1))
    pay(p2, "100000.05", d(YEAR, 6, 1))
    pay(p5, "75000.00", d(YEAR, 7, 1))

    ordinary = household("3604241002020002", world.other_village, "赵六", 4)
    monitored = household("3604241002010002", world.village, "钱七", 5)
    Household.objects.filter(pk=ordinary.pk).update(kind="ordinary")
    Household.objects.filter(pk=monitored.pk).update(kind="ordinary", monitoring_category="edge")

    asset(p1, fd.OPERATING, "500000.00")
    asset(p1, fd.HOUSEHOLD, "100000.00", owner=world.home)
    asset(p1, fd.PUBLIC, "7777.00", state=Asset.State.DISPOSED)  # disposed: not held any more
    asset(p5, fd.PUBLIC, "150000.00")

    entity = BusinessEntity.objects.create(
        name="良塘茶叶合作社",
        kind="cooperative",
        credit_code="93360424MA35XXXX1X",
        region=world.village,
        region_code=world.village.code,
    )
    base = IndustryBase.objects.create(
        name="桃坪蔬菜基地", region=world.other_village, region_code=world.other_village.code
    )
    link(world.home, project=p1)
    link(world.home, entity=entity, form="dividend")  # the same household again: counted once
    link(monitored, project=p1)
    link(world.neighbour, base=base)
    link(ordinary, project=p2)
    link(world.far, project=p5)
    link(world.neighbour, project=p2, year=YEAR - 1)  # another year
    return FundsWorld(
        {"P1": p1, "P2": p2, "P3": p3, "P4": p4, "P5": p5},
        {"A1": a1, "A2": a2, "A3": a3},
        ordinary,
        monitored,
    )
