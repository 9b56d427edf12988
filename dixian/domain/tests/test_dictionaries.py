"""The registry's Django choices are the national dictionaries of the domain, code for code, in order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Choices

from dixian.domain import dictionaries as d
from dixian.registry import choices


def test_every_registry_code_list_is_its_domain_dictionary() -> None:
    pairs: dict[type[Choices], Mapping[Any, str]] = {
        choices.HouseholdKind: d.HOUSEHOLD_KIND,
        choices.MonitoringCategory: d.MONITORING_CATEGORY,
        choices.Sex: d.SEX,
        choices.Relation: d.RELATION,
        choices.Education: d.EDUCATION,
        choices.StudentStatus: d.STUDENT_STATUS,
        choices.HealthStatus: d.HEALTH_STATUS,
        choices.DisabilityCategory: d.DISABILITY_CATEGORY,
        choices.DisabilityGrade: d.DISABILITY_GRADE,
        choices.LabourSkill: d.LABOUR_SKILL,
        choices.WorkPlace: d.WORK_PLACE,
        choices.MedicalInsurance: d.MEDICAL_INSURANCE,
        choices.PensionInsurance: d.PENSION_INSURANCE,
        choices.HousingGrade: d.HOUSING_GRADE,
    }
    for django_choices, dictionary in pairs.items():
        assert [(v, str(label)) for v, label in django_choices.choices] == list(dictionary.items()), (
            django_choices
        )
    assert list(d.ETHNICITIES) == choices.ETHNICITIES
    assert len(set(d.ETHNICITIES)) == 56


def test_labour_capacity_includes_weak_labour_but_full_labour_does_not() -> None:
    # docs/domain.md §18: 弱劳动力或半劳动力 is labour capacity, not full labour.
    assert set(d.LABOURER_SKILLS) == {
        choices.LabourSkill.ORDINARY,
        choices.LabourSkill.SKILLED,
        choices.LabourSkill.WEAK,
    }
    assert set(d.FULL_LABOUR_SKILLS) == {choices.LabourSkill.ORDINARY, choices.LabourSkill.SKILLED}
    assert d.parse("labour_skill", "弱劳动力或半劳动力") == d.parse("labour_skill", "半劳动力") == "weak"
