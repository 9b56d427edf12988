"""The Chinese labels of the registry's code lists, as the workbook writer wants them (field → code → label):
the official labels of the national dictionaries (dixian/domain/dictionaries.py, docs/domain.md §18).
"""

from __future__ import annotations

from dixian.domain import dictionaries as d

FIELDS = (
    "kind",
    "monitoring_category",
    "sex",
    "relation",
    "education",
    "student_status",
    "health_status",
    "disability_category",
    "disability_grade",
    "labour_skill",
    "work_place",
    "medical_insurance",
    "pension_insurance",
    "housing_grade",
)


def registry_labels() -> dict[str, dict[object, str]]:
    return {field: {code: label for code, label in d.DICTIONARIES[field].labels.items()} for field in FIELDS}
