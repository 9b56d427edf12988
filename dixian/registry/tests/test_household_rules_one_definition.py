"""The household form and the workbook import judge a household's kind, year out of poverty and monitoring
category, and a person's disability, work and assistance fields, by one rule (domain.household_rules).

They once disagreed: the form wanted a 脱贫不稳定户 to be a 脱贫户 (kind != ex_poor was wrong), the import
only refused an 一般农户 (kind == ordinary), so a category with no kind passed the import alone.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from dixian.domain import dictionaries as d
from dixian.registry import imports, services
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


@given(values=person_values)
def test_the_form_and_the_import_refuse_the_same_persons(values: dict[str, Any]) -> None:
    from_import: list[tuple[str, str]] = []
    imports._person_rules(
        {k: [v] for k, v in values.items()},
        lambda _i, name, reason: from_import.append((str(name), reason)),
        1,
    )
    from_form: list[tuple[str, str]] = []
    try:
        services.person_validate(
            {"name": "张三", "relation": "spouse", "labour_skill": "ordinary", "id_number": "", **values},
            person_pk=None,
            household=Household(),
        )
    except ValidationError as exc:
        from_form = [(f, m.rstrip("。")) for f, ms in exc.message_dict.items() for m in ms]
    rule_fields = {"disability_category", "disability_grade", "work_place", "tekun"}
    assert sorted(p for p in from_form if p[0] in rule_fields) == sorted(from_import)
