"""National dictionaries (国家字典) the registry records persons and households with (docs/domain.md §14, §18).

Each dictionary is data: for every value the platform's code (English, stored), the official label (the
national system's Chinese value, what users see and what exports write), the national code where it is
established (docs/domain.md §18 says where each comes from, and which are not established), and the variant
spellings county workbooks and department feeds use. The registry builds its Django choices from these,
the importer and the feeds read cells through `parse` (one function, one normalisation), and the domain
rules and the screening engine read the codes named below.

`lookup_table(name)` is the whole accepted vocabulary of a dictionary as one mapping from a normalised
spelling (`normalise`) to its code, for column-wise (vectorised) readers.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from functools import cache

type Code = str | int | None


class ParseError(ValueError):
    """A cell that cannot be read; the message says what is wrong and what to do, in Chinese."""


@dataclass(frozen=True)
class Value:
    code: str | int  # the platform's code, stored in the database
    label: str  # the official label (国家字典的值)
    national: str = ""  # the national dictionary's code, "" where not established (docs/domain.md §18)
    variants: tuple[str, ...] = ()  # other spellings met in workbooks and feeds
    group: str = ""  # 在校生情况: the stage the rules use (student_stage)


@dataclass(frozen=True)
class Dictionary:
    name: str  # the field it fills
    title: str  # its Chinese name
    national_id: str  # the national dictionary's id (100A14 …), "" when it has none
    values: tuple[Value, ...]
    blank: Code = None  # what an empty cell reads as; None: nothing (a required field then says so)
    codes_source: str = ""  # where the national codes come from; "" when none are established
    hint: str = ""  # what a message says may be filled, when the labels are too many to list
    labels: dict[str | int, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", {v.code: v.label for v in self.values})

    def value(self, code: str | int) -> Value:
        for v in self.values:
            if v.code == code:
                return v
        raise KeyError(f"{self.name} has no code {code!r}")


def normalise(value: object) -> str:
    """A cell as the text a dictionary is looked up by: full-width folded to half-width (NFKC), every space
    removed (also U+3000 and non-breaking ones), Latin letters upper-case; a whole number typed into a number
    cell (3 or 3.0) as its digits. Never raises."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    try:
        s = value if isinstance(value, str) else str(value)
    except Exception:  # noqa: BLE001 - a cell that cannot even be shown is no value of any dictionary
        return "\ufffd"
    if s.isascii():
        return "".join(s.split()).upper()
    # Upper-casing can leave a letter and a combining mark that NFKC composes again (u + ̈ → Ü).
    return unicodedata.normalize("NFKC", "".join(unicodedata.normalize("NFKC", s).split()).upper())


def _shown(value: object, limit: int = 30) -> str:
    try:
        s = " ".join(str(value).split())
    except Exception:  # noqa: BLE001
        s = "?"
    return s if len(s) <= limit else s[: limit - 1] + "…"


# ---- the dictionaries ------------------------------------------------------------------------------------

_GRADES = ("一", "二", "三", "四", "五", "六")


def _years(code: str, label: str, count: int, group: str, *spellings: str) -> tuple[Value, ...]:
    """The grade-level values of a school stage: `label` holds {n} for the Chinese year number; each of
    `spellings` too, and a spelling may use {d} for the Arabic one."""
    return tuple(
        Value(
            f"{code}_{i}",
            label.format(n=_GRADES[i - 1]),
            variants=tuple(s.format(n=_GRADES[i - 1], d=i) for s in spellings),
            group=group,
        )
        for i in range(1, count + 1)
    )


# 户类型 (national dictionary 100A03: 脱贫户 with or without ongoing policy support, 一般农户). The platform keeps
# one code for 脱贫户 whichever support it has (docs/domain.md §18).
EX_POOR = "ex_poor"
ORDINARY = "ordinary"
KIND = Dictionary(
    "kind",
    "户类型",
    "100A03",
    (
        Value(
            EX_POOR, "脱贫户", variants=("脱贫户(享受政策)", "脱贫户(不享受政策)", "脱贫不稳定户", "已脱贫户")
        ),
        Value(ORDINARY, "一般农户", variants=("一般户", "农户")),
    ),
)

