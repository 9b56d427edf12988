"""The supervision tests' world: over the registry's small world (dixian/registry/testing.py), 良塘村 a key
village, a leader per county, units, stationed cadres and experts, and a few visits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dixian.registry.testing import World

from ..models import AssistUnit, CountyLeader, Expert, StationedStaff, SupervisionVisit

TODAY = dt.date(2026, 5, 13)  # a Wednesday; tests run at this day (time_machine)
PHONE = "13912345678"


@dataclass
class Sup:
    leader: CountyLeader  # 修水县
    far_leader: CountyLeader  # 都昌县
    unit: AssistUnit  # 良塘村
    secretary: StationedStaff  # 良塘村
    neighbour_member: StationedStaff  # 桃坪村
    far_secretary: StationedStaff  # 城西村
    city_expert: Expert
    far_expert: Expert  # 都昌县's own pool
    visit: SupervisionVisit  # 良塘村, planned for TODAY
    far_visit: SupervisionVisit  # 城西村


def staff(village, name: str, phone: str, role: str = "first_secretary", **extra: object) -> StationedStaff:
    values = {"unit": "市农业农村局", "start_on": dt.date(2025, 1, 1), **extra}
    return StationedStaff.objects.create(
        name=name, phone=phone, village=village, region_code=village.code, role=role, **values
    )


def visit(
    region, topic: str, planned_on: dt.date, kind: str = "monthly", **extra: object
) -> SupervisionVisit:
    return SupervisionVisit.objects.create(
        kind=kind, region=region, region_code=region.code, topic=topic, planned_on=planned_on, **extra
    )


def build(world: World) -> Sup:
    world.village.is_key_village = True
    world.village.save()
    leader = CountyLeader.objects.create(
        name="刘副市长",
        post="副市长",
        county=world.county,
        region_code=world.county.code,
        start_on=dt.date(2024, 1, 1),
    )
    far_leader = CountyLeader.objects.create(
        name="陈部长",
        post="市委组织部部长",
        county=world.other_county,
        region_code=world.other_county.code,
        start_on=dt.date(2024, 1, 1),
    )
    unit = AssistUnit.objects.create(
        unit="市财政局", village=world.village, region_code=world.village.code, start_on=dt.date(2024, 3, 1)
    )
    sup = Sup(
        leader=leader,
        far_leader=far_leader,
        unit=unit,
        secretary=staff(world.village, "赵书记", PHONE),
        neighbour_member=staff(world.other_village, "钱队员", "13900000002", role="member"),
        far_secretary=staff(world.far_village, "孙书记", "13900000003"),
        city_expert=Expert.objects.create(
            name="周教授", field="industry", unit="九江学院", region=world.city, region_code=world.city.code
        ),
        far_expert=Expert.objects.create(
            name="吴工",
            field="housing",
            unit="都昌县住建局",
            region=world.other_county,
            region_code=world.other_county.code,
        ),
        visit=visit(world.village, "产业帮扶落实情况", TODAY),
        far_visit=visit(world.far_village, "城西村季度督导", TODAY, kind="quarterly"),
    )
    sup.visit.leaders.add(leader)
    sup.far_visit.leaders.add(far_leader)
    return sup
