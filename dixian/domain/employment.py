"""Employment monitoring and relocation follow-up as data (docs/domain.md §10, §11, §23, §24): who is on the
labour roll, the monthly survey's dictionaries (place tier, channel, wage band, why not working), the key groups
and their follow-up, 公益性岗位 types and funding, relocation sites' problem categories, and the months.

Pure Python, no Django: the survey form, the workbook import, the figures and the generator ask these same
tables; `dixian.employment` and `dixian.relocation` store what they decide. Each dictionary is a
`dixian.domain.dictionaries.Dictionary`, read from a cell with `parse` (label, code or a known variant, full
or half width), like the registry's national dictionaries.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from .dictionaries import (
    LABOUR_ORDINARY,
    LABOUR_SKILLED,
    LABOUR_WEAK,
    WORK,
    Code,
    Dictionary,
    ParseError,
    Value,
    normalise,
    shown,
    spellings_table,
)

# ---- the labour roll (脱贫劳动力 and 监测劳动力, docs/domain.md §23) ------------------------------------------

# A person is on the roll when the household is 脱贫户 or monitored, the person has labour capacity (the labourer
# skills, docs/domain.md §10: 弱劳动力或半劳动力 counts) and is of working age in the month. The national age
# bounds were not found **[configurable]** (docs/domain.md §17): EmploymentPolicy holds them, these are defaults.
ROLL_SKILLS: tuple[str, ...] = (LABOUR_ORDINARY, LABOUR_SKILLED, LABOUR_WEAK)
DEFAULT_AGE_MIN = 16
DEFAULT_AGE_MAX = 64
# The year the monthly count is compared with (the city's report: "就业人数占2022年100.03%").
DEFAULT_BASE_YEAR = 2022

# ---- place tier (务工地域): the registry's 务工所在地 dictionary, without its "未务工" ------------------------------
IN_COUNTY, IN_PROVINCE, OUT_OF_PROVINCE, ABROAD = "in_county", "in_province", "out_of_province", "abroad"
PLACE_TIER = Dictionary(
    "place_tier",
    "务工地域",
    "",
    tuple(v for v in WORK.values if v.code),
)
# Working away from home (返乡回流 is a worker who was away and is now home).
AWAY_TIERS: tuple[str, ...] = (IN_PROVINCE, OUT_OF_PROVINCE, ABROAD)

# ---- channel (就业渠道) -------------------------------------------------------------------------------------
SELF, LABOUR_EXPORT, PUBLIC_POST, WORKSHOP, WORK_RELIEF, ENTREPRENEUR, FLEXIBLE, OTHER = (
    "self",
    "labour_export",
    "public_post",
    "workshop",
    "work_relief",
    "entrepreneur",
    "flexible",
    "other",
)
CHANNEL = Dictionary(
    "channel",
    "就业渠道",
    "",
    (
        Value(SELF, "自主就业", variants=("自主务工", "自主", "自行就业", "自找")),
        Value(LABOUR_EXPORT, "劳务输出", variants=("有组织劳务输出", "组织输出", "劳务协作")),
        Value(PUBLIC_POST, "公益性岗位", variants=("公益岗", "公益性岗位安置", "乡村公益性岗位")),
        Value(WORKSHOP, "帮扶车间", variants=("就业帮扶车间", "扶贫车间", "车间")),
        Value(WORK_RELIEF, "以工代赈", variants=("以工代赈项目",)),
        Value(ENTREPRENEUR, "自主创业", variants=("创业",)),
        Value(FLEXIBLE, "灵活就业", variants=("零工", "打零工")),
        Value(OTHER, "其他", variants=("其它",)),
    ),
)

# ---- monthly wage band (月工资收入) ---------------------------------------------------------------------------
WAGE_BAND = Dictionary(
    "wage_band",
    "月工资收入",
    "",
    (
        Value("lt1000", "1000元以下", variants=("1000以下", "<1000", "1000元及以下")),
        Value(
            "1000_2000", "1000-2000元", variants=("1000-2000", "1000—2000元", "1000~2000元", "1000至2000元")
        ),
        Value(
            "2000_3000", "2000-3000元", variants=("2000-3000", "2000—3000元", "2000~3000元", "2000至3000元")
        ),
        Value(
            "3000_5000", "3000-5000元", variants=("3000-5000", "3000—5000元", "3000~5000元", "3000至5000元")
        ),
        Value(
            "5000_8000", "5000-8000元", variants=("5000-8000", "5000—8000元", "5000~8000元", "5000至8000元")
        ),
        Value("ge8000", "8000元以上", variants=("8000以上", ">8000", "8000元及以上")),
    ),
)

# ---- why not working (未就业原因) ----------------------------------------------------------------------------
NOT_WORKING_REASON = Dictionary(
    "not_working_reason",
    "未就业原因",
    "",
    (
        Value("family_care", "照料家庭", variants=("照顾家庭", "照顾老人小孩", "家庭照料")),
        Value("illness", "身体原因", variants=("疾病", "生病", "因病", "伤病")),
        Value("no_skill", "缺乏技能", variants=("无技能", "技能不足")),
        Value("no_job", "无合适岗位", variants=("找不到工作", "没有合适岗位", "暂无岗位")),
        Value("seasonal", "季节性返乡", variants=("季节性", "农忙返乡", "春节返乡")),
        Value("farming", "在家务农", variants=("务农", "种养殖")),
        Value("study", "在校或培训", variants=("在校", "培训", "参加培训", "升学")),
        Value("age", "年龄偏大", variants=("年龄大", "超龄")),
        Value("other", "其他", variants=("其它",)),
    ),
)

# ---- key groups (重点群体) and their follow-up (跟踪帮扶) --------------------------------------------------------
RETURNED, YULU_GRADUATE, WILLING_IDLE, WEAK_LABOUR = (
    "returned",
    "yulu_graduate",
    "willing_idle",
    "weak_labour",
)
KEY_GROUPS: dict[str, str] = {
    RETURNED: "返乡回流",
    YULU_GRADUATE: "雨露计划毕业生",
    WILLING_IDLE: "有就业意愿未就业",
    WEAK_LABOUR: "弱劳动力、半劳动力(适合公益性岗位)",
}
# A key-group member with no follow-up for this many days is a finding (docs/domain.md §23: "a month").
FOLLOW_UP_DAYS = 30

FOLLOW_UP_KIND = Dictionary(
    "follow_up_kind",
    "跟踪帮扶方式",
    "",
    (
        Value("job_offer", "推荐岗位", variants=("岗位推荐", "推送岗位")),
        Value("training", "技能培训", variants=("培训", "职业技能培训")),
        Value("post", "安置公益性岗位", variants=("公益岗安置", "公益性岗位")),
        Value("guidance", "就业指导", variants=("政策宣传", "职业指导")),
        Value("entrepreneur", "创业扶持", variants=("创业帮扶",)),
        Value("other", "其他", variants=("其它",)),
    ),
)

# ---- 公益性岗位 ------------------------------------------------------------------------------------------------
POST_TYPE = Dictionary(
    "post_type",
    "岗位类型",
    "",
    (
        Value("cleaning", "保洁员", variants=("保洁", "村庄保洁", "环境卫生")),
        Value("forest", "护林员", variants=("生态护林员", "护林")),
        Value("road", "护路员", variants=("护路", "道路养护")),
        Value("water", "管水员", variants=("水管员", "河道管护", "护河员")),
        Value("security", "治安巡逻员", variants=("治安", "巡逻员", "治安员")),
        Value("care", "养老护理员", variants=("养老服务", "护理员")),
        Value("service", "公共服务员", variants=("公共服务", "便民服务", "协管员")),
        Value("other", "其他", variants=("其它",)),
    ),
)
POST_FUNDING = Dictionary(
    "post_funding",
    "资金来源",
    "",
    (
        Value("bridging", "衔接资金", variants=("衔接推进乡村振兴补助资金", "乡村振兴资金")),
        Value("employment_subsidy", "就业补助资金", variants=("就业资金", "就业专项资金")),
        Value("village", "村集体经济收入", variants=("村集体", "集体经济")),
        Value("other", "其他", variants=("其它", "社会捐助")),
    ),
)

# ---- relocation sites (易地搬迁安置点, docs/domain.md §11, §24) ------------------------------------------------
# A site housing this many people or more must run a one-stop service window (一站式服务窗口).
SERVICE_WINDOW_MIN_PERSONS = 200
SITE_PROBLEM_CATEGORY = Dictionary(
    "site_problem_category",
    "问题类别",
    "",
    (
        Value("facilities", "配套设施", variants=("基础设施", "公共服务设施")),
        Value("employment", "就业帮扶", variants=("就业",)),
        Value("industry", "产业发展", variants=("产业", "产业配套")),
        Value("community", "社区治理", variants=("社区管理", "社会融入")),
        Value("property", "权益保障", variants=("不动产登记", "产权办证", "旧房拆除")),
        Value("funds", "资金使用", variants=("资金",)),
        Value("other", "其他", variants=("其它",)),
    ),
)

DICTIONARIES: dict[str, Dictionary] = {
    d.name: d
    for d in (
        PLACE_TIER,
        CHANNEL,
        WAGE_BAND,
        NOT_WORKING_REASON,
        FOLLOW_UP_KIND,
        POST_TYPE,
        POST_FUNDING,
        SITE_PROBLEM_CATEGORY,
    )
}


def choices(name: str) -> list[tuple[str, str]]:
    """(code, label) of a dictionary, in order: the model fields' choices."""
    return [(str(v.code), v.label) for v in DICTIONARIES[name].values]