# 监测对象类别 (dm_jcdxlb; docs/domain.md §1); "" = not monitored
UNSTABLE_EX_POOR = "unstable_ex_poor"
EDGE = "edge"
SUDDEN_HARDSHIP = "sudden_hardship"
MONITORING = Dictionary(
    "monitoring_category",
    "监测对象类别",
    "dm_jcdxlb",
    (
        Value("", "非监测对象", variants=("无", "否", "非监测户", "不是监测对象")),
        Value(UNSTABLE_EX_POOR, "脱贫不稳定户", variants=("脱贫不稳定", "脱贫不稳定人口")),
        Value(EDGE, "边缘易致贫户", variants=("边缘易致贫", "边缘户", "边缘易致贫人口")),
        Value(SUDDEN_HARDSHIP, "突发严重困难户", variants=("突发严重困难", "突发严重困难人口")),
    ),
    blank="",
)

# 性别 (read from the ID number; GB/T 2261.1 codes)
MALE = "male"
FEMALE = "female"
SEX_DICT = Dictionary(
    "sex",
    "性别",
    "",
    (Value(MALE, "男", "1", ("男性",)), Value(FEMALE, "女", "2", ("女性",))),
    codes_source="GB/T 2261.1-2003",
)

# 与户主关系 (national dictionary 1010). The platform keeps 11 codes; the finer relations of the national list
# (之孙子, 之岳父 …) are variants of them. National codes: the two-digit family-relation codes of GB/T 4761-2008
# [unverified as 1010's own codes, docs/domain.md §18].
HEAD = "head"
RELATION_DICT = Dictionary(
    "relation",
    "与户主关系",
    "1010",
    (
        Value(HEAD, "户主", "02", ("本人", "户主本人", "01")),
        Value("spouse", "配偶", "10", ("妻", "夫", "妻子", "丈夫", "之妻", "之夫", "11", "12")),
        Value(
            "son", "之子", "20", ("子", "儿子", "长子", "次子", "三子", "养子", "继子", "之养子", "之继子")
        ),
        Value(
            "daughter",
            "之女",
            "30",
            ("女", "女儿", "长女", "次女", "三女", "养女", "继女", "之养女", "之继女"),
        ),
        Value("daughter_in_law", "之儿媳", "38", ("儿媳", "儿媳妇", "女媳", "之儿媳妇")),
        Value("son_in_law", "之女婿", "28", ("女婿", "子婿")),
        Value(
            "grandchild",
            "之孙子女",
            "40",
            (
                "孙子",
                "孙女",
                "外孙子",
                "外孙女",
                "孙辈",
                "之孙子",
                "之孙女",
                "之外孙子",
                "之外孙女",
                "41",
                "42",
            ),
        ),
        Value(
            "parent",
            "之父母",
            "50",
            (
                "父亲",
                "母亲",
                "父母",
                "之父",
                "之母",
                "之父亲",
                "之母亲",
                "之公公",
                "之婆婆",
                "之岳父",
                "之岳母",
                "51",
                "52",
            ),
        ),
        Value(
            "grandparent",
            "之祖父母",
            "60",
            (
                "祖父",
                "祖母",
                "祖父母",
                "之祖父",
                "之祖母",
                "之外祖父",
                "之外祖母",
                "外祖父",
                "外祖母",
                "61",
                "62",
            ),
        ),
        Value(
            "sibling",
            "之兄弟姐妹",
            "70",
            ("兄弟姐妹", "兄", "弟", "姐", "妹", "之兄", "之弟", "之姐", "之妹"),
        ),
        Value(
            "other",
            "其他",
            "80",
            (
                "之曾孙子",
                "之曾孙女",
                "之侄儿",
                "之侄女",
                "之兄弟媳妇",
                "之叔伯",
                "其他亲属",
                "非亲属",
                "97",
                "99",
            ),
        ),
    ),
    codes_source="GB/T 4761-2008 家庭关系代码",
)

# 文化程度 (national dictionary 100A11). The national list splits 大专 and 本科及以上; the platform keeps one code.
EDUCATION_DICT = Dictionary(
    "education",
    "文化程度",
    "100A11",
    (
        Value("", "未填写", variants=("学龄前儿童",)),
        Value("illiterate", "文盲或半文盲", variants=("文盲", "半文盲")),
        Value("primary", "小学"),
        Value("junior", "初中"),
        Value("senior", "高中"),
        Value("vocational", "中专", variants=("职高", "技校", "中职")),
        Value("college", "大专及以上", variants=("大专", "本科", "本科及以上", "研究生", "硕士及以上")),
    ),
    blank="",
)

