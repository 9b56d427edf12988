"""Test helpers: a small region tree with registry records and the personas of style.md."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

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


# The personas' names, in the order `personas` makes them: tests that walk every persona take one per test.
PERSONA_NAMES = (
    "city_admin",
    "county_admin",
    "county_reviewer",
    "other_county_reviewer",
    "township_reviewer",
    "village_officer",
    "helper",
    "department_uploader",
    "leader",
    "finance",
    "sector",
)


def personas(world: World) -> dict[str, User]:
    """The personas of style.md, keyed by name (PERSONA_NAMES)."""
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
        # The county's finance office and a sector office that runs projects (docs/domain.md §22).
        "finance": persona("finance", world.county, Role.FINANCE_OFFICER),
        "sector": persona("sector", world.county, Role.SECTOR_OFFICER),
    }


def funds_offices(world: World) -> dict[str, User]:
    """The county's finance and sector offices (the `people` fixture's when it ran, made here otherwise) and
    the other county's finance office, for dixian.funds.testing (roles are named only here and in the
    permission map)."""

    def one(username: str, region_node: Region, role: str) -> User:
        found = User.objects.filter(username=username).first()
        return found if found is not None else persona(username, region_node, role)

    return {
        "finance": one("finance", world.county, Role.FINANCE_OFFICER),
        "sector": one("sector", world.county, Role.SECTOR_OFFICER),
        "other_finance": one("other_finance", world.other_county, Role.FINANCE_OFFICER),
    }


def step_actors(people: dict[str, User]) -> dict[str, User]:
    """The personas who do each owner's steps of a monitoring case (docs/domain.md §20)."""
    return {
        "village": people["village_officer"],
        "township": people["township_reviewer"],
        "county_check": people["county_reviewer"],
        "county": people["county_admin"],
    }


# ---- a workbook of the national system's layout: places by name, no code column ---------------------------

# Headers as the national system's export spells them (docs/domain.md §14.1); 自然村 is carried and ignored.
NATIONAL_HEADERS: dict[str, str] = {
    "county_name": "县(市、区)",
    "township_name": "乡(镇)",
    "village_name": "行政村",
    "natural_village": "自然村",
    "group_name": "组",
    "household_no": "户编号",
    "kind": "户类型",
    "name": "姓名",
    "id_number": "证件号码",
    "relation": "与户主关系",
    "labour_skill": "劳动技能",
    "medical_insurance": "参加医保情况",
}
# Other spellings of the place headers seen in such exports.
NATIONAL_HEADER_VARIANTS: dict[str, tuple[str, ...]] = {
    "county_name": ("县", "区县", "县区"),
    "township_name": ("乡镇", "乡(镇、街道)"),
    "village_name": ("村", "行政村名称"),
    "group_name": ("村民小组",),
}


_SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"


def places_world(world: World) -> dict[str, Region]:
    """Units beside build_world's for resolving names: 新村 twice in 修水县 (义宁镇 and 渣津镇), a village
    whose name carries a bracket, and two groups of 良塘村."""
    zhajin = region("360424101000", "渣津镇", "township", world.county)
    return {
        "zhajin": zhajin,
        "xincun_yining": region("360424100203", "新村", "village", world.township),
        "xincun_zhajin": region("360424101201", "新村", "village", zhajin),
        "huangsha": region("360424101202", "黄沙(港)村", "village", zhajin),
        "group1": region("36042410020101", "一组", "group", world.village),
        "group2": region("36042410020102", "二组", "group", world.village),
    }


def national_household(
    no: str,
    seq: int,
    *,
    county: str = "",
    township: str = "",
    village: str = "",
    group: str = "",
    **extra: Any,
) -> list[dict[str, Any]]:
    """A two-person household (head and spouse) as the national export lists it: every row names the place."""
    place = {
        "county_name": county,
        "township_name": township,
        "village_name": village,
        "group_name": group,
        "natural_village": "",
    }
    rows = []
    for k, (relation, name, birth) in enumerate(
        (
            ("户主", _SURNAMES[seq % len(_SURNAMES)] + "建国", dt.date(1968, 1, 2)),
            ("配偶", "李秀英", dt.date(1970, 3, 4)),
        )
    ):
        rows.append(
            {
                **place,
                "household_no": no,
                "kind": "脱贫户",
                "name": name,
                "id_number": fake_id("360424", birth, seq * 2 + k, female=k == 1),
                "relation": relation,
                "labour_skill": "普通劳动力",
                "medical_insurance": "城乡居民基本医疗保险",
                **extra,
            }
        )
    return rows


def national_corpus(world: World, places: dict[str, Region]) -> list[tuple[list[dict[str, Any]], str]]:
    """Households whose place is written the ways clerks write it, each with the code it must resolve to."""
    v, g1, g2 = world.village.code, places["group1"].code, places["group2"].code
    ways: list[tuple[dict[str, str], str]] = [
        ({"county": "修水县", "township": "义宁镇", "village": "良塘村"}, v),
        ({"county": "修水", "township": "义宁", "village": "良塘"}, v),
        ({"township": "义宁街道", "village": "良塘村委会"}, v),
        ({"township": "义宁街道办事处", "village": "良塘村村民委员会"}, v),
        ({"village": "  良塘村 "}, v),
        ({"village": "九江市修水县义宁镇良塘村"}, v),
        ({"village": "江西省九江市修水县义宁镇良塘村二组"}, g2),
        ({"village": "良塘村", "group": "1组"}, g1),
        ({"village": "良塘村", "group": "第二村民小组"}, g2),
        ({"village": "良塘村", "group": "一组"}, g1),
        ({"township": "义宁镇", "village": "新村"}, places["xincun_yining"].code),
        ({"township": "渣津", "village": "新村委会"}, places["xincun_zhajin"].code),
        ({"village": "黄沙（港）村"}, places["huangsha"].code),
        ({"village": "黄沙（港）村委会"}, places["huangsha"].code),
        ({"county": "修水县", "village": "桃坪村"}, world.other_village.code),
    ]
    return [
        (national_household(f"36042410020199{n:02d}", 40 + n, **place), code)
        for n, (place, code) in enumerate(ways)
    ]


def national_workbook(
    path: Path,
    rows: list[dict[str, Any]],
    *,
    headers: dict[str, str] | None = None,
    title: str | None = "修水县全县全字段信息",
) -> Path:
    """Write `rows` (dicts keyed by field) in the national layout: a title row, then `NATIONAL_HEADERS`
    (or `headers` overriding some), every value as text."""
    spelled = {**NATIONAL_HEADERS, **(headers or {})}
    fields = [f for f in spelled if any(f in r for r in rows)]
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("全字段")
    top = 0
    if title:
        sheet.write_string(0, 0, title)
        top = 1
    for j, name in enumerate(fields):
        sheet.write_string(top, j, spelled[name])
    for i, row in enumerate(rows, start=top + 1):
        for j, name in enumerate(fields):
            value = row.get(name)
            if value not in (None, ""):
                sheet.write_string(i, j, str(value))
    book.close()
    return path
