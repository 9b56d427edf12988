"""A household's derived facts: the per-household definition and the vectorised one agree on any members."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from dixian.domain import dictionaries as d
from dixian.domain import household_facts as hf

TODAY = dt.date(2026, 3, 1)


@dataclass(frozen=True)
class Row:
    name: str
    relation: str
    birth_date: dt.date | None
    student_status: str
    health_status: str
    disability_category: str
    medical_insurance: str


members = st.builds(
    Row,
    name=st.sampled_from(["张三", "李四", "王五", "赵六"]),
    relation=st.sampled_from([d.HEAD, "spouse", "son", "daughter"]),
    # Around the compulsory-school ages' edges (6 and 15 years on TODAY), and the birthday itself.
    birth_date=st.one_of(
        st.none(),
        st.dates(dt.date(2009, 1, 1), dt.date(2021, 12, 31)),
        st.sampled_from(
            [dt.date(2020, 3, 1), dt.date(2020, 3, 2), dt.date(2010, 3, 1), dt.date(2010, 2, 28)]
        ),
        st.dates(dt.date(1930, 1, 1), dt.date(2026, 3, 1)),
    ),
    student_status=st.sampled_from(list(d.STUDENT_STATUS)),
    health_status=st.sampled_from(list(d.HEALTH_STATUS)),
    disability_category=st.sampled_from(list(d.DISABILITY_CATEGORY)),
    medical_insurance=st.sampled_from(list(d.MEDICAL_INSURANCE)),
)
households = st.lists(
    st.tuples(st.sampled_from(list(d.HOUSING_GRADE)), st.lists(members, max_size=6)), min_size=1, max_size=8
)


@settings(max_examples=150, deadline=None)
@given(households=households)
def test_the_vectorised_facts_are_the_per_household_facts(households: list[tuple[str, list[Row]]]) -> None:
    expected = [hf.household_facts(grade, rows, today=TODAY) for grade, rows in households]
    homes = pl.DataFrame(
        {
            "household_no": [f"H{i}" for i in range(len(households))],
            "housing_grade": [g for g, _ in households],
        }
    )
    people = pl.DataFrame(
        [{"household_no": f"H{i}", **vars(r)} for i, (_, rows) in enumerate(households) for r in rows],
        schema={
            "household_no": pl.String,
            **{f: pl.String for f in hf.MEMBER_FIELDS if f != "birth_date"},
            "birth_date": pl.Date,
        },
    )
    facts = people.group_by("household_no").agg(hf.member_facts_aggs(TODAY))
    got = (
        homes.join(facts, on="household_no", how="left")
        .with_columns(hf.household_facts_fill())
        .sort("household_no", maintain_order=True)
    )
    by_no = {row["household_no"]: row for row in got.iter_rows(named=True)}
    for i, want in enumerate(expected):
        row = by_no[f"H{i}"]
        assert {k: row[k] for k in hf.FACTS} == want, (households[i], row)


def test_a_dropout_counts_against_education_only_at_compulsory_school_age() -> None:
    assert hf.dropout_of_school_age(d.DROPOUT, dt.date(2020, 3, 1), TODAY)  # 6 today
    assert not hf.dropout_of_school_age(d.DROPOUT, dt.date(2020, 3, 2), TODAY)  # 6 tomorrow
    assert hf.dropout_of_school_age(d.DROPOUT, dt.date(2010, 3, 2), TODAY)  # 15
    assert not hf.dropout_of_school_age(d.DROPOUT, dt.date(2010, 3, 1), TODAY)  # 16 today
    assert not hf.dropout_of_school_age("junior", dt.date(2014, 1, 1), TODAY)


def test_poverty_exit_years_are_2014_to_2020() -> None:
    assert [y for y in range(2010, 2025) if hf.poverty_exit_year_ok(y)] == list(range(2014, 2021))