@cache
def _table(name: str) -> dict[str, str | int]:
    return spellings_table(DICTIONARIES[name])


def parse(name: str, value: object, *, label: str = "") -> Code:
    """The code of `value` in the dictionary `name` (label, code or variant); an empty cell → "".

    Raises ParseError, whose message names the column and the accepted values."""
    key = normalise(value)
    if not key:
        return ""
    code = _table(name).get(key)
    if code is not None:
        return code
    dictionary = DICTIONARIES[name]
    accepted = " / ".join(v.label for v in dictionary.values)
    raise ParseError(f"「{shown(value)}」不是有效的{label or dictionary.title},可填:{accepted}")


# ---- months -----------------------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*)?(\d{1,2})\s*月?(?:[-/.]\s*\d{1,2}\s*日?)?$")


def month_parse(value: object) -> dt.date:
    """The first day of the month a cell or a query parameter names: 2026-10, 2026/10, 2026年10月, 202610, a date
    or a datetime (Excel's date cell). Raises ParseError with a Chinese message otherwise."""
    if isinstance(value, dt.datetime):
        return dt.date(value.year, value.month, 1)
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, 1)
    text = normalise(value)
    found = _MONTH.match(text)
    if found:
        year, month = int(found.group(1)), int(found.group(2))
        if 1900 <= year <= 2100 and 1 <= month <= 12:
            return dt.date(year, month, 1)
    raise ParseError(f"「{shown(value)}」不是有效的月份,请填写如 2026-10 或 2026年10月")


def month_label(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


def month_key(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def month_add(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return month_add(month, 1) - dt.timedelta(days=1)


def base_month(month: dt.date, base_year: int) -> dt.date:
    """The same month of the base year (the figures' comparison, docs/domain.md §23)."""
    return dt.date(base_year, month.month, 1)


def age_in_month(birth: dt.date, month: dt.date) -> int:
    """Age in whole years on the month's last day."""
    end = month_end(month)
    return end.year - birth.year - ((end.month, end.day) < (birth.month, birth.day))


def birth_bounds(month: dt.date, age_min: int, age_max: int) -> tuple[dt.date, dt.date]:
    """(earliest, latest) birth date of a person aged age_min..age_max on the month's last day: the roll's age
    condition as one range on the indexed birth date."""
    end = month_end(month)

    def years_before(years: int) -> dt.date:
        try:
            return end.replace(year=end.year - years)
        except ValueError:  # 29 February in a year without it
            return end.replace(year=end.year - years, day=28)

    earliest = years_before(age_max + 1) + dt.timedelta(days=1)
    latest = years_before(age_min)
    return earliest, latest
