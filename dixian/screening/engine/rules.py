"""Screening rules as data (筛查规则): the default rule set R01–R17, described in docs/rules.md.

A rule version says *what* to look for — feeds, thresholds, risk type, grade logic, explanation — and
names the engine logic that knows *how* (`logic.py`). Thresholds, windows and the income line are
parameters, never constants: an administrator edits them per region and year, and every edit makes a
new version (`RuleVersion.revise`). The engine records the version in every piece of evidence.

Explanation templates are Chinese text with `{placeholders}`:
- always available: `{name}` (the member, from the registry), `{amount}`, `{threshold}`, `{window}` (the
  rule's screening window, e.g. 2026年1-10月), `{rule_id}`, `{version}`, `{note}` (the note of the
  escalation that applied, with a leading comma, or nothing);
- the placeholders that the rule's logic provides (listed in `logic.LOGICS[...].placeholders`);
- any parameter of the rule, by name (numbers are written with thousands separators; a `*_share`
  parameter as a percentage).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

# 红 = act within 3 days, 橙 = within 7, 黄 = within 15 (docs/rules.md §1).
GRADES: dict[str, int] = {"黄": 1, "橙": 2, "红": 3}
GRADE_DAYS: dict[str, int] = {"红": 3, "橙": 7, "黄": 15}

# Registry labour skills that count as a labourer (劳动力): LabourSkill.ORDINARY / SKILLED.
LABOUR_SKILLS: tuple[str, ...] = ("ordinary", "skilled")


@dataclass(frozen=True)
class RiskType:
    code: str
    name: str
    national: bool = True  # False: a local extension of the dictionary (docs/domain.md §3: keep it editable)


# docs/domain.md §3 (dictionary 100A27, sub-dictionary 100A271) plus the local codes that some counties use.
RISK_TYPES: dict[str, RiskType] = {
    r.code: r
    for r in (
        RiskType("01", "因病"),
        RiskType("02", "因自然灾害"),
        RiskType("0201", "因自然灾害(洪涝)"),
        RiskType("0202", "因自然灾害(地质)"),
        RiskType("0203", "因自然灾害(干旱)"),
        RiskType("0204", "因自然灾害(生物)"),
        RiskType("0205", "因自然灾害(气象)"),
        RiskType("0206", "因自然灾害(地震)"),
        RiskType("0299", "因自然灾害(其他)"),
        RiskType("03", "因残"),
        RiskType("04", "缺劳动力"),
        RiskType("05", "因意外事故"),
        RiskType("06", "因产业(项目)失败"),
        RiskType("07", "因务工就业不稳"),
        RiskType("09", "因学"),
        RiskType("99", "其他"),
        RiskType("91", "住房安全", national=False),
        RiskType("92", "饮水安全", national=False),
        RiskType("93", "刚性支出", national=False),
    )
}


@dataclass(frozen=True)
class Escalation:
    """Raise the grade to `grade` when the logic's condition `when` holds; `note` is added to the reason."""

    grade: str
    when: str
    note: str = ""


@dataclass(frozen=True)
class RuleVersion:
    rule_id: str
    version: int
    name: str
    logic: str  # key of logic.LOGICS
    feeds: tuple[str, ...]
    risk_code: (
        str  # the default risk; some logics derive a sub-type per row (disaster type, petition category)
    )
    grade: str  # the grade when no escalation applies
    template: str
    params: Mapping[str, Any] = field(default_factory=dict)
    escalations: tuple[Escalation, ...] = ()
    # The region subtree the version applies to ("" = everywhere). A version for a longer prefix overrides
    # the same rule's version for a shorter one inside its subtree.
    region: str = ""
    valid_from: date | None = None
    valid_to: date | None = None

    def __post_init__(self) -> None:
        if self.grade not in GRADES or any(e.grade not in GRADES for e in self.escalations):
            raise ValueError(f"{self.rule_id}: 预警等级只能是 红 / 橙 / 黄")
        if self.risk_code not in RISK_TYPES:
            raise ValueError(f"{self.rule_id}: 未知的风险类型代码 {self.risk_code}")

    def param(self, key: str) -> Any:
        try:
            return self.params[key]
        except KeyError:
            raise KeyError(f"规则 {self.rule_id} 第{self.version}版缺少参数 {key}") from None

    def revise(self, **changes: Any) -> RuleVersion:
        """The next version: parameters in `changes` are merged into `params`, other keys replace fields."""
        params = dict(self.params)
        fields = {k: v for k, v in changes.items() if k in self.__dataclass_fields__}
        params.update({k: v for k, v in changes.items() if k not in self.__dataclass_fields__})
        fields.setdefault("version", self.version + 1)
        return replace(self, params=params, **fields)

    def applies_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["feeds"] = list(self.feeds)
        data["params"] = json.loads(json.dumps(dict(self.params)))
        data["escalations"] = [asdict(e) for e in self.escalations]
        data["valid_from"] = self.valid_from.isoformat() if self.valid_from else None
        data["valid_to"] = self.valid_to.isoformat() if self.valid_to else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleVersion:
        data = dict(data)
        data["feeds"] = tuple(data["feeds"])
        data["escalations"] = tuple(Escalation(**e) for e in data.get("escalations", ()))
        for key in ("valid_from", "valid_to"):
            if data.get(key):
                data[key] = date.fromisoformat(data[key])
        return cls(**data)


