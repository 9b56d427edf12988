"""A small world of workers and survey records whose employment figures are known by hand (docs/domain.md §23
"Figures"): the tests of figures.py, the page, the command and the reports producers read the same numbers.

On the registry's small world (registry/testing.py: 九江市 › 修水县 › 义宁镇 › 良塘村 and 桃坪村, 都昌县 › 都昌镇 ›
城西村) it adds a second township of 修水县, 渣津镇 with 白岭村, and:

Roll of 2026-10 (16): 良塘村 6 (home's 2 and a household of 4; its child and a member without labour capacity
are not on the roll), 桃坪村 4 (neighbour's 2 and a monitored household of 2; an ordinary household of 2 is
not on it), 白岭村 3, 城西村 3 (far's 2 and one more).

Employed (working records):
| village | 2026-10 | 2026-09 | 2022-10 (base) | 2025-10 |
| 良塘村  | 4 of 5  | 3       | 3              | 2       |
| 桃坪村  | 2 of 3  | 2       | 1              | 0       |
| 白岭村  | 1 of 3  | 3       | 2              | 0       |
| 城西村  | 2 of 2  | 3       | 2              | 0 of 1  |
City: 9 employed of 13 records (coverage 13/16 = 81.25 %), base 8 → 112.50 %, previous year 2 → 450.00 %.
修水县 7 vs base 6 → 116.67 %; 都昌县 2 vs 2 → 100.00 %.
Falling townships (2026-09 → 2026-10): 渣津镇 3 → 1 (fell 2), 都昌镇 3 → 2 (fell 1); 义宁镇 rose 5 → 6.
2026-10 by tier: 县内 6, 省内县外 1, 省外 1, 国外 1; by channel: 自主就业 5, 劳务输出 2, 帮扶车间 1, 公益性岗位 1.
2022-10 by tier: 县内 7, 省外 1; by channel: 自主就业 7, 劳务输出 1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from dixian.common.testing import fake_id, region
from dixian.domain import employment as e
from dixian.employment.models import Employment
from dixian.regions.models import Region
from dixian.registry.models import Household, Person
from dixian.registry.testing import World

MONTH = dt.date(2026, 10, 1)
PREVIOUS = dt.date(2026, 9, 1)
BASE = dt.date(2022, 10, 1)
YEAR_AGO = dt.date(2025, 10, 1)

_seq = [100]


def _person(h: Household, birth: dt.date, skill: str = "ordinary", **extra: object) -> Person:
    _seq[0] += 1
    return Person.objects.create(
        household=h,
        region_code=h.region_code,
        id_number=fake_id(h.region_code[:6], birth, _seq[0] % 500),
        name=f"劳动力{_seq[0]}",
        sex="male",
        birth_date=birth,
        relation="son",
        labour_skill=skill,
        medical_insurance="resident",
        **extra,
    )


def household_of(
    village: Region, no: str, workers: int, *, kind: str = "ex_poor", category: str = ""
) -> Household:
    h = Household.objects.create(
        household_no=no,
        region=village,
        region_code=village.code,
        kind=kind,
        monitoring_category=category,
        head_name=f"户主{no[-3:]}",
        member_count=workers,
    )
    for i in range(workers):
        _person(h, dt.date(1975 + i, 3, 1 + i))
    return h


@dataclass
class FiguresWorld:
    world: World
    second_township: Region
    far_village2: Region  # 白岭村 of 渣津镇
    workers: dict[str, list[Person]] = field(default_factory=dict)  # by village code, roll persons in order


# (village key, month) -> list of (working, tier, channel) records, in the order of the village's workers.
W = True
PLAN: dict[tuple[str, dt.date], list[tuple[bool, str, str]]] = {
    ("liangtang", MONTH): [
        (W, e.IN_COUNTY, e.SELF),
        (W, e.IN_COUNTY, e.SELF),
        (W, e.IN_PROVINCE, e.LABOUR_EXPORT),
        (W, e.ABROAD, e.WORKSHOP),
        (False, "", ""),
    ],
    ("liangtang", PREVIOUS): [(W, e.IN_COUNTY, e.SELF)] * 3,
    ("liangtang", BASE): [(W, e.IN_COUNTY, e.SELF)] * 3,
    ("liangtang", YEAR_AGO): [(W, e.IN_COUNTY, e.SELF)] * 2,
    ("taoping", MONTH): [
        (W, e.OUT_OF_PROVINCE, e.LABOUR_EXPORT),
        (W, e.IN_COUNTY, e.PUBLIC_POST),
        (False, "", ""),
    ],
    ("taoping", PREVIOUS): [(W, e.IN_COUNTY, e.SELF)] * 2,
    ("taoping", BASE): [(W, e.OUT_OF_PROVINCE, e.LABOUR_EXPORT)],
    ("bailing", MONTH): [(W, e.IN_COUNTY, e.SELF), (False, "", ""), (False, "", "")],
    ("bailing", PREVIOUS): [(W, e.IN_COUNTY, e.SELF)] * 3,
    ("bailing", BASE): [(W, e.IN_COUNTY, e.SELF)] * 2,
    ("chengxi", MONTH): [(W, e.IN_COUNTY, e.SELF)] * 2,
    ("chengxi", PREVIOUS): [(W, e.IN_COUNTY, e.SELF)] * 3,
    ("chengxi", BASE): [(W, e.IN_COUNTY, e.SELF)] * 2,
    ("chengxi", YEAR_AGO): [(False, "", "")],
}


def record(person: Person, month: dt.date, working: bool, tier: str = "", channel: str = "") -> Employment:
    return Employment.objects.create(
        person=person,
        household_id=person.household_id,
        region_code=person.region_code,
        month=month,
        working=working,
        place_tier=tier,
        channel=channel,
        not_working_reason="" if working else "family_care",
        willing=None if working else True,
        source=Employment.Source.GENERATED,
        recorded_at=timezone.now(),
    )


def build_figures_world(world: World) -> FiguresWorld:
    township2 = region("360424101000", "渣津镇", "township", world.county)
    bailing = region("360424101201", "白岭村", "village", township2)
    fw = FiguresWorld(world, township2, bailing)

    big = household_of(world.village, "3604241002010002", 4)
    # Not on the roll: a child and a member without labour capacity.
    _person(big, dt.date(2015, 1, 1))
    _person(big, dt.date(1980, 1, 1), skill="none")
    monitored = household_of(world.other_village, "3604241002020002", 2, kind="ordinary", category="edge")
    household_of(world.other_village, "3604241002020003", 2, kind="ordinary")  # neither poor nor monitored
    household_of(bailing, "3604241012010001", 3)
    extra_far = household_of(world.far_village, "3604281002010002", 1)

    def roll_members(*households: Household) -> list[Person]:
        out: list[Person] = []
        for h in households:
            out += [
                p for p in h.members.order_by("pk") if p.labour_skill != "none" and p.birth_date.year < 2000
            ]
        return out

    fw.workers = {
        "liangtang": roll_members(world.home, big),
        "taoping": roll_members(world.neighbour, monitored),
        "bailing": roll_members(Household.objects.get(household_no="3604241012010001")),
        "chengxi": roll_members(world.far, extra_far),
    }
    for (key, month), rows in PLAN.items():
        assert len(rows) <= len(fw.workers[key]), (key, month)
        for person, (working, tier, channel) in zip(fw.workers[key], rows, strict=False):
            record(person, month, working, tier, channel)
    return fw