# 在校生情况 (national dictionary 100A12): the grade-level values of the national list, stored as such, and the
# stage-level values (小学, 初中 …) for books that only give the stage; `student_stage` maps each to the stage
# the rules use (docs/domain.md §18). "" = not a student.
NOT_STUDENT = ""
DROPOUT = "dropout"
STAGES: tuple[str, ...] = (
    "",
    "preschool",
    "primary",
    "junior",
    "senior",
    "secondary_vocational",
    "higher_vocational",
    "undergraduate",
    "postgraduate",
    DROPOUT,
)
STUDENT = Dictionary(
    "student_status",
    "在校生情况",
    "100A12",
    (
        Value(NOT_STUDENT, "非在校生", variants=("否", "不在校", "非学生")),
        Value("preschool_age", "学龄前儿童", variants=("学龄前",)),
        Value("preschool", "学前教育", variants=("学前", "幼儿园", "学前班"), group="preschool"),
        Value("primary", "小学", variants=("小学在读",), group="primary"),
        *_years("primary", "小学{n}年级", 6, "primary", "{n}年级", "小学{d}年级"),
        Value("junior", "初中", variants=("初中在读",), group="junior"),
        Value("grade_7", "七年级", variants=("初中一年级", "初一", "7年级"), group="junior"),
        Value("grade_8", "八年级", variants=("初中二年级", "初二", "8年级"), group="junior"),
        Value("grade_9", "九年级", variants=("初中三年级", "初三", "9年级"), group="junior"),
        Value("senior", "普通高中", variants=("高中", "高中在读"), group="senior"),
        *_years("senior", "普通高中{n}年级", 3, "senior", "高中{n}年级", "高{n}", "高中{d}年级"),
        Value(
            "secondary_vocational",
            "中职",
            variants=("中职在读", "中专", "职高"),
            group="secondary_vocational",
        ),
        *_years(
            "secondary_vocational", "中职{n}年级", 3, "secondary_vocational", "中专{n}年级", "职高{n}年级"
        ),
        Value("technician", "技师学院", variants=("技工学校", "技工院校"), group="secondary_vocational"),
        *_years("technician", "技师学院{n}年级", 4, "secondary_vocational", "技工学校{n}年级"),
        Value(
            "higher_vocational", "高职", variants=("高职在读", "大专", "高职高专"), group="higher_vocational"
        ),
        *_years("higher_vocational", "高职高专{n}年级", 3, "higher_vocational", "高职{n}年级", "大专{n}年级"),
        Value("undergraduate", "本科", variants=("本科在读", "大学本科"), group="undergraduate"),
        *_years("undergraduate", "本科{n}年级", 5, "undergraduate", "大学{n}年级"),
        Value(
            "postgraduate",
            "硕士研究生及以上",
            variants=("硕士及以上", "研究生", "研究生及以上", "硕士", "硕士研究生", "博士", "博士研究生"),
            group="postgraduate",
        ),
        Value(DROPOUT, "失学或辍学", variants=("辍学", "失学", "失学辍学"), group=DROPOUT),
    ),
    blank="",
    hint=(
        "学前教育、小学一年级…小学六年级(或小学)、七年级…九年级(或初中)、普通高中一年级…三年级(或普通高中)、"
        "中职一年级…三年级(或中职)、技师学院一年级…四年级、高职高专一年级…三年级(或高职)、本科一年级…五年级"
        "(或本科)、硕士研究生及以上、失学或辍学、学龄前儿童"
    ),
)

# 健康状况 (national dictionary 100A13). The national list also has the pairs 残疾,长期慢性病 and 残疾,患有大病: the
# platform stores the illness and keeps the disability in 残疾类别 (docs/domain.md §18).
CHRONIC = "chronic"
MAJOR_ILLNESS = "major_illness"
DISABLED = "disabled"
HEALTH = Dictionary(
    "health_status",
    "健康状况",
    "100A13",
    (
        Value("healthy", "健康", variants=("良好", "健康良好")),
        Value(
            CHRONIC,
            "长期慢性病",
            variants=(
                "慢性病",
                "长期慢性病患者",
                "残疾,长期慢性病",
                "长期慢性病,残疾",
                "残疾、长期慢性病",
                "长期慢性病、残疾",
            ),
        ),
        Value(
            MAJOR_ILLNESS,
            "患有大病",
            variants=(
                "大病",
                "重病",
                "大病患者",
                "残疾,患有大病",
                "患有大病,残疾",
                "残疾、患有大病",
                "患有大病、残疾",
            ),
        ),
        Value(DISABLED, "残疾", variants=("一般残疾", "重度残疾", "残疾人")),
    ),
    blank="healthy",
)

