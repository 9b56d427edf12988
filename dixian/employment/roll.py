"""The labour roll (劳动力名册, docs/domain.md §23): every 脱贫劳动力 and 监测劳动力 of a month, read from the
registry, never typed.

A person is on the roll of a month when, on the month's last day:
- the household is 脱贫户 (`kind` ex_poor) or monitored (a 监测对象类别);
- the person has labour capacity (普通 / 技能 / 弱劳动力或半劳动力, docs/domain.md §10);
- the person is of working age (EmploymentPolicy, default 16–64);
- the person is not in school (在校生情况 of a school stage), unless the education feed says the person
  graduated on or before that day (a graduate whose registry row still says 中职 is a worker);
- no department says the person died on or before that day, or moved out (户籍迁出) with no later return.

So the roll follows the registry: a death reported by 公安, a person moved to another village (the roll is read
by the person's current village), a household newly monitored: each changes the roll with no typing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from dixian.common.access import region_range_q
from dixian.domain import dictionaries as d
from dixian.domain import employment as e
from dixian.domain.dictionaries import EX_POOR as HOUSEHOLD_EX_POOR
from dixian.registry.models import Person

from .models import DepartmentFact, EmploymentPolicy

# 脱贫劳动力 / 监测劳动力: a 脱贫户 that is also monitored counts as 脱贫劳动力 (its household was poor first).
ROLL_KINDS: dict[str, str] = {"ex_poor": "脱贫劳动力", "monitored": "监测劳动力"}


@dataclass(frozen=True)
class Policy:
    base_year: int
    age_min: int
    age_max: int


def policy_for(month: dt.date) -> Policy:
    """The settings in force on the month's first day (the latest row from on or before it), or the defaults."""
    row = EmploymentPolicy.objects.filter(valid_from__lte=month).order_by("-valid_from").first()
    if row is None:
        return Policy(e.DEFAULT_BASE_YEAR, e.DEFAULT_AGE_MIN, e.DEFAULT_AGE_MAX)
    return Policy(row.base_year, row.age_min, row.age_max)


def _in_school_codes() -> list[str]:
    return [code for stage in d.IN_SCHOOL_STAGES for code in d.STAGE_CODES[stage]]


def _gone(month_end: dt.date) -> Q:
    """Persons a department reported dead, or moved out with no later return, by `month_end`.

    As two sets of person ids (`pk IN (SELECT …)`), each computed once by the database, rather than a
    correlated EXISTS probed for every person: the roll of a city reads ~1.4 million persons, and the probes
    cost as much as the join itself (docs/benchmarks.md "Employment figures")."""
    died = DepartmentFact.objects.filter(kind=DepartmentFact.Kind.DIED, on__lte=month_end).values("person_id")
    moved_out = DepartmentFact.objects.filter(kind=DepartmentFact.Kind.MOVED_OUT, on__lte=month_end).exclude(
        Exists(
            DepartmentFact.objects.filter(
                person_id=OuterRef("person_id"),
                kind=DepartmentFact.Kind.MOVED_IN,
                on__gt=OuterRef("on"),
                on__lte=month_end,
            )
        )
    )
    return Q(pk__in=died) | Q(pk__in=moved_out.values("person_id"))


def roll(month: dt.date, *, prefix: str = "", policy: Policy | None = None) -> QuerySet[Person]:
    """The persons on the roll of `month` (its first day) within the region `prefix` ("" = everywhere)."""
    policy = policy or policy_for(month)
    end = e.month_end(month)
    earliest, latest = e.birth_bounds(month, policy.age_min, policy.age_max)
    graduated = DepartmentFact.objects.filter(kind=DepartmentFact.Kind.GRADUATED, on__lte=end).values(
        "person_id"
    )
    qs = Person.objects.filter(
        Q(household__kind=HOUSEHOLD_EX_POOR) | ~Q(household__monitoring_category=""),
        labour_skill__in=e.ROLL_SKILLS,
        birth_date__gte=earliest,
        birth_date__lte=latest,
    ).exclude(Q(student_status__in=_in_school_codes()) & ~Q(pk__in=graduated))
    qs = qs.exclude(_gone(end))
    if prefix:
        qs = qs.filter(region_range_q(prefix))
    return qs


def roll_kind(kind: str) -> str:
    """脱贫劳动力 (ex_poor) or 监测劳动力 (monitored) for a household `kind` on the roll."""
    return "ex_poor" if kind == HOUSEHOLD_EX_POOR else "monitored"


def on_roll(person_ids: list[int], month: dt.date) -> set[int]:
    """Which of `person_ids` are on the roll of `month` (one query, for the survey's checks)."""
    if not person_ids:
        return set()
    return set(roll(month).filter(pk__in=person_ids).values_list("pk", flat=True))
