"""What a household's record says about it without anybody typing it (docs/domain.md §8, §14).

The registry stores these facts on each household so that lists filter and count them cheaply; they are
recomputed whenever a member, the housing grade or the calendar changes them. One definition in two forms:
- per household, plain Python over the members (the services, the household page);
- vectorised, Polars expressions over a members frame grouped by household (the bulk import of a whole
  county);
a property test holds the two forms to each other.

Facts: member_count, head_name, has_illness (a chronic or major illness), has_disability, and the 三保障
flags: education_ok (no member of compulsory-school age dropped out), medical_ok (every member has basic
medical insurance), housing_ok (the house is not rated C or D). Water (water_ok) is recorded, not derived.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Protocol

import polars as pl

from .dictionaries import (
    CHRONIC,
    DISABLED,
    DROPOUT,
    HEAD,
    HOUSING_C,
    HOUSING_D,
    MAJOR_ILLNESS,
    STAGE_CODES,
    student_stage,
)

# Compulsory schooling (义务教育) ages, inclusive (docs/domain.md §8).
SCHOOL_AGES = (6, 15)
ILLNESS: tuple[str, ...] = (CHRONIC, MAJOR_ILLNESS)
UNSAFE_HOUSING: tuple[str, ...] = (HOUSING_C, HOUSING_D)  # must be repaired, rebuilt or left (§8)
# 脱贫攻坚期: a 脱贫户 left poverty in one of these years, inclusive (docs/domain.md §1).
POVERTY_EXIT_YEARS = (2014, 2020)

FACTS = (
    "member_count",
    "head_name",
    "has_illness",
    "has_disability",
    "education_ok",
    "medical_ok",
    "housing_ok",
)
MEMBER_FIELDS = (
    "name",
    "relation",
    "birth_date",
    "student_status",
    "health_status",
    "disability_category",
    "medical_insurance",
)


class Member(Protocol):
    """What the facts read of a member: a registry Person, or any record with these attributes."""

    @property
    def name(self) -> str: ...
    @property
    def relation(self) -> str: ...
    @property
    def birth_date(self) -> dt.date | None: ...
    @property
    def student_status(self) -> str: ...
    @property
    def health_status(self) -> str: ...
    @property
    def disability_category(self) -> str: ...
    @property
    def medical_insurance(self) -> str: ...


# Per record -------------------------------------------------------------------------------------------


def age_on(birth: dt.date, today: dt.date) -> int:
    """Whole years of age on `today`."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def dropout_of_school_age(student_status: str, birth: dt.date | None, today: dt.date) -> bool:
    """A member out of school (失学或辍学) at a compulsory-school age: 义务教育 is not secured. The status is
    read through its stage (docs/domain.md §18), whichever value of 100A12 the registry holds."""
    low, high = SCHOOL_AGES
    return (
        student_stage(student_status) == DROPOUT and birth is not None and low <= age_on(birth, today) <= high
    )


def dropout_expr(student_status: pl.Expr) -> pl.Expr:
    """`student_stage(student_status) == dropout`, vectorised (null stays null)."""
    return student_status.is_in(STAGE_CODES[DROPOUT])


def housing_safe(grade: str | None) -> bool:
    """住房安全: not rated C or D (an unrated house counts as safe until rated)."""
    return (grade or "") not in UNSAFE_HOUSING


def is_ill(health_status: str | None) -> bool:
    return health_status in ILLNESS


def is_disabled(health_status: str | None, disability_category: str | None) -> bool:
    return health_status == DISABLED or bool(disability_category)


def poverty_exit_year_ok(year: int) -> bool:
    low, high = POVERTY_EXIT_YEARS
    return low <= year <= high


def household_facts(
    housing_grade: str | None, members: Iterable[Member], *, today: dt.date
) -> dict[str, Any]:
    """The derived facts of one household from its housing grade and its members."""
    members = list(members)
    heads = sorted(m.name for m in members if m.relation == HEAD)
    return {
        "member_count": len(members),
        "head_name": heads[0] if heads else "",
        "has_illness": any(is_ill(m.health_status) for m in members),
        "has_disability": any(is_disabled(m.health_status, m.disability_category) for m in members),
        "education_ok": not any(
            dropout_of_school_age(m.student_status, m.birth_date, today) for m in members
        ),
        "medical_ok": all(m.medical_insurance for m in members),
        "housing_ok": housing_safe(housing_grade),
    }


# Vectorised (Polars) ----------------------------------------------------------------------------------


def age_expr(birth: pl.Expr, today: dt.date) -> pl.Expr:
    """Whole years of age on `today` (null where the birth date is)."""
    md = today.month * 100 + today.day
    later_in_year = (birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day()) > md
    return pl.lit(today.year) - birth.dt.year() - later_in_year.cast(pl.Int32)


def member_facts_aggs(today: dt.date) -> list[pl.Expr]:
    """Aggregations over a household's member rows (columns MEMBER_FIELDS; in a group_by household)."""
    low, high = SCHOOL_AGES
    age = age_expr(pl.col("birth_date"), today)
    return [
        pl.len().cast(pl.Int64).alias("member_count"),
        pl.col("name").filter(pl.col("relation") == HEAD).sort().first().fill_null("").alias("head_name"),
        pl.col("health_status").is_in(ILLNESS).any().alias("has_illness"),
        ((pl.col("health_status") == DISABLED) | (pl.col("disability_category").fill_null("") != ""))
        .any()
        .alias("has_disability"),
        (~(age.is_between(low, high) & dropout_expr(pl.col("student_status"))).fill_null(False).any()).alias(
            "education_ok"
        ),
        (pl.col("medical_insurance").fill_null("") != "").all().alias("medical_ok"),
    ]


def household_facts_fill() -> list[pl.Expr]:
    """After a left join of the member aggregations onto households (column housing_grade): the facts of a
    household without members, and housing_ok."""
    return [
        pl.col("member_count").fill_null(0),
        pl.col("head_name").fill_null(""),
        pl.col("has_illness").fill_null(False),
        pl.col("has_disability").fill_null(False),
        pl.col("education_ok").fill_null(True),
        pl.col("medical_ok").fill_null(True),
        (~pl.col("housing_grade").fill_null("").is_in(UNSAFE_HOUSING)).alias("housing_ok"),
    ]