# 残疾类别: 中国残联's categories, coded 1–7 as in GB/T 26341-2010 and the 残疾人证 number (its 19th character).
DISABILITY = Dictionary(
    "disability_category",
    "残疾类别",
    "",
    (
        Value("", "无", variants=("无残疾", "否")),
        Value("visual", "视力残疾", "1", ("视力",)),
        Value("hearing", "听力残疾", "2", ("听力",)),
        Value("speech", "言语残疾", "3", ("言语", "语言残疾")),
        Value("physical", "肢体残疾", "4", ("肢体",)),
        Value("intellectual", "智力残疾", "5", ("智力",)),
        Value("mental", "精神残疾", "6", ("精神",)),
        Value("multiple", "多重残疾", "7", ("多重",)),
    ),
    blank="",
    codes_source="GB/T 26341-2010; the 19th character of the 20-character 残疾人证号",
)

# 残疾等级: 一级 (most severe) to 四级, coded 1–4 (GB/T 26341-2010; the 残疾人证号's 20th character).
DISABILITY_GRADE_DICT = Dictionary(
    "disability_grade",
    "残疾等级",
    "",
    tuple(
        Value(
            i, f"{_GRADES[i - 1]}级", str(i), (f"{i}级", f"{_GRADES[i - 1]}级残疾", f"残疾{_GRADES[i - 1]}级")
        )
        for i in range(1, 5)
    ),
    codes_source="GB/T 26341-2010; the 20th character of the 20-character 残疾人证号",
)

# 劳动技能 (national dictionary 100A14, docs/domain.md §10, §18)
LABOUR_ORDINARY = "ordinary"
LABOUR_SKILLED = "skilled"
LABOUR_WEAK = "weak"
LABOUR_LOST = "lost"
LABOUR_NONE = "none"
LABOUR = Dictionary(
    "labour_skill",
    "劳动技能",
    "100A14",
    (
        Value(LABOUR_ORDINARY, "普通劳动力", variants=("普通劳动", "普通")),
        Value(LABOUR_SKILLED, "技能劳动力", variants=("技能劳动", "技能")),
        Value(
            LABOUR_WEAK,
            "弱劳动力或半劳动力",
            variants=(
                "弱劳动力",
                "半劳动力",
                "弱劳力",
                "半劳力",
                "弱劳动力/半劳动力",
                "弱或半劳动力",
                "弱劳动力或半劳力",
            ),
        ),
        Value(LABOUR_LOST, "丧失劳动力", variants=("丧失劳动能力", "丧失")),
        Value(LABOUR_NONE, "无劳动力", variants=("无", "无劳动能力")),
    ),
)

# 务工所在地 (docs/domain.md §10)
WORK = Dictionary(
    "work_place",
    "务工所在地",
    "",
    (
        Value("", "未务工", variants=("无", "否", "未外出务工")),
        Value("in_county", "县内", variants=("乡镇内", "乡镇外县内", "本县", "县内务工")),
        Value("in_province", "省内县外", variants=("县外省内", "省内", "省内务工")),
        Value("out_of_province", "省外", variants=("跨省", "省外务工")),
        Value("abroad", "国外", variants=("境外", "国外务工", "境外务工")),
    ),
    blank="",
)

# 基本医疗保险
MEDICAL = Dictionary(
    "medical_insurance",
    "基本医疗保险",
    "",
    (
        Value("", "未参保", variants=("否", "无", "未参加")),
        Value(
            "resident",
            "城乡居民基本医疗保险",
            variants=("是", "城乡居民医保", "居民医保", "新型农村合作医疗", "新农合"),
        ),
        Value("employee", "职工基本医疗保险", variants=("职工医保", "城镇职工基本医疗保险")),
    ),
    blank="",
)

# 基本养老保险
PENSION = Dictionary(
    "pension_insurance",
    "基本养老保险",
    "",
    (
        Value("", "未参保", variants=("否", "无", "未参加")),
        Value("resident", "城乡居民基本养老保险", variants=("是", "城乡居民养老保险", "居民养老")),
        Value("employee", "职工基本养老保险", variants=("职工养老保险", "城镇职工基本养老保险")),
        Value("receiving", "已领取养老金", variants=("领取养老金", "已领取")),
    ),
    blank="",
)