_SUFFIX = "(规则 {rule_id} 第{version}版)"

# Demo income line (docs/domain.md §2, 示例 until the province's figure is entered).
DEMO_INCOME_LINE = {2023: 7600, 2024: 7900, 2025: 8200, 2026: 8500}

DEFAULT_RULES: tuple[RuleVersion, ...] = (
    RuleVersion(
        "R01",
        1,
        "大额医疗个人负担",
        "medical_out_of_pocket",
        ("medical",),
        "01",
        "橙",
        "{window}{name}医疗个人负担 {amount} 元,达到{kind}阈值 {threshold} 元{note}" + _SUFFIX,
        {
            "window_months": 12,
            "threshold_ex_poor": 5000,
            "threshold_ordinary": 20000,
            "red_income_share": 0.5,
            "visit_types": ["住院", "门诊慢特病", "普通门诊"],
        },
        (Escalation("红", "income_share", "达到家庭年纯收入 {income} 元的 {red_income_share} 以上"),),
    ),
    RuleVersion(
        "R02",
        1,
        "门诊慢特病月度个人负担",
        "medical_chronic_monthly",
        ("medical",),
        "01",
        "黄",
        "{month}{name}门诊慢特病个人负担 {amount} 元,达到月度阈值 {threshold} 元" + _SUFFIX,
        {"window_months": 3, "visit_type": "门诊慢特病", "threshold": 500},
    ),
    RuleVersion(
        "R03",
        1,
        "新增大病专项救治",
        "major_illness_case",
        ("major_illness",),
        "01",
        "橙",
        "{date}{name}确诊大病专项救治病种“{disease}”" + _SUFFIX,
        {"window_months": 3},
    ),
    RuleVersion(
        "R04",
        1,
        "新增重度残疾",
        "severe_disability",
        ("disability",),
        "03",
        "橙",
        "{date}{name}新办{disability_grade}{disability_category}残疾人证{note}" + _SUFFIX,
        {"window_months": 3, "grades": ["一级", "二级"]},
        (Escalation("红", "only_labourer", "系家庭唯一劳动力"),),
    ),
    RuleVersion(
        "R05",
        1,
        "新纳入低保或特困",
        "assistance_granted",
        ("assistance",),
        "99",
        "黄",
        "{date}{name}新纳入{assistance_type}(综合保障),尚非监测对象" + _SUFFIX,
        {"window_months": 3, "assistance_types": ["低保", "特困"], "only_unmonitored": True},
    ),
    RuleVersion(
        "R06",
        1,
        "义务教育阶段辍学",
        "dropout",
        ("education",),
        "09",
        "红",
        "{date}{name}({age}岁)学籍状态为辍学(义务教育保障)" + _SUFFIX,
        {"window_months": 3, "min_age": 6, "max_age": 15},
    ),
    RuleVersion(
        "R07",
        1,
        "学年自付费用高",
        "school_fees",
        ("education",),
        "09",
        "黄",
        "{name}({stage})学年自付费用 {amount} 元,超过 {threshold} 元" + _SUFFIX,
        {"window_months": 12, "threshold": 10000},
    ),
    RuleVersion(
        "R08",
        1,
        "住房鉴定为C/D级",
        "housing_unsafe",
        ("housing",),
        "91",
        "红",
        "{date}住房安全鉴定为{housing_grade}级(户主{name})" + _SUFFIX,
        {"window_months": 12, "grades": ["C", "D"]},
    ),
    RuleVersion(
        "R09",
        1,
        "灾害损失",
        "disaster_loss",
        ("disaster",),
        "02",
        "橙",
        "{date}遭受{disaster_type}灾害,直接经济损失 {amount} 元{house_damage}{note}" + _SUFFIX,
        {
            "window_months": 3,
            "loss_threshold": 10000,
            "red_income_share": 1.0,
            "risk_codes": {
                "洪涝": "0201",
                "地质": "0202",
                "干旱": "0203",
                "生物": "0204",
                "气象": "0205",
                "地震": "0206",
                "其他": "0299",
            },
        },
        (Escalation("红", "income_share", "不低于家庭年纯收入 {income} 元"),),
    ),
    RuleVersion(
        "R10",
        1,
        "劳动力死亡",
        "labourer_death",
        ("civil_registry",),
        "04",
        "橙",
        "{date}{name}({age}岁,有劳动能力)死亡{note}" + _SUFFIX,
        {"window_months": 3, "min_age": 16, "max_age": 60},
        (Escalation("红", "no_labourer_left", "家中已无劳动力"),),
    ),
    RuleVersion(
        "R11",
        1,
        "劳动力全部失业或断缴",
        "all_labourers_jobless",
        ("employment",),
        "07",
        "橙",
        "{window}家庭全部 {threshold} 名劳动力({names})均有失业登记或社保断缴记录" + _SUFFIX,
        {"window_months": 3, "event_types": ["失业登记", "社保断缴"], "reemployed_type": "就业登记"},
    ),
    RuleVersion(
        "R12",
        1,
        "人均纯收入低于监测线",
        "income_below_line",
        (),
        "99",
        "橙",
        "{year}年人均纯收入 {amount} 元,低于当年收入监测线 {threshold} 元,尚非监测对象" + _SUFFIX,
        {"income_line": DEMO_INCOME_LINE, "only_unmonitored": True},
    ),
    RuleVersion(
        "R13",
        1,
        "人均纯收入骤减",
        "income_drop",
        (),
        "99",
        "黄",
        "{year}年人均纯收入 {amount} 元,较上年 {threshold} 元下降 {drop_percent}%(阈值 {drop_share})"
        + _SUFFIX,
        {"drop_share": 0.3},
    ),
    RuleVersion(
        "R14",
        1,
        "刚性支出超过家庭收入",
        "rigid_expenditure",
        ("medical", "education"),
        "93",
        "红",
        "{window}医疗个人负担 {medical} 元与学年自付费用 {school} 元合计 {amount} 元,超过家庭年纯收入 {threshold} 元"
        + _SUFFIX,
        {"window_months": 12},
    ),
    RuleVersion(
        "R15",
        1,
        "脱贫人口小额信贷逾期",
        "loan_overdue",
        ("loan",),
        "06",
        "黄",
        "{date}{name}脱贫人口小额信贷逾期 {days} 天,逾期金额 {amount} 元" + _SUFFIX,
        {"window_months": 3, "loan_types": ["脱贫人口小额信贷"], "min_days": 90},
    ),
    RuleVersion(
        "R16",
        1,
        "困难类信访",
        "petition_hardship",
        ("petition",),
        "99",
        "黄",
        "{date}{name}来访反映{category}问题:{summary}" + _SUFFIX,
        {"window_months": 3, "risk_codes": {"生活困难": "99", "医疗": "01", "住房": "91"}},
    ),
    RuleVersion(
        "R17",
        1,
        "村级饮水安全事件",
        "water_outage",
        ("water",),
        "92",
        "黄",
        "{start}起所在村{event_type}已持续 {days} 天(不少于 {min_days} 天)" + _SUFFIX,
        {"window_months": 3, "event_types": ["停水", "水量不足"], "min_days": 30},
    ),
)


def default_rules() -> list[RuleVersion]:
    return list(DEFAULT_RULES)


def rule_by_id(
    rule_id: str, rules: list[RuleVersion] | tuple[RuleVersion, ...] = DEFAULT_RULES
) -> RuleVersion:
    for rule in rules:
        if rule.rule_id == rule_id:
            return rule
    raise KeyError(rule_id)
