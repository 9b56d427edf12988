"""Code lists of the registry (docs/domain.md §14): Django choices built from the national dictionaries
of dixian/domain/dictionaries.py. Codes are English; labels are what users see.

`ALIASES` maps the spellings met in county workbooks to codes: the dictionaries' own lookup tables.
"""

from __future__ import annotations

from django.db import models

from dixian.domain import dictionaries as d


class HouseholdKind(models.TextChoices):
    EX_POOR = d.EX_POOR, d.HOUSEHOLD_KIND[d.EX_POOR]
    ORDINARY = d.ORDINARY, d.HOUSEHOLD_KIND[d.ORDINARY]


class MonitoringCategory(models.TextChoices):
    NONE = "", d.MONITORING_CATEGORY[""]
    UNSTABLE_EX_POOR = d.UNSTABLE_EX_POOR, d.MONITORING_CATEGORY[d.UNSTABLE_EX_POOR]
    EDGE = d.EDGE, d.MONITORING_CATEGORY[d.EDGE]
    SUDDEN_HARDSHIP = d.SUDDEN_HARDSHIP, d.MONITORING_CATEGORY[d.SUDDEN_HARDSHIP]


class Sex(models.TextChoices):
    MALE = d.MALE, d.SEX[d.MALE]
    FEMALE = d.FEMALE, d.SEX[d.FEMALE]


class Relation(models.TextChoices):
    HEAD = d.HEAD, d.RELATION[d.HEAD]
    SPOUSE = "spouse", d.RELATION["spouse"]
    SON = "son", d.RELATION["son"]
    DAUGHTER = "daughter", d.RELATION["daughter"]
    DAUGHTER_IN_LAW = "daughter_in_law", d.RELATION["daughter_in_law"]
    SON_IN_LAW = "son_in_law", d.RELATION["son_in_law"]
    GRANDCHILD = "grandchild", d.RELATION["grandchild"]
    PARENT = "parent", d.RELATION["parent"]
    GRANDPARENT = "grandparent", d.RELATION["grandparent"]
    SIBLING = "sibling", d.RELATION["sibling"]
    OTHER = "other", d.RELATION["other"]


class Education(models.TextChoices):
    UNKNOWN = "", d.EDUCATION[""]
    ILLITERATE = "illiterate", d.EDUCATION["illiterate"]
    PRIMARY = "primary", d.EDUCATION["primary"]
    JUNIOR = "junior", d.EDUCATION["junior"]
    SENIOR = "senior", d.EDUCATION["senior"]
    VOCATIONAL = "vocational", d.EDUCATION["vocational"]
    COLLEGE = "college", d.EDUCATION["college"]


# Every value of 100A12, grade level and stage level (docs/domain.md §18): built from the dictionary, member
# names are the codes upper-cased ("" is NOT_STUDENT). Rules read it through dictionaries.student_stage.
StudentStatus: type[models.TextChoices] = models.TextChoices(  # type: ignore[call-overload]  # the functional API, which the stubs do not know
    "StudentStatus",
    [(str(v.code).upper() or "NOT_STUDENT", (str(v.code), v.label)) for v in d.STUDENT.values],
)


class HealthStatus(models.TextChoices):
    HEALTHY = "healthy", d.HEALTH_STATUS["healthy"]
    CHRONIC = d.CHRONIC, d.HEALTH_STATUS[d.CHRONIC]
    MAJOR_ILLNESS = d.MAJOR_ILLNESS, d.HEALTH_STATUS[d.MAJOR_ILLNESS]
    DISABLED = d.DISABLED, d.HEALTH_STATUS[d.DISABLED]


class DisabilityCategory(models.TextChoices):
    NONE = "", d.DISABILITY_CATEGORY[""]
    VISUAL = "visual", d.DISABILITY_CATEGORY["visual"]
    HEARING = "hearing", d.DISABILITY_CATEGORY["hearing"]
    SPEECH = "speech", d.DISABILITY_CATEGORY["speech"]
    PHYSICAL = "physical", d.DISABILITY_CATEGORY["physical"]
    INTELLECTUAL = "intellectual", d.DISABILITY_CATEGORY["intellectual"]
    MENTAL = "mental", d.DISABILITY_CATEGORY["mental"]
    MULTIPLE = "multiple", d.DISABILITY_CATEGORY["multiple"]


class DisabilityGrade(models.IntegerChoices):
    GRADE_1 = 1, d.DISABILITY_GRADE[1]
    GRADE_2 = 2, d.DISABILITY_GRADE[2]
    GRADE_3 = 3, d.DISABILITY_GRADE[3]
    GRADE_4 = 4, d.DISABILITY_GRADE[4]


class LabourSkill(models.TextChoices):
    ORDINARY = d.LABOUR_ORDINARY, d.LABOUR_SKILL[d.LABOUR_ORDINARY]
    SKILLED = d.LABOUR_SKILLED, d.LABOUR_SKILL[d.LABOUR_SKILLED]
    WEAK = d.LABOUR_WEAK, d.LABOUR_SKILL[d.LABOUR_WEAK]
    LOST = d.LABOUR_LOST, d.LABOUR_SKILL[d.LABOUR_LOST]
    NONE = d.LABOUR_NONE, d.LABOUR_SKILL[d.LABOUR_NONE]


class WorkPlace(models.TextChoices):
    NONE = "", d.WORK_PLACE[""]
    IN_COUNTY = "in_county", d.WORK_PLACE["in_county"]
    IN_PROVINCE = "in_province", d.WORK_PLACE["in_province"]
    OUT_OF_PROVINCE = "out_of_province", d.WORK_PLACE["out_of_province"]
    ABROAD = "abroad", d.WORK_PLACE["abroad"]


class MedicalInsurance(models.TextChoices):
    NONE = "", d.MEDICAL_INSURANCE[""]
    RESIDENT = "resident", d.MEDICAL_INSURANCE["resident"]
    EMPLOYEE = "employee", d.MEDICAL_INSURANCE["employee"]


class PensionInsurance(models.TextChoices):
    NONE = "", d.PENSION_INSURANCE[""]
    RESIDENT = "resident", d.PENSION_INSURANCE["resident"]
    EMPLOYEE = "employee", d.PENSION_INSURANCE["employee"]
    RECEIVING = "receiving", d.PENSION_INSURANCE["receiving"]


class HousingGrade(models.TextChoices):
    UNKNOWN = "", d.HOUSING_GRADE[""]
    A = "A", d.HOUSING_GRADE["A"]
    B = "B", d.HOUSING_GRADE["B"]
    C = d.HOUSING_C, d.HOUSING_GRADE[d.HOUSING_C]
    D = d.HOUSING_D, d.HOUSING_GRADE[d.HOUSING_D]


ETHNICITIES = list(d.ETHNICITIES)


# Every accepted spelling of every dictionary (normalised as dictionaries.normalise makes it) → its code:
# the national dictionaries' own tables (docs/domain.md §18), plus 是/否. The importer reads cells through
# dictionaries.parse; this is the same vocabulary as plain data.
ALIASES: dict[str, dict[str, object]] = {
    **{name: dict(d.lookup_table(name)) for name in d.DICTIONARIES if name != "ethnicity"},
    "bool": {
        "是": True,
        "否": False,
        "": None,
        "有": True,
        "无": False,
        "Y": True,
        "N": False,
        "y": True,
        "n": False,
        "1": True,
        "0": False,
        "TRUE": True,
        "FALSE": False,
        "True": True,
        "False": False,
    },
}