# 住房安全等级 (住建 rating A–D, docs/domain.md §8); "" = not rated
HOUSING_C = "C"
HOUSING_D = "D"
HOUSING = Dictionary(
    "housing_grade",
    "住房安全等级",
    "",
    (
        Value("", "未鉴定", variants=("无", "未评定")),
        Value("A", "A级", "A", ("A级危房", "安全")),
        Value("B", "B级", "B", ("B级危房",)),
        Value(HOUSING_C, "C级", "C", ("C级危房",)),
        Value(HOUSING_D, "D级", "D", ("D级危房",)),
    ),
    blank="",
    codes_source="住建部 农村住房安全性鉴定 A/B/C/D",
)

# 民族 (national dictionary 100A09), in the order of the national list (GB/T 3304-1991, codes 01–56).
ETHNICITIES: tuple[str, ...] = (
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
)
OTHER_ETHNICITY = "其他"
ETHNICITY = Dictionary(
    "ethnicity",
    "民族",
    "100A09",
    (
        *(
            Value(
                e, e, f"{i:02d}", (e.removesuffix("族"),) if len(e) > 2 else (("汉",) if e == "汉族" else ())
            )
            for i, e in enumerate(ETHNICITIES, start=1)
        ),
        # Not one of the 56: recorded as 其他 on the national form (穿青人 among them).
        Value(OTHER_ETHNICITY, OTHER_ETHNICITY, "97", ("穿青人", "其他民族")),
    ),
    blank="汉族",
    hint="56个民族的名称,如“汉族”“畲族”(或代码 01–56),不属于其中的填“其他”",
    codes_source="GB/T 3304-1991 中国各民族名称的罗马字母拼写法和代码",
)

DICTIONARIES: dict[str, Dictionary] = {
    d.name: d
    for d in (
        KIND,
        MONITORING,
        SEX_DICT,
        RELATION_DICT,
        EDUCATION_DICT,
        STUDENT,
        HEALTH,
        DISABILITY,
        DISABILITY_GRADE_DICT,
        LABOUR,
        WORK,
        MEDICAL,
        PENSION,
        HOUSING,
        ETHNICITY,
    )
}

# code → label, in order (the registry's choices are these, code for code).
HOUSEHOLD_KIND: dict[str, str] = {str(k): v for k, v in KIND.labels.items()}
MONITORING_CATEGORY: dict[str, str] = {str(k): v for k, v in MONITORING.labels.items()}
SEX: dict[str, str] = {str(k): v for k, v in SEX_DICT.labels.items()}
RELATION: dict[str, str] = {str(k): v for k, v in RELATION_DICT.labels.items()}
EDUCATION: dict[str, str] = {str(k): v for k, v in EDUCATION_DICT.labels.items()}
STUDENT_STATUS: dict[str, str] = {str(k): v for k, v in STUDENT.labels.items()}
HEALTH_STATUS: dict[str, str] = {str(k): v for k, v in HEALTH.labels.items()}
DISABILITY_CATEGORY: dict[str, str] = {str(k): v for k, v in DISABILITY.labels.items()}
DISABILITY_GRADE: dict[int, str] = {int(k): v for k, v in DISABILITY_GRADE_DICT.labels.items()}
LABOUR_SKILL: dict[str, str] = {str(k): v for k, v in LABOUR.labels.items()}
WORK_PLACE: dict[str, str] = {str(k): v for k, v in WORK.labels.items()}
MEDICAL_INSURANCE: dict[str, str] = {str(k): v for k, v in MEDICAL.labels.items()}
PENSION_INSURANCE: dict[str, str] = {str(k): v for k, v in PENSION.labels.items()}
HOUSING_GRADE: dict[str, str] = {str(k): v for k, v in HOUSING.labels.items()}

# 劳动技能 that count as labour capacity (劳动力: a household's labourers, a labourer's death or job loss):
# 弱劳动力或半劳动力 is partial capacity and counts. FULL_LABOUR_SKILLS are the ones a person past working age or a
# full-time student is not expected to have (a 60-year-old or a pupil may well be 弱劳动力). docs/domain.md §18.
LABOURER_SKILLS: tuple[str, ...] = (LABOUR_ORDINARY, LABOUR_SKILLED, LABOUR_WEAK)
FULL_LABOUR_SKILLS: tuple[str, ...] = (LABOUR_ORDINARY, LABOUR_SKILLED)


# ---- reading a cell --------------------------------------------------------------------------------------


