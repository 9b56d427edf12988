"""Test helpers of the survey (docs/domain.md §23): rows of the form's values, records of a past month, and
a village of many roll workers (for the query-count tests and the page's benchmark)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from dixian.common.testing import fake_id
from dixian.domain import employment as e
from dixian.regions.models import Region
from dixian.registry.models import Household, Person

from .models import Employment

WORKING_AWAY: dict[str, Any] = {
    "working": True,
    "place_tier": e.OUT_OF_PROVINCE,
    "employer": "东莞市某电子厂",
    "channel": e.LABOUR_EXPORT,
    "months_worked": 1,
    "wage_band": "3000_5000",
}
IDLE_WILLING: dict[str, Any] = {
    "working": False,
    "not_working_reason": "no_job",
    "willing": True,
    "months_worked": 0,
}


def record(person: Person, month: dt.date, values: dict[str, Any] | None = None, **extra: Any) -> Employment:
    """A stored record of `month` (written directly: the past the tests start from)."""
    row = {**(values or WORKING_AWAY), **extra}
    return Employment.objects.create(
        person=person,
        household_id=person.household_id,
        region_code=person.region_code,
        month=month,
        source=Employment.Source.FORM,
        recorded_at=timezone.now(),
        **row,
    )


def many_workers(village: Region, households: int, *, members: int = 3, seq0: int = 100) -> list[Person]:
    """`households` 脱贫户 of `village`, each with `members` working-age labourers (all on the roll)."""
    made = Household.objects.bulk_create(
        Household(
            household_no=f"{village.code}{seq0 + i:04d}",
            region=village,
            region_code=village.code,
            kind="ex_poor",
            year_out_of_poverty=2018,
            head_name=f"劳动{i}",
            member_count=members,
        )
        for i in range(households)
    )
    people = []
    for i, h in enumerate(made):
        for m in range(members):
            birth = dt.date(1975 + m * 7, 1 + i % 12, 1 + m)
            people.append(
                Person(
                    household=h,
                    region_code=village.code,
                    id_number=fake_id(village.code[:6], birth, seq0 + i * members + m, female=m == 1),
                    name=f"劳动{i}号{m}",
                    sex="female" if m == 1 else "male",
                    birth_date=birth,
                    relation="head" if m == 0 else "son",
                    labour_skill="ordinary",
                    medical_insurance="resident",
                )
            )
    return Person.objects.bulk_create(people)
