"""衔接资金, the project bank and project assets as data (docs/domain.md §9 and §22): fund levels, project types and
the project bank's procedure, payment use categories and the default negative list, asset classes, the forms
of 联农带农, and the county discipline's thresholds.

Pure Python, no Django: the pages, the workbook import, the API and the tests ask these same tables, and the
Django side (`dixian.funds`) stores what they decide. Money is `Decimal`, never float, exact to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

FEN = Decimal("0.01")

# ---- fund levels (资金级次): who issued the money -----------------------------------------------------------
CENTRAL, PROVINCE, CITY, COUNTY = "central", "province", "city", "county"
FUND_LEVELS: dict[str, str] = {CENTRAL: "中央", PROVINCE: "省级", CITY: "市级", COUNTY: "县级"}
# How a finance office's workbook spells a level (the first spelling is the label).
FUND_LEVEL_SPELLINGS: dict[str, tuple[str, ...]] = {
    CENTRAL: ("中央", "中央级", "中央财政", "中央资金"),
    PROVINCE: ("省级", "省", "省本级", "省财政", "省级资金"),
    CITY: ("市级", "市", "市本级", "市财政", "市级资金"),
    COUNTY: ("县级", "县", "县本级", "县财政", "县级资金", "区级", "县(市、区)级"),
}

# ---- project types (项目类型) ------------------------------------------------------------------------------
INDUSTRY, EMPLOYMENT, INFRASTRUCTURE, RURAL_CONSTRUCTION, OTHER = (
    "industry",
    "employment",
    "infrastructure",
    "rural_construction",
    "other",
)
PROJECT_TYPES: dict[str, str] = {
    INDUSTRY: "产业发展",
    EMPLOYMENT: "就业项目",
    INFRASTRUCTURE: "基础设施",
    RURAL_CONSTRUCTION: "乡村建设",
    OTHER: "其他",
}
PROJECT_TYPE_SPELLINGS: dict[str, tuple[str, ...]] = {
    INDUSTRY: ("产业发展", "产业", "产业类", "产业发展类", "产业项目"),
    EMPLOYMENT: ("就业项目", "就业", "就业类", "就业帮扶", "以工代赈"),
    INFRASTRUCTURE: ("基础设施", "基础设施类", "基础设施建设", "村基础设施"),
    RURAL_CONSTRUCTION: ("乡村建设", "乡村建设类", "乡村建设行动", "人居环境"),
    OTHER: ("其他", "其它", "其他类", "项目管理费"),
}

# ---- the project bank (项目库): village proposes, township reviews, county decides, publicity, plan --------
PROPOSED = "proposed"
RETURNED = "returned"
TOWNSHIP_PASSED = "township_passed"
PUBLICITY = "publicity"
IN_PLAN = "in_plan"
REJECTED = "rejected"

PROJECT_STATES: dict[str, str] = {
    PROPOSED: "村级申报,待乡镇审核",
    RETURNED: "退回修改",
    TOWNSHIP_PASSED: "乡镇审核通过,待县级审定",
    PUBLICITY: "县级审定,公示中",
    IN_PLAN: "已纳入年度实施计划",
    REJECTED: "不予入库",
}
# Who acts on a project in a state: the village (re)submits, the township reviews, the county decides and
# closes the publicity. The permission map gives each owner a capability (accounts/capabilities.py).
PROJECT_OWNERS: dict[str, str] = {
    PROPOSED: "township",
    RETURNED: "village",
    TOWNSHIP_PASSED: "county",
    PUBLICITY: "county",
    IN_PLAN: "",
    REJECTED: "",
}


@dataclass(frozen=True)
class ProjectMove:
    code: str
    label: str
    source: str
    target: str
    owner: str  # village / township / county
    needs_reason: bool = False


PROJECT_MOVES: dict[str, ProjectMove] = {
    m.code: m
    for m in (
        ProjectMove("resubmit", "修改后重新申报", RETURNED, PROPOSED, "village"),
        ProjectMove("township_pass", "乡镇审核通过", PROPOSED, TOWNSHIP_PASSED, "township"),
        ProjectMove("township_return", "退回村级修改", PROPOSED, RETURNED, "township", needs_reason=True),
        ProjectMove("township_reject", "不予入库", PROPOSED, REJECTED, "township", needs_reason=True),
        ProjectMove("county_approve", "县级审定通过,开始公示", TOWNSHIP_PASSED, PUBLICITY, "county"),
        ProjectMove("county_return", "退回村级修改", TOWNSHIP_PASSED, RETURNED, "county", needs_reason=True),
        ProjectMove("county_reject", "不予入库", TOWNSHIP_PASSED, REJECTED, "county", needs_reason=True),
        # An objection during publicity sends the project back to the county's decision.
        ProjectMove("publicity_objection", "公示有异议,重新审定", PUBLICITY, TOWNSHIP_PASSED, "county", True),
        ProjectMove("publicity_close", "公示期满,纳入年度实施计划", PUBLICITY, IN_PLAN, "county"),
    )
}

# docs/domain.md §22 (§9 of the source facts gives 10 days from a secondary source): a setting per year.
DEFAULT_PUBLICITY_DAYS = 10


def moves_from(state: str) -> list[ProjectMove]:
    return [m for m in PROJECT_MOVES.values() if m.source == state]


def publicity_may_close_on(started_on: date, days: int) -> date:
    """The first day on which a publicity begun on `started_on` may be closed: after `days` full days."""
    return started_on + timedelta(days=days + 1)


# ---- payments: use categories and the negative list (负面清单) --------------------------------------------
@dataclass(frozen=True)
class UseCategory:
    code: str
    label: str
    # The rule that forbids it by default (docs/domain.md §22): empty for an allowed use.
    forbidden_by: str = ""


USE_CATEGORIES: dict[str, UseCategory] = {
    u.code: u
    for u in (
        UseCategory("construction", "建筑安装工程"),
        UseCategory("equipment", "设备购置"),
        UseCategory("materials", "材料采购"),
        UseCategory("work_relief_wages", "以工代赈劳务报酬"),
        UseCategory("household_subsidy", "到户补助(以奖代补)"),
        UseCategory("breeding_stock", "种苗、畜禽"),
        UseCategory("training", "技能培训"),
        UseCategory("loan_interest", "小额信贷贴息"),
        UseCategory("employment_subsidy", "就业补助(交通补贴、公益岗位)"),
        UseCategory("quality_bond_release", "质量保证金返还"),
        UseCategory(
            "cash_dividend", "直接给合作社或企业资金用于分红", "不得将资金直接投入企业、合作社仅用于分红"
        ),
        UseCategory("rent", "租金", "不得用于支付租金"),
        UseCategory("working_capital", "流动资金", "不得用于补充流动资金"),
        UseCategory("land_acquisition", "征地拆迁", "不得用于征地拆迁"),
        UseCategory("site_preparation", "场地平整", "不得用于场地平整"),
        UseCategory("survey_design", "勘察设计费", "不得用于勘察、设计费用"),
        UseCategory("supervision_fee", "监理费", "不得用于监理费用"),
        UseCategory("admin_costs", "工作经费、管理费", "不得用于行政事业单位基本支出和工作经费"),
        UseCategory("bonuses", "奖金、津补贴", "不得用于发放奖金、津补贴"),
        UseCategory("debt_repayment", "偿还债务", "不得用于偿还债务"),
        UseCategory("office_buildings", "楼堂馆所建设", "不得用于修建楼堂馆所"),
        UseCategory("vehicles", "购置车辆", "不得用于购置交通工具"),
        UseCategory("phones", "通讯设备", "不得用于购置通讯设备"),
        UseCategory("city_infrastructure", "城市基础设施", "不得用于城市基础设施建设"),
        UseCategory("guarantees", "担保、抵押", "不得用于担保、抵押"),
        UseCategory("non_agricultural", "与农业农村无关的支出", "不得用于与巩固衔接无关的非农支出"),
    )
}
# The default negative list: category → the rule that forbids it. The city keeps its own versions
# (`funds.NegativeListVersion`); this is version 1 of a new installation.
DEFAULT_NEGATIVE_LIST: dict[str, str] = {
    code: u.forbidden_by for code, u in USE_CATEGORIES.items() if u.forbidden_by
}

PAYEE_CATEGORIES: dict[str, str] = {
    "contractor": "施工企业",
    "supplier": "供应商",
    "cooperative": "农民合作社",
    "enterprise": "龙头企业",
    "collective": "村集体经济组织",
    "household": "农户",
    "worker": "务工人员",
    "other": "其他",
}

# ---- the county discipline (docs/domain.md §22) -----------------------------------------------------------
# By the end of September at least 75 % of the year's projects built and 75 % of their money paid; by the
# end of December every project finished and accepted.
SEPTEMBER_BUILT_MIN = Decimal("0.75")
SEPTEMBER_PAID_MIN = Decimal("0.75")
# The industry share of the year's funds: 55 % (2022), 60 % the aim from 2023: a setting per year.
DEFAULT_INDUSTRY_SHARE_MIN = Decimal("0.55")
# The quality bond held back until the warranty ends.
QUALITY_BOND = Decimal("0.03")

# ---- assets (项目资产) -------------------------------------------------------------------------------------
OPERATING, PUBLIC, HOUSEHOLD = "operating", "public", "household"
ASSET_CLASSES: dict[str, str] = {OPERATING: "经营性资产", PUBLIC: "公益性资产", HOUSEHOLD: "到户类资产"}
ASSET_CLASS_SPELLINGS: dict[str, tuple[str, ...]] = {
    OPERATING: ("经营性资产", "经营性", "经营类"),
    PUBLIC: ("公益性资产", "公益性", "公益类"),
    HOUSEHOLD: ("到户类资产", "到户类", "到户"),
}

# ---- 联农带农: how a project, a business entity or an industry base links a household -------------------
LINK_FORMS: dict[str, str] = {
    "employment": "就业务工",
    "dividend": "入股分红",
    "order": "订单收购",
    "land_transfer": "土地流转",
    "trusteeship": "生产托管",
    "asset_income": "资产收益",
    "technical": "技术服务",
    "other": "其他",
}
ENTITY_KINDS: dict[str, str] = {
    "enterprise": "龙头企业",
    "cooperative": "农民合作社",
    "family_farm": "家庭农场",
    "collective": "村集体经济组织",
    "workshop": "就业帮扶车间",
    "other": "其他",
}


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    """part ÷ whole to four places (a rate shown as a percentage with two), None when nothing was issued."""
    if not whole:
        return None
    return (part / whole).quantize(Decimal("0.0001"))


def payment_problems(
    *,
    paid_on: date,
    amount: Decimal,
    started_on: date | None,
    budget_total: Decimal,
    paid_before: Decimal,
    use_category: str,
    negative_list: dict[str, str],
) -> list[str]:
    """Why a payment may not be recorded (docs/domain.md §22), in plain Chinese; empty when it may.

    `paid_before` is what the project has paid already (without this payment); `negative_list` maps each
    forbidden use category to the rule that forbids it, as in force on `paid_on`. The form, the workbook
    import and the API ask this same function.
    """
    problems: list[str] = []
    if amount <= 0:
        problems.append("支付金额必须大于0")
    elif amount != amount.quantize(FEN):
        problems.append(f"支付金额 {amount} 超出两位小数(精确到分)")
    if use_category not in USE_CATEGORIES:
        problems.append(f"资金用途“{use_category}”不在用途目录中,请从目录中选择")
    elif use_category in negative_list:
        label = USE_CATEGORIES[use_category].label
        problems.append(f"资金用途“{label}”属于负面清单:{negative_list[use_category]}")
    if started_on is None:
        problems.append("项目尚未开工,不能支付;请先登记实际开工日期")
    elif paid_on < started_on:
        problems.append(f"支付日期 {paid_on:%Y-%m-%d} 早于项目开工日期 {started_on:%Y-%m-%d}")
    if amount > 0 and paid_before + amount > budget_total:
        problems.append(
            f"累计支付 {paid_before + amount:,.2f} 元将超过项目总投资 {budget_total:,.2f} 元"
            f"(已支付 {paid_before:,.2f} 元,最多还可支付 {max(budget_total - paid_before, Decimal(0)):,.2f} 元)"
        )
    return problems


def arrangement_problems(*, amount: Decimal, issued: Decimal, arranged_before: Decimal) -> list[str]:
    """Why an arrangement of `amount` from an allocation may not be made; empty when it may."""
    problems: list[str] = []
    if amount <= 0:
        problems.append("安排金额必须大于0")
    elif amount != amount.quantize(FEN):
        problems.append(f"安排金额 {amount} 超出两位小数(精确到分)")
    elif arranged_before + amount > issued:
        problems.append(
            f"累计安排 {arranged_before + amount:,.2f} 元将超过下达金额 {issued:,.2f} 元"
            f"(已安排 {arranged_before:,.2f} 元,最多还可安排 {issued - arranged_before:,.2f} 元)"
        )
    return problems