def _spellings(value: Value) -> tuple[str, ...]:
    extra: tuple[str, ...] = ()
    if value.national.isdigit() and value.national.startswith("0") and len(value.national) > 1:
        extra = (value.national.lstrip("0") or "0",)  # 01 typed into a number cell comes back as 1
    return (value.label, str(value.code), value.national, *extra, *value.variants)


@cache
def lookup_table(name: str) -> dict[str, str | int]:
    """Every accepted spelling of the dictionary `name` (label, platform code, national code, variants), as
    `normalise` makes it, → its code. The empty cell is not in it (see `Dictionary.blank`). One spelling never
    means two codes (checked here, when the table is first built)."""
    return spellings_table(DICTIONARIES[name])


def spellings_table(dictionary: Dictionary) -> dict[str, str | int]:
    """`lookup_table` of any Dictionary, also one outside the registry's DICTIONARIES (the employment and
    relocation dictionaries of `dixian.domain.employment`)."""
    table: dict[str, str | int] = {}
    for value in dictionary.values:
        for spelling in _spellings(value):
            key = normalise(spelling)
            if not key:
                continue
            if table.setdefault(key, value.code) != value.code:
                raise ValueError(
                    f"{dictionary.name}: {spelling!r} means both {table[key]!r} and {value.code!r}"
                )
    return table


def shown(value: object, limit: int = 30) -> str:
    """A cell as a message quotes it: one line, at most `limit` characters."""
    return _shown(value, limit)


@cache
def accepted_labels(name: str) -> str:
    """The official labels of a dictionary, for messages and template notes: 脱贫户 / 一般农户."""
    dictionary = DICTIONARIES[name]
    return dictionary.hint or " / ".join(v.label for v in dictionary.values if v.code not in ("", None))


def parse(name: str, value: object, *, label: str = "") -> Code:
    """The code of the cell `value` in the dictionary `name`: its official label, its national code, its
    platform code or a known variant, whatever its width and spacing. An empty cell → `Dictionary.blank`.

    Raises ParseError (and nothing else), whose message names the column (`label`, default the dictionary's
    title) and the accepted values."""
    dictionary = DICTIONARIES[name]
    key = normalise(value)
    if not key:
        return dictionary.blank
    code = lookup_table(name).get(key)
    if code is not None:
        return code
    raise ParseError(f"「{_shown(value)}」不是有效的{label or dictionary.title},可填:{accepted_labels(name)}")


# ---- 在校生情况 → stage ------------------------------------------------------------------------------------

# The stages' Chinese names (the option groups of the form, and messages).
STAGE_LABELS: dict[str, str] = {
    "": "非在校生",
    "preschool": "学前教育",
    "primary": "小学",
    "junior": "初中",
    "senior": "普通高中",
    "secondary_vocational": "中职(含技师学院)",
    "higher_vocational": "高职高专",
    "undergraduate": "本科",
    "postgraduate": "研究生",
    DROPOUT: "失学或辍学",
}
STUDENT_STAGE: dict[str, str] = {str(v.code): v.group for v in STUDENT.values}
# The stages of pupils and students in school (every stage but "" and dropout).
IN_SCHOOL_STAGES: tuple[str, ...] = tuple(s for s in STAGES if s not in ("", DROPOUT))
# Every 在校生情况 code of a stage (for filters and SQL: student_status IN (…)).
STAGE_CODES: dict[str, tuple[str, ...]] = {
    stage: tuple(code for code, s in STUDENT_STAGE.items() if s == stage) for stage in STAGES
}


def student_stage(code: str | None) -> str:
    """The stage (STAGES) a 在校生情况 code is at: 七年级 and 初中 → junior, 失学或辍学 → dropout, not a
    student (and 学龄前儿童) → "". The rules read student status only through this (docs/domain.md §18)."""
    return STUDENT_STAGE.get(code or "", "")  # a code of no dictionary (none is stored) is no stage


def in_school(code: str | None) -> bool:
    return student_stage(code) in IN_SCHOOL_STAGES


def student_status_grouped() -> list[tuple[str, str | list[tuple[str, str]]]]:
    """The 在校生情况 values grouped by stage, for a select with option groups: the values of no stage (非在校生,
    学龄前儿童) and 失学或辍学 on their own, the others under their stage's name, stage-level value first."""
    out: list[tuple[str, str | list[tuple[str, str]]]] = []
    for stage in STAGES:
        values = [(str(v.code), v.label) for v in STUDENT.values if v.group == stage]
        if stage in ("", DROPOUT):
            out.extend(values)
        else:
            out.append((STAGE_LABELS[stage], list(values)))
    return out
