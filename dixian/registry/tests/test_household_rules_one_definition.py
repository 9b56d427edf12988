"""The household form and the workbook import judge a household's kind, year out of poverty and monitoring
category by one rule (domain.household_rules), and flag a person's inconsistent disability, work,
assistance and labour fields by one set of finding rules (domain.finding_rules), which never block saving.

They once disagreed: the form wanted a 脱贫不稳定户 to be a 脱贫户 (kind != ex_poor was wrong), the import
only refused an 一般农户 (kind == ordinary), so a category with no kind passed the import alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from dixian.domain import dictionaries as d
from dixian.registry import imports, services
from dixian.registry.findings import findings_check
from dixian.registry.models import Household

KINDS = [*d.HOUSEHOLD_KIND, "", None]
CATEGORIES = [*d.MONITORING_CATEGORY, None]
YEARS = [None, 2014, 2017, 2020]  # the import's parser refuses other years before the rules run


def _form_fields(values: dict[str, Any]) -> set[str]:
    try:
        services.household_validate(values)
    except ValidationError as exc:
        return set(exc.message_dict)
    return set()


def _import_fields(values: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    v = {name: [value] for name, value in values.items()}
    imports._household_rules(v, 0, lambda _i, name, _reason: found.add(str(name)), lambda _i, _n: False)
    return found


@given(kind=st.sampled_from(KINDS), year=st.sampled_from(YEARS), category=st.sampled_from(CATEGORIES))
def test_the_form_and_the_import_refuse_the_same_households(kind: Any, year: Any, category: Any) -> None:
    values = {"kind": kind, "year_out_of_poverty": year, "monitoring_category": category}
    assert _form_fields(values) == _import_fields(values)


def test_a_monitoring_category_needs_its_kind_not_only_another_kind_absent() -> None:
    for category, kind in ((d.UNSTABLE_EX_POOR, d.EX_POOR), (d.EDGE, d.ORDINARY)):
        for values in (
            {"kind": None, "monitoring_category": category},
            {"kind": "", "monitoring_category": category},
        ):
            assert _import_fields(values) == _form_fields(values) == {"monitoring_category"}
        assert not _import_fields({"kind": kind, "monitoring_category": category})
    assert not _import_fields({"kind": None, "monitoring_category": d.SUDDEN_HARDSHIP})


person_values = st.fixed_dictionaries(
    {
        "disability_category": st.sampled_from(["", "visual", None]),
        "disability_grade": st.sampled_from([None, 1, 4]),
        "health_status": st.sampled_from([*d.HEALTH_STATUS, None]),
        "months_worked": st.sampled_from([None, 0, 6]),
        "work_place": st.sampled_from(["", "in_county", None]),
        "dibao": st.sampled_from([True, False, None]),
        "tekun": st.sampled_from([True, False, None]),
    }
)


def _oracle(values: dict[str, Any]) -> set[str]:
    """The person findings of docs/domain.md §14, written out plainly, one person at a time."""
    found = set()
    if values["months_worked"] and not values["work_place"]:
        found.add("work_place_missing")
    if values["dibao"] and values["tekun"]:
        found.add("dibao_and_tekun")
    if values["disability_category"] and not values["disability_grade"]:
        found.add("disability_grade_missing")
    if values["disability_grade"] and not values["disability_category"]:
        found.add("disability_category_missing")
    if values["health_status"] == d.DISABLED and not values["disability_category"]:
        found.add("disabled_without_category")
    labourer = values["labour_skill"] in ("ordinary", "skilled")
    if labourer and values["student_status"] not in ("", None, d.DROPOUT):
        found.add("student_labourer")
    if labourer and values["birth_date"] <= dt.date(1966, 6, 1):
        found.add("elderly_labourer")
    return found


@given(
    values=person_values,
    skill=st.sampled_from(["ordinary", "skilled", "lost", "none"]),
    student=st.sampled_from(["", None, "primary", d.DROPOUT]),
    birth=st.sampled_from(
        [dt.date(1950, 1, 1), dt.date(1966, 6, 1), dt.date(1966, 6, 2), dt.date(2010, 1, 1)]
    ),
)
def test_the_form_never_refuses_a_finding_and_the_rules_find_what_the_table_says(
    values: dict[str, Any], skill: str, student: Any, birth: dt.date
) -> None:
    values = {**values, "labour_skill": skill, "student_status": student, "birth_date": birth}
    rule_fields = {"disability_category", "disability_grade", "work_place", "tekun", "labour_skill"}
    try:
        services.person_validate(
            {"name": "张三", "relation": "spouse", "id_number": "", **values},
            person_pk=None,
            household=Household(),
        )
    except ValidationError as exc:
        assert not rule_fields & set(exc.message_dict)
    frame = pl.DataFrame(
        {"household_no": ["1"], "id_number": ["x"], **{k: [v] for k, v in values.items()}},
        schema_overrides={
            "disability_grade": pl.Int64,
            "months_worked": pl.Int64,
            "dibao": pl.Boolean,
            "tekun": pl.Boolean,
            "work_place": pl.String,
            "disability_category": pl.String,
            "health_status": pl.String,
            "student_status": pl.String,
        },
    )
    checked = findings_check(persons=frame, today=dt.date(2026, 6, 1))
    assert set(checked.findings.get_column("code").to_list()) == _oracle(values)
