"""Test helpers: a small region tree with registry records and the personas of style.md."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from dixian.accounts.models import Role, User
from dixian.common.testing import fake_id, persona, region
from dixian.domain import catalogue
from dixian.regions.models import Region
from dixian.registry.models import HelperAssignment, Household, HouseholdIncome, Person


@dataclass
class World:
    city: Region
    county: Region
    other_county: Region
    township: Region
    village: Region
    other_village: Region
    far_village: Region
    home: Household
    neighbour: Household
    far: Household


def build_world() -> World:
    """Two counties; the first has one township with two villages, the second one village.

    `home` lives in `village`, `neighbour` in `other_village` (same township), `far` in the other county.
    """
    city = region("360400000000", "九江市", "city")
    county = region("360424000000", "修水县", "county", city)
    other_county = region("360428000000", "都昌县", "county", city)
    township = region("360424100000", "义宁镇", "township", county)
    village = region("360424100201", "良塘村", "village", township)
    other_village = region("360424100202", "桃坪村", "village", township)
    other_township = region("360428100000", "都昌镇", "township", other_county)
    far_village = region("360428100201", "城西村", "village", other_township)
    return World(
        city,
        county,
        other_county,
        township,
        village,
        other_village,
        far_village,
        household("3604241002010001", village, "张三", 1),
        household("3604241002020001", other_village, "李四", 2),
        household("3604281002010001", far_village, "王五", 3),
    )


def household(no: str, village: Region, head: str, seq: int, *, members: int = 2) -> Household:
    h = Household.objects.create(
        household_no=no,
        region=village,
        region_code=village.code,
        kind="ex_poor",
        year_out_of_poverty=2018,
        head_name=head,
        member_count=members,
        phone=f"1380000{seq:04d}",
        housing_grade="B",
        water_ok=True,
    )
    Person.objects.create(
        household=h,
        region_code=village.code,
        id_number=fake_id(village.code[:6], dt.date(1970, 1, 1), seq),
        name=head,
        sex="male",
        birth_date=dt.date(1970, 1, 1),
        relation="head",
        labour_skill="ordinary",
        medical_insurance="resident",
        phone=f"1380000{seq:04d}",
    )
    if members > 1:
        Person.objects.create(
            household=h,
            region_code=village.code,
            id_number=fake_id(village.code[:6], dt.date(1972, 5, 6), seq, female=True),
            name=f"{head}妻",
            sex="female",
            birth_date=dt.date(1972, 5, 6),
            relation="spouse",
            labour_skill="ordinary",
            medical_insurance="resident",
        )
    HouseholdIncome.objects.create(
        household=h,
        year=2025,
        wages=Decimal("20000"),
        business=Decimal("3000"),
        property=Decimal("0"),
        transfers=Decimal("1200"),
        production_costs=Decimal("1000"),
        members=members,
        net_income=Decimal("23200"),
        net_income_per_capita=Decimal("23200") / members,
    )
    return h


def personas(world: World) -> dict[str, User]:
    """The personas of style.md, keyed by name."""
    helper = persona("helper", world.village, Role.HELPER)
    HelperAssignment.objects.create(household=world.home, helper=helper, start_date=dt.date(2025, 1, 1))
    return {
        "city_admin": persona("city_admin", world.city, Role.CITY_ADMIN, pii=True),
        "county_admin": persona("county_admin", world.county, Role.COUNTY_ADMIN, pii=True),
        "county_reviewer": persona("county_reviewer", world.county, Role.COUNTY_REVIEWER),
        "other_county_reviewer": persona("other_county_reviewer", world.other_county, Role.COUNTY_REVIEWER),
        "township_reviewer": persona("township_reviewer", world.township, Role.TOWNSHIP_REVIEWER),
        "village_officer": persona("village_officer", world.village, Role.VILLAGE_OFFICER),
        "helper": helper,
        # The county's data-sharing office: it delivers every department's feeds (docs/security.md §3).
        "department_uploader": persona(
            "department_uploader",
            world.county,
            Role.DEPARTMENT_UPLOADER,
            feeds=[f.code for f in catalogue.FEEDS],
        ),
        "leader": persona("leader", world.city, Role.LEADER),
    }
