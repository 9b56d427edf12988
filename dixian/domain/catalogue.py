"""The department feed catalogue (部门数据目录): the 12 feeds of docs/feeds.md §三 as data.

Each feed lists its columns with the canonical Chinese header, the aliases departments actually send, the
type, whether it is required, the allowed values, and what it means. Headers arrive in any order and with
aliases; `header_map` maps them once per delivery to the code names used everywhere else (the screening
engine works on code names only).

This module never imports Django: the screening engine, the feeds app and the benchmark use it directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from . import dictionaries

# Column types. `id` is an identity number (证件号码) that the engine normalises; `choice` is text whose
# values must be one of `choices`; `money` is 元 with up to 2 decimals.
TEXT, ID, DATE, MONEY, INT, CHOICE = "text", "id", "date", "money", "int", "choice"
TYPES = (TEXT, ID, DATE, MONEY, INT, CHOICE)

ID_ALIASES = (
    "身份证号",
    "身份证号码",
    "公民身份号码",
    "证件号",
    "身份证",
    "公民身份证号码",
    "证件号码(身份证)",
)


@dataclass(frozen=True)
class FeedColumn:
    field: str  # code name, as the engine and the database use it
    header: str  # canonical Chinese header of the agreement
    type: str = TEXT
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    meaning: str = ""
    # The national dictionary (dictionaries.DICTIONARIES) a choice column's values come from: every spelling
    # of it is accepted and stored as the column's choice of the same code (docs/domain.md §18).
    dictionary: str = ""


@dataclass(frozen=True)
class Feed:
    code: str
    department: str
    name: str
    columns: tuple[FeedColumn, ...]
    # Columns whose values together identify one source record: a re-sent row with the same key counts once.
    record_key: tuple[str, ...]
    meaning: str
    # The column that links a row to a registry person (None: the feed is keyed by village, not by person).
    person_key: str | None = "id_number"
    # The date that places a row in a screening window.
    date_field: str = ""
    # For feeds keyed by village.
    village_key: str | None = None

    def column(self, field_name: str) -> FeedColumn:
        for col in self.columns:
            if col.field == field_name:
                return col
        raise KeyError(f"{self.code} has no column {field_name!r}")

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns)

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns if c.required)


def _identity(
    name_header: str = "姓名",
    id_header: str = "证件号码",
    *,
    name_aliases: tuple[str, ...] = (),
    id_aliases: tuple[str, ...] = ID_ALIASES,
    id_required: bool = False,
) -> tuple[FeedColumn, ...]:
    """The identity columns every person-keyed feed shares (docs/feeds.md §二, 身份列)."""
    return (
        FeedColumn(
            "name", name_header, TEXT, True, name_aliases, meaning="姓名;少数民族姓名中的间隔点按原样保留"
        ),
        FeedColumn(
            "id_number",
            id_header,
            ID,
            id_required,
            id_aliases,
            meaning="18位身份证号;15位旧号自动升位;错一位或相邻两位颠倒时按姓名匹配;缺失或错误时按姓名、性别、出生日期、行政村做概率匹配",
        ),
        FeedColumn(
            "sex", "性别", CHOICE, False, ("性别(男/女)",), ("男", "女"), "用于概率匹配", dictionary="sex"
        ),
        FeedColumn("birth_date", "出生日期", DATE, False, ("出生年月日", "出生年月"), meaning="用于概率匹配"),
        FeedColumn("village", "行政村", TEXT, False, ("所在村", "村名", "村"), meaning="用于概率匹配"),
        FeedColumn(
            "village_code",
            "行政村代码",
            TEXT,
            False,
            ("村代码", "村级区划代码"),
            meaning="12位村级区划代码,用于概率匹配",
        ),
        FeedColumn("phone", "联系电话", TEXT, False, ("手机号", "手机号码", "电话", "联系方式")),
    )


FEEDS: tuple[Feed, ...] = (
    Feed(
        "medical",
        "医保局",
        "医保结算",
        (
            FeedColumn(
                "settlement_no",
                "结算单号",
                TEXT,
                True,
                ("结算流水号", "结算ID", "结算编号", "单据号"),
                meaning="医保系统的结算单号,记录键",
            ),
            *_identity(name_aliases=("患者姓名", "参保人姓名")),
            FeedColumn(
                "visit_type",
                "就诊类别",
                CHOICE,
                True,
                ("就医类别", "医疗类别", "就诊类型"),
                ("住院", "门诊慢特病", "普通门诊"),
            ),
            FeedColumn("admission_date", "入院日期", DATE, False, ("入院时间", "就诊日期")),
            FeedColumn("settlement_date", "结算日期", DATE, True, ("结算时间", "出院结算日期")),
            FeedColumn("total_cost", "医疗总费用", MONEY, True, ("总费用", "医疗费用总额")),
            FeedColumn("fund_paid", "统筹基金支付", MONEY, False, ("基本医保支付", "统筹支付")),
            FeedColumn("critical_illness_paid", "大病保险支付", MONEY, False, ("大病保险",)),
            FeedColumn("assistance_paid", "医疗救助支付", MONEY, False, ("医疗救助",)),
            FeedColumn(
                "supplementary_paid",
                "补充保险支付",
                MONEY,
                False,
                ("补充保险支付(含惠浔保)", "惠浔保支付", "商业补充保险支付"),
            ),
            FeedColumn(
                "out_of_pocket",
                "个人负担",
                MONEY,
                True,
                ("个人自付", "个人负担金额", "合规自付", "个人支付"),
                meaning="= 医疗总费用 − 四项支付(±0.01)",
            ),
        ),
        ("settlement_no",),
        "一次结算:费用总额、各项报销与个人负担",
        date_field="settlement_date",
    ),
    Feed(
        "major_illness",
        "卫健委",
        "大病专项救治",
        (
            *_identity(),
            FeedColumn("disease", "病种", TEXT, True, ("病种名称", "疾病名称")),
            FeedColumn("diagnosis_date", "确诊日期", DATE, True, ("诊断日期", "确诊时间")),
            FeedColumn("hospital", "救治医院", TEXT, False, ("定点医院", "医院名称")),
        ),
        ("name", "id_number", "disease", "diagnosis_date"),
        "一例大病专项救治病例",
        date_field="diagnosis_date",
    ),
    Feed(
        "assistance",
        "民政局",
        "社会救助变动",
        (
            *_identity(),
            FeedColumn(
                "assistance_type",
                "救助类型",
                CHOICE,
                True,
                ("救助类别", "保障类型"),
                ("低保", "特困", "临时救助"),
            ),
            FeedColumn("change_type", "变动类型", CHOICE, True, ("变动情况",), ("新增", "停发", "调整")),
            FeedColumn("effective_date", "生效日期", DATE, True, ("变动日期", "起始日期")),
            FeedColumn("amount", "金额", MONEY, False, ("救助金额", "保障金额")),
        ),
        ("name", "id_number", "assistance_type", "change_type", "effective_date"),
        "低保、特困、临时救助的新增、停发、调整",
        date_field="effective_date",
    ),
    Feed(
        "disability",
        "残联",
        "残疾人证",
        (
            FeedColumn(
                "certificate_no",
                "证书编号",
                TEXT,
                True,
                ("残疾证号", "残疾人证号", "证号"),
                meaning="残疾人证号,记录键的一部分",
            ),
            *_identity(),
            FeedColumn(
                "disability_category",
                "残疾类别",
                CHOICE,
                True,
                ("残疾类型",),
                ("视力", "听力", "言语", "肢体", "智力", "精神", "多重"),
                dictionary="disability_category",
            ),
            FeedColumn(
                "disability_grade",
                "残疾等级",
                CHOICE,
                True,
                ("残疾级别",),
                ("一级", "二级", "三级", "四级"),
                dictionary="disability_grade",
            ),
            FeedColumn("issue_date", "发证日期", DATE, True, ("办证日期", "发证时间")),
            FeedColumn("change_type", "变动类型", CHOICE, False, ("办证类型",), ("新办", "换领", "注销")),
        ),
        ("certificate_no", "change_type", "issue_date"),
        "残疾人证的新办、换领、注销",
        date_field="issue_date",
    ),
    Feed(
        "education",
        "教育局",
        "学籍状态",
        (
            *_identity("学生姓名", name_aliases=("姓名",)),
            FeedColumn(
                "stage",
                "学段",
                CHOICE,
                True,
                ("就读学段", "学习阶段"),
                ("学前", "小学", "初中", "高中", "中职", "高职", "本科", "研究生"),
                meaning="也接受在校生情况(100A12)的年级值,如 七年级、普通高中一年级,按其学段记录",
                dictionary="student_status",
            ),
            FeedColumn(
                "enrolment_status", "学籍状态", CHOICE, True, ("在校状态",), ("在读", "休学", "辍学", "毕业")
            ),
            FeedColumn("status_date", "状态日期", DATE, True, ("变动日期",)),
            FeedColumn("fees", "学年自付费用", MONEY, False, ("自付费用", "学年费用")),
        ),
        ("name", "id_number", "enrolment_status", "status_date"),
        "学生的学籍状态与学年自付费用",
        date_field="status_date",
    ),
    Feed(
        "housing",
        "住建局",
        "农房安全鉴定",
        (
            *_identity(
                "户主姓名",
                "户主证件号码",
                name_aliases=("姓名",),
                id_aliases=("户主身份证号", "户主身份证号码", *ID_ALIASES),
            ),
            FeedColumn("appraisal_date", "鉴定日期", DATE, True, ("鉴定时间",)),
            FeedColumn(
                "grade",
                "鉴定等级",
                CHOICE,
                True,
                ("安全等级", "危房等级"),
                ("A", "B", "C", "D"),
                dictionary="housing_grade",
            ),
            FeedColumn("address", "房屋地址", TEXT, False, ("地址",)),
        ),
        ("name", "id_number", "appraisal_date"),
        "农村住房安全鉴定结果",
        date_field="appraisal_date",
    ),
    Feed(
        "disaster",
        "应急管理局",
        "灾害损失",
        (
            *_identity(
                "户主姓名",
                "户主证件号码",
                name_aliases=("姓名",),
                id_aliases=("户主身份证号", "户主身份证号码", *ID_ALIASES),
            ),
            FeedColumn(
                "disaster_type",
                "灾害类型",
                CHOICE,
                True,
                ("灾种",),
                ("洪涝", "地质", "干旱", "生物", "气象", "地震", "其他"),
            ),
            FeedColumn("occurred_on", "发生日期", DATE, True, ("受灾日期", "灾害发生日期")),
            FeedColumn("loss", "直接经济损失", MONEY, True, ("经济损失", "损失金额")),
            FeedColumn("house_damaged", "房屋倒损", CHOICE, False, ("房屋是否倒损",), ("是", "否")),
        ),
        ("name", "id_number", "disaster_type", "occurred_on"),
        "一户一次灾害的直接经济损失",
        date_field="occurred_on",
    ),
    Feed(
        "employment",
        "人社局",
        "就业变动",
        (
            *_identity(),
            FeedColumn(
                "event_type",
                "类型",
                CHOICE,
                True,
                ("变动类型", "登记类型"),
                ("失业登记", "就业登记", "社保断缴"),
            ),
            FeedColumn("event_date", "日期", DATE, True, ("登记日期", "变动日期")),
            FeedColumn("employer", "单位名称", TEXT, False, ("用工单位", "工作单位")),
            FeedColumn("work_place", "务工地点", TEXT, False, ("就业地点",)),
        ),
        ("name", "id_number", "event_type", "event_date"),
        "失业登记、就业登记、社保断缴",
        date_field="event_date",
    ),
    Feed(
        "civil_registry",
        "公安局",
        "户籍变动",
        (
            *_identity(id_required=True),
            FeedColumn("change_type", "变动类型", CHOICE, True, ("变动情况",), ("死亡", "迁出", "迁入")),
            FeedColumn("change_date", "变动日期", DATE, True, ("注销日期", "迁移日期")),
        ),
        ("name", "id_number", "change_type", "change_date"),
        "死亡、迁出、迁入",
        date_field="change_date",
    ),
    Feed(
        "water",
        "水利局",
        "饮水安全事件",
        (
            FeedColumn(
                "village_code",
                "行政村代码",
                TEXT,
                True,
                ("村代码", "村级区划代码"),
                meaning="12位村级区划代码",
            ),
            FeedColumn(
                "event_type", "事件类型", CHOICE, True, ("问题类型",), ("停水", "水质不达标", "水量不足")
            ),
            FeedColumn("start_date", "开始日期", DATE, True, ("发生日期",)),
            FeedColumn("end_date", "结束日期", DATE, False, ("恢复日期",), meaning="未结束时留空"),
            FeedColumn("households_affected", "影响户数", INT, False, ("受影响户数",)),
        ),
        ("village_code", "event_type", "start_date"),
        "行政村的饮水安全事件",
        person_key=None,
        date_field="start_date",
        village_key="village_code",
    ),
    Feed(
        "loan",
        "金融机构",
        "贷款逾期",
        (
            *_identity("借款人姓名", name_aliases=("姓名", "客户姓名")),
            FeedColumn("loan_type", "贷款类型", CHOICE, True, ("贷款品种",), ("脱贫人口小额信贷", "其他")),
            FeedColumn("overdue_amount", "逾期金额", MONEY, True, ("逾期本金",)),
            FeedColumn("overdue_days", "逾期天数", INT, True, ("逾期天数(天)",)),
            FeedColumn("data_date", "数据日期", DATE, True, ("统计日期", "报送日期")),
        ),
        ("name", "id_number", "loan_type", "data_date"),
        "逾期贷款",
        date_field="data_date",
    ),
    Feed(
        "petition",
        "信访局",
        "信访事项",
        (
            *_identity(),
            FeedColumn("visit_date", "来访日期", DATE, True, ("信访日期", "登记日期")),
            FeedColumn(
                "category",
                "诉求类别",
                CHOICE,
                True,
                ("诉求类型", "问题类别"),
                ("生活困难", "医疗", "住房", "就业", "其他"),
            ),
            FeedColumn("summary", "摘要", TEXT, False, ("诉求摘要", "内容摘要")),
        ),
        ("name", "id_number", "visit_date", "category"),
        "群众来访诉求",
        date_field="visit_date",
    ),
)

FEEDS_BY_CODE: dict[str, Feed] = {f.code: f for f in FEEDS}


def feed(code: str) -> Feed:
    try:
        return FEEDS_BY_CODE[code]
    except KeyError:
        raise KeyError(f"未知的部门数据类型 {code!r}") from None


class FeedSchemaError(ValueError):
    """The headers of a delivery do not fit its feed: the whole delivery is rejected."""

    def __init__(self, feed_code: str, problems: list[str]) -> None:
        self.feed_code = feed_code
        self.problems = problems
        super().__init__(f"{feed_code}: " + ";".join(problems))


_UNIT_SUFFIX = re.compile(r"[(（](元|天|日|户|人)[)）]$")
_SPACES = re.compile(r"[\s\u3000]+")


def normalise_header(header: str) -> str:
    """Header as compared: no spaces (also full-width), no trailing unit such as (元)."""
    text = _SPACES.sub("", str(header))
    return _UNIT_SUFFIX.sub("", text)


def header_map(feed_code: str, headers: Iterable[str]) -> dict[str, str]:
    """{header as sent: field} for one delivery. Unknown headers are ignored; missing required ones raise."""
    spec = feed(feed_code)
    lookup: dict[str, str] = {}
    for col in spec.columns:
        for name in (col.header, col.field, *col.aliases):
            lookup.setdefault(normalise_header(name), col.field)
    mapping: dict[str, str] = {}
    seen: dict[str, str] = {}
    problems: list[str] = []
    for header in headers:
        target = lookup.get(normalise_header(header))
        if target is None:
            continue
        if target in seen:
            problems.append(f"列“{header}”与“{seen[target]}”重复,都表示“{spec.column(target).header}”")
            continue
        seen[target] = header
        mapping[header] = target
    missing = [spec.column(f).header for f in spec.required_fields if f not in seen]
    if missing:
        problems.append("缺少必填列:" + "、".join(missing))
    if problems:
        raise FeedSchemaError(feed_code, problems)
    return mapping


def _fold(dictionary: str, code: dictionaries.Code) -> dictionaries.Code:
    """The code a feed column keeps: 在校生情况 by its stage (a feed's 学段 column speaks of stages)."""
    if dictionary == "student_status":
        return dictionaries.student_stage(str(code))
    return code


@cache
def choice_lookup(col: FeedColumn) -> dict[str, str]:
    """{spelling as dictionaries.normalise makes it: the column's choice} for a choice column: its choices,
    and, for a column tied to a national dictionary, every spelling of that dictionary (label, national code,
    variants) whose code is one of the choices' codes (docs/domain.md §18)."""
    table = {dictionaries.normalise(c): c for c in col.choices}
    if col.dictionary:
        by_code = {_fold(col.dictionary, dictionaries.parse(col.dictionary, c)): c for c in col.choices}
        for spelling, code in dictionaries.lookup_table(col.dictionary).items():
            choice = by_code.get(_fold(col.dictionary, code))
            if choice is not None:
                table.setdefault(spelling, choice)
    return table


def describe() -> list[dict[str, object]]:
    """The catalogue as plain data (for documentation pages and the API's schema endpoint)."""
    return [
        {
            "code": f.code,
            "department": f.department,
            "name": f.name,
            "meaning": f.meaning,
            "record_key": list(f.record_key),
            "person_key": f.person_key,
            "date_field": f.date_field,
            "columns": [
                {
                    "field": c.field,
                    "header": c.header,
                    "aliases": list(c.aliases),
                    "type": c.type,
                    "required": c.required,
                    "choices": list(c.choices),
                    "meaning": c.meaning,
                }
                for c in f.columns
            ],
        }
        for f in FEEDS
    ]


__all__ = [
    "CHOICE",
    "DATE",
    "FEEDS",
    "FEEDS_BY_CODE",
    "ID",
    "INT",
    "MONEY",
    "TEXT",
    "TYPES",
    "Feed",
    "FeedColumn",
    "FeedSchemaError",
    "choice_lookup",
    "describe",
    "feed",
    "header_map",
    "normalise_header",
]
