"""Code lists of the registry (docs/domain.md §14): Django choices built from the national dictionaries
of dixian/domain/dictionaries.py. Codes are English; labels are what users see.

`ALIASES` maps spellings met in county workbooks to codes; the importer uses it.
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


class StudentStatus(models.TextChoices):
    NOT_STUDENT = "", d.STUDENT_STATUS[""]
    PRESCHOOL = "preschool", d.STUDENT_STATUS["preschool"]
    PRIMARY = "primary", d.STUDENT_STATUS["primary"]
    JUNIOR = "junior", d.STUDENT_STATUS["junior"]
    SENIOR = "senior", d.STUDENT_STATUS["senior"]
    SECONDARY_VOCATIONAL = "secondary_vocational", d.STUDENT_STATUS["secondary_vocational"]
    HIGHER_VOCATIONAL = "higher_vocational", d.STUDENT_STATUS["higher_vocational"]
    UNDERGRADUATE = "undergraduate", d.STUDENT_STATUS["undergraduate"]
    POSTGRADUATE = "postgraduate", d.STUDENT_STATUS["postgraduate"]
    DROPOUT = d.DROPOUT, d.STUDENT_STATUS[d.DROPOUT]


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
    LOST = "lost", d.LABOUR_SKILL["lost"]
    NONE = "none", d.LABOUR_SKILL["none"]


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


def _aliases(choices: type[models.Choices], extra: dict[str, object] | None = None) -> dict[str, object]:
    table: dict[str, object] = {str(label): value for value, label in choices.choices}
    table.update({str(value): value for value, _ in choices.choices if value not in ("", None)})
    if extra:
        table.update(extra)
    return table


ALIASES: dict[str, dict[str, object]] = {
    "kind": _aliases(
        HouseholdKind,
        {
            "脱贫户(享受政策)": "ex_poor",
            "脱贫户(不享受政策)": "ex_poor",
            "脱贫不稳定户": "ex_poor",
            "一般户": "ordinary",
            "农户": "ordinary",
        },
    ),
    "monitoring_category": _aliases(
        MonitoringCategory,
        {
            "": "",
            "无": "",
            "否": "",
            "非监测户": "",
            "脱贫不稳定": "unstable_ex_poor",
            "边缘易致贫": "edge",
            "突发严重困难": "sudden_hardship",
            "边缘户": "edge",
        },
    ),
    "sex": _aliases(Sex, {"男性": "male", "女性": "female"}),
    "relation": _aliases(
        Relation,
        {
            "本人": "head",
            "户主本人": "head",
            "妻": "spouse",
            "夫": "spouse",
            "妻子": "spouse",
            "丈夫": "spouse",
            "子": "son",
            "儿子": "son",
            "长子": "son",
            "次子": "son",
            "女": "daughter",
            "女儿": "daughter",
            "长女": "daughter",
            "次女": "daughter",
            "儿媳": "daughter_in_law",
            "女婿": "son_in_law",
            "孙子": "grandchild",
            "孙女": "grandchild",
            "外孙子": "grandchild",
            "外孙女": "grandchild",
            "孙辈": "grandchild",
            "父亲": "parent",
            "母亲": "parent",
            "父母": "parent",
            "祖父": "grandparent",
            "祖母": "grandparent",
            "祖父母": "grandparent",
            "兄弟姐妹": "sibling",
            "兄": "sibling",
            "弟": "sibling",
            "姐": "sibling",
            "妹": "sibling",
            "子婿": "son_in_law",
            "女媳": "daughter_in_law",
        },
    ),
    "education": _aliases(
        Education,
        {
            "": "",
            "文盲": "illiterate",
            "半文盲": "illiterate",
            "大专": "college",
            "本科": "college",
            "本科及以上": "college",
            "职高": "vocational",
            "技校": "vocational",
            "学龄前儿童": "",
        },
    ),
    "student_status": _aliases(
        StudentStatus,
        {
            "": "",
            "否": "",
            "非在校生": "",
            "学前": "preschool",
            "幼儿园": "preschool",
            "小学在读": "primary",
            "初中在读": "junior",
            "高中": "senior",
            "高中在读": "senior",
            "中职在读": "secondary_vocational",
            "中专": "secondary_vocational",
            "高职在读": "higher_vocational",
            "大专": "higher_vocational",
            "本科在读": "undergraduate",
            "研究生": "postgraduate",
            "硕士": "postgraduate",
            "博士": "postgraduate",
            "辍学": "dropout",
            "失学": "dropout",
        },
    ),
    "health_status": _aliases(
        HealthStatus,
        {
            "": "healthy",
            "良好": "healthy",
            "慢性病": "chronic",
            "长期慢性病患者": "chronic",
            "患有大病": "major_illness",
            "重病": "major_illness",
            "一般残疾": "disabled",
            "重度残疾": "disabled",
        },
    ),
    "disability_category": _aliases(
        DisabilityCategory,
        {
            "": "",
            "无": "",
            "视力": "visual",
            "听力": "hearing",
            "言语": "speech",
            "肢体": "physical",
            "智力": "intellectual",
            "精神": "mental",
            "多重": "multiple",
        },
    ),
    "disability_grade": _aliases(
        DisabilityGrade,
        {
            "": None,
            "1": 1,
            "2": 2,
            "3": 3,
            "4": 4,
            "1级": 1,
            "2级": 2,
            "3级": 3,
            "4级": 4,
            "一级残疾": 1,
            "二级残疾": 2,
            "三级残疾": 3,
            "四级残疾": 4,
        },
    ),
    "labour_skill": _aliases(
        LabourSkill,
        {
            "普通劳动": "ordinary",
            "普通": "ordinary",
            "技能劳动": "skilled",
            "技能": "skilled",
            "丧失劳动能力": "lost",
            "丧失": "lost",
            "无": "none",
            "无劳动能力": "none",
        },
    ),
    "work_place": _aliases(
        WorkPlace,
        {
            "": "",
            "无": "",
            "否": "",
            "县外省内": "in_province",
            "省内": "in_province",
            "跨省": "out_of_province",
            "省外务工": "out_of_province",
            "境外": "abroad",
        },
    ),
    "medical_insurance": _aliases(
        MedicalInsurance,
        {
            "": "",
            "否": "",
            "无": "",
            "是": "resident",
            "城乡居民医保": "resident",
            "居民医保": "resident",
            "职工医保": "employee",
        },
    ),
    "pension_insurance": _aliases(
        PensionInsurance,
        {
            "": "",
            "否": "",
            "无": "",
            "是": "resident",
            "城乡居民养老保险": "resident",
            "居民养老": "resident",
            "职工养老保险": "employee",
            "领取养老金": "receiving",
        },
    ),
    "housing_grade": _aliases(
        HousingGrade,
        {
            "": "",
            "a": "A",
            "b": "B",
            "c": "C",
            "d": "D",
            "A级危房": "A",
            "B级危房": "B",
            "C级危房": "C",
            "D级危房": "D",
            "安全": "A",
        },
    ),
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
