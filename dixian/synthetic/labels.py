"""The Chinese labels of the registry's code lists, as the workbook writer wants them (field → code → label).

Kept apart from the generation core because it reads dixian.registry.choices (Django enums).
"""

from __future__ import annotations

from dixian.registry import choices as c


def registry_labels() -> dict[str, dict[object, str]]:
    lists = {
        "kind": c.HouseholdKind,
        "monitoring_category": c.MonitoringCategory,
        "sex": c.Sex,
        "relation": c.Relation,
        "education": c.Education,
        "student_status": c.StudentStatus,
        "health_status": c.HealthStatus,
        "disability_category": c.DisabilityCategory,
        "disability_grade": c.DisabilityGrade,
        "labour_skill": c.LabourSkill,
        "work_place": c.WorkPlace,
        "medical_insurance": c.MedicalInsurance,
        "pension_insurance": c.PensionInsurance,
        "housing_grade": c.HousingGrade,
    }
    return {
        field: {value: str(label) for value, label in choices.choices} for field, choices in lists.items()
    }
