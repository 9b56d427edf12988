"""The county registry workbook (农户信息导入模板): one row per person, Chinese headers, any order.

Household-level columns repeat on every member's row; the head's row (与户主关系 = 户主) is the one that
counts, and the other rows must agree with it or leave the cell empty. The income block is optional
and may be any part of it (components, their sub-items, or only the net or per-capita total): see
import_income.py; 收入年度 defaults to the previous year. 性别 and 出生日期 are derived from the ID number;
when a workbook carries them anyway they must agree with it.

The importer (imports.py), the generator (synthetic) and the template download all use this one list.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from dixian.domain import dictionaries

from .income_columns import INCOME_EXTRAS


@dataclass(frozen=True)
class Column:
    field: str  # model field name (Household / Person / HouseholdIncome), or a derived check column
    header: str  # canonical Chinese header, as written in the template
    level: str  # "household", "person" or "income"
    required: bool = False
    aliases: tuple[str, ...] = ()
    note: str = ""  # shown as the header comment in the downloadable template


COLUMNS: tuple[Column, ...] = (
    Column("household_no", "户编号", "household", True, ("户码", "户号", "家庭编号"), "全县唯一的户编号"),
    Column(
        "region_code",
        "行政区划代码",
        "household",
        False,
        ("村代码", "区划代码", "行政村代码", "村(组)代码"),
        "12位村级统计区划代码,或村代码后加2位组号;不填时按县、乡(镇)、行政村名称查找",
    ),
    # The place by name, as the national system's export has it (docs/domain.md §14.1): resolved against
    # the importing account's part of the region tree (registry/import_places.py).
    Column(
        "county_name",
        "县(市、区)",
        "household",
        False,
        ("县", "区县", "县区", "县(区)", "县(市)", "县(市、区)名称", "县名称", "所在县"),
        "可不填;村名在本辖区重名时用于区分",
    ),
    Column(
        "township_name",
        "乡(镇)",
        "household",
        False,
        ("乡镇", "乡(镇、街道)", "乡镇(街道)", "乡(镇)名称", "乡镇名称", "所在乡镇", "镇"),
        "如 义宁镇 或 义宁;村名在本辖区重名时必填",
    ),
    Column(
        "village_name",
        "行政村",
        "household",
        False,
        ("村", "行政村名称", "村名称", "村名", "所在村", "行政村(社区)", "村(社区)"),
        "不填行政区划代码时必填,如 良塘村、良塘村委会",
    ),
    Column(
        "group_name",
        "组",
        "household",
        False,
        ("村民小组", "组名", "组名称", "小组"),
        "可不填,如 3组、三组、第三村民小组",
    ),
    Column("kind", "户类型", "household", True, ("户属性", "农户类型"), "脱贫户 / 一般农户"),
    Column(
        "year_out_of_poverty", "脱贫年度", "household", False, ("脱贫年份", "脱贫时间"), "脱贫户填写,如 2018"
    ),
    Column(
        "monitoring_category",
        "监测对象类别",
        "household",
        False,
        ("监测类型", "监测对象类型", "监测户类型"),
        "脱贫不稳定户 / 边缘易致贫户 / 突发严重困难户,非监测对象留空;已有农户的类别只能随监测帮扶档案变更",
    ),
    # 识别时间 of a household the national system already monitors (docs/domain.md §20): with 监测对象类别 it
    # makes the household a case in 监测帮扶中 with that history. Not a household field: read by the importer.
    Column(
        "identified_on",
        "识别时间",
        "household",
        False,
        ("识别纳入时间", "纳入监测时间", "识别日期", "监测识别时间", "识别纳入日期"),
        "全国系统已识别的监测对象填写,如 2024-03-15;填写后该户建立监测帮扶档案(监测帮扶中)",
    ),
    Column(
        "housing_grade",
        "住房安全等级",
        "household",
        False,
        ("危房等级", "房屋安全等级", "住房等级"),
        "A / B / C / D",
    ),
    Column(
        "water_ok",
        "是否解决安全饮水",
        "household",
        False,
        ("饮水安全", "是否饮水安全", "安全饮水"),
        "是 / 否",
    ),
    Column("address", "家庭住址", "household", False, ("住址", "居住地址")),
    Column("name", "姓名", "person", True, ("成员姓名", "人员姓名")),
    Column(
        "id_number",
        "证件号码",
        "person",
        True,
        ("身份证号", "身份证号码", "公民身份号码", "证件号", "身份证"),
        "18位身份证号;请将该列设为文本格式,以免 Excel 丢失末尾数字",
    ),
    Column("sex", "性别", "person", False, (), "可不填,由身份证号自动得出"),
    Column("birth_date", "出生日期", "person", False, ("出生年月日",), "可不填,由身份证号自动得出"),
    Column(
        "relation", "与户主关系", "person", True, ("家庭关系", "与户主的关系"), "户主 / 配偶 / 之子 / 之女 ……"
    ),
    Column("ethnicity", "民族", "person", False),
    Column("education", "文化程度", "person", False),
    Column("student_status", "在校生情况", "person", False, ("在校生状况", "在校情况")),
    Column("health_status", "健康状况", "person", False, ("健康情况",), "健康 / 长期慢性病 / 大病 / 残疾"),
    Column("disability_category", "残疾类别", "person", False, ("残疾类型",)),
    Column("disability_grade", "残疾等级", "person", False, ("残疾级别",), "一级 / 二级 / 三级 / 四级"),
    Column(
        "labour_skill",
        "劳动技能",
        "person",
        True,
        ("劳动能力",),
        "普通劳动力 / 技能劳动力 / 丧失劳动力 / 无劳动力",
    ),
    Column(
        "work_place", "务工所在地", "person", False, ("务工地点", "务工区域"), "县内 / 省内县外 / 省外 / 国外"
    ),
    Column(
        "months_worked",
        "务工时间(月)",
        "person",
        False,
        ("务工时长", "务工月数", "务工时间", "务工时间（月）"),
    ),
    Column(
        "medical_insurance",
        "基本医疗保险",
        "person",
        False,
        ("医疗保险", "是否参加城乡居民基本医疗保险", "参加医保情况"),
    ),
    Column(
        "pension_insurance",
        "基本养老保险",
        "person",
        False,
        ("养老保险", "是否参加城乡居民基本养老保险", "参加养老保险情况"),
    ),
    Column("dibao", "是否享受低保", "person", False, ("低保", "享受低保")),
    Column("tekun", "是否特困供养", "person", False, ("特困", "特困供养")),
    Column("phone", "联系电话", "person", False, ("手机号", "电话", "手机号码", "联系方式")),
    Column("year", "收入年度", "income", False, ("收入年份", "年度")),
    Column("wages", "工资性收入", "income", False, ("工资性收入(元)",)),
    Column("business", "生产经营性收入", "income", False, ("生产经营性收入(元)", "经营性收入")),
    Column("property", "财产性收入", "income", False, ("财产性收入(元)",)),
    Column("transfers", "转移性收入", "income", False, ("转移性收入(元)",)),
    Column("production_costs", "生产经营性支出", "income", False, ("生产经营性支出(元)", "生产经营支出")),
    Column(
        "eligible_out_of_pocket", "合规自付支出", "income", False, ("合规自付支出(元)", "合规自付医疗费用")
    ),
    Column("insurance_payout", "理赔收入", "income", False, ("理赔收入(元)",)),
)


def _dictionary_note(column: Column) -> Column:
    """A column of a national dictionary: its note lists the dictionary's official values, whatever note the
    column was written with, so that it never lags behind the data (docs/domain.md §18)."""
    dictionary = dictionaries.DICTIONARIES.get(column.field)
    if dictionary is None:
        return column
    parts = [dictionaries.accepted_labels(column.field)]
    if dictionary.blank is not None and dictionary.blank in dictionary.labels:
        parts.append(f"留空即“{dictionary.labels[dictionary.blank]}”")
    coded = any(v.national for v in dictionary.values)
    parts.append(f"也接受{'国家代码和' if coded else ''}常见写法,全角半角均可")
    return replace(column, note=";".join(parts))


COLUMNS = tuple(_dictionary_note(c) for c in COLUMNS)

# Accepted on import beside the template's columns (not in the template nor the generated workbooks): the
# national export's income totals and sub-items (docs/domain.md §2, §14; read by import_income.py).
EXTRA_COLUMNS: tuple[Column, ...] = tuple(
    Column(x.field, x.header, "income", False, x.aliases, x.note) for x in INCOME_EXTRAS
)
ACCEPTED: tuple[Column, ...] = COLUMNS + EXTRA_COLUMNS

HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)
BY_FIELD: dict[str, Column] = {c.field: c for c in ACCEPTED}


def header_lookup() -> dict[str, Column]:
    """Every accepted spelling of a header (canonical and aliases, whitespace removed) → its column."""
    table: dict[str, Column] = {}
    for column in ACCEPTED:
        for name in (column.header, *column.aliases):
            table[normalise_header(name)] = column
    return table


def normalise_header(text: object) -> str:
    s = str(text or "")
    s = s.replace("（", "(").replace("）", ")").replace("\u3000", "")
    return "".join(s.split())
