"""Code lists of the registry (docs/domain.md §14). Codes are English; labels are what users see.

`ALIASES` maps spellings met in county workbooks to codes; the importer uses it.
"""

from __future__ import annotations

from django.db import models


class HouseholdKind(models.TextChoices):
    EX_POOR = "ex_poor", "脱贫户"
    ORDINARY = "ordinary", "一般农户"


class MonitoringCategory(models.TextChoices):
    NONE = "", "非监测对象"
    UNSTABLE_EX_POOR = "unstable_ex_poor", "脱贫不稳定户"
    EDGE = "edge", "边缘易致贫户"
    SUDDEN_HARDSHIP = "sudden_hardship", "突发严重困难户"


class Sex(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    SON = "son", "之子"
    DAUGHTER = "daughter", "之女"
    DAUGHTER_IN_LAW = "daughter_in_law", "之儿媳"
    SON_IN_LAW = "son_in_law", "之女婿"
    GRANDCHILD = "grandchild", "之孙子女"
    PARENT = "parent", "之父母"
    GRANDPARENT = "grandparent", "之祖父母"
    SIBLING = "sibling", "之兄弟姐妹"
    OTHER = "other", "其他"


class Education(models.TextChoices):
    UNKNOWN = "", "未填写"
    ILLITERATE = "illiterate", "文盲或半文盲"
    PRIMARY = "primary", "小学"
    JUNIOR = "junior", "初中"
    SENIOR = "senior", "高中"
    VOCATIONAL = "vocational", "中专"
    COLLEGE = "college", "大专及以上"


class StudentStatus(models.TextChoices):
    NOT_STUDENT = "", "非在校生"
    PRESCHOOL = "preschool", "学前教育"
    PRIMARY = "primary", "小学"
    JUNIOR = "junior", "初中"
    SENIOR = "senior", "普通高中"
    SECONDARY_VOCATIONAL = "secondary_vocational", "中职"
    HIGHER_VOCATIONAL = "higher_vocational", "高职"
    UNDERGRADUATE = "undergraduate", "本科"
    POSTGRADUATE = "postgraduate", "硕士及以上"
    DROPOUT = "dropout", "失学或辍学"


class HealthStatus(models.TextChoices):
    HEALTHY = "healthy", "健康"
    CHRONIC = "chronic", "长期慢性病"
    MAJOR_ILLNESS = "major_illness", "大病"
    DISABLED = "disabled", "残疾"


class DisabilityCategory(models.TextChoices):
    NONE = "", "无"
    VISUAL = "visual", "视力残疾"
    HEARING = "hearing", "听力残疾"
    SPEECH = "speech", "言语残疾"
    PHYSICAL = "physical", "肢体残疾"
    INTELLECTUAL = "intellectual", "智力残疾"
    MENTAL = "mental", "精神残疾"
    MULTIPLE = "multiple", "多重残疾"


class DisabilityGrade(models.IntegerChoices):
    GRADE_1 = 1, "一级"
    GRADE_2 = 2, "二级"
    GRADE_3 = 3, "三级"
    GRADE_4 = 4, "四级"


class LabourSkill(models.TextChoices):
    ORDINARY = "ordinary", "普通劳动力"
    SKILLED = "skilled", "技能劳动力"
    LOST = "lost", "丧失劳动力"
    NONE = "none", "无劳动力"


class WorkPlace(models.TextChoices):
    NONE = "", "未务工"
    IN_COUNTY = "in_county", "县内"
    IN_PROVINCE = "in_province", "省内县外"
    OUT_OF_PROVINCE = "out_of_province", "省外"
    ABROAD = "abroad", "国外"


class MedicalInsurance(models.TextChoices):
    NONE = "", "未参保"
    RESIDENT = "resident", "城乡居民基本医疗保险"
    EMPLOYEE = "employee", "职工基本医疗保险"


class PensionInsurance(models.TextChoices):
    NONE = "", "未参保"
    RESIDENT = "resident", "城乡居民基本养老保险"
    EMPLOYEE = "employee", "职工基本养老保险"
    RECEIVING = "receiving", "已领取养老金"


class HousingGrade(models.TextChoices):
    UNKNOWN = "", "未鉴定"
    A = "A", "A级"
    B = "B", "B级"
    C = "C", "C级"
    D = "D", "D级"


ETHNICITIES = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
]


def _aliases(choices: type[models.Choices], extra: dict[str, str] | None = None) -> dict[str, object]:
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
