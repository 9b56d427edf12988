"""Risk types (风险类型), alert grades (预警等级) and the three discovery channels (三线预警).

The codes are data the screening engine writes into its SQL, the cases app stores on alerts and every
form offers as choices; the Django apps build their `choices` from the plain tuples here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


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

# (code, "code name") in dictionary order, for model fields and forms.
RISK_CHOICES: list[tuple[str, str]] = [(code, f"{code} {rt.name}") for code, rt in RISK_TYPES.items()]


def risk_name(code: str) -> str:
    """The risk's Chinese name, or the code itself when the dictionary does not know it (an old row)."""
    risk = RISK_TYPES.get(code)
    return risk.name if risk is not None else code


# Alert grades. Severity: the higher, the more urgent (the engine keeps the highest grade of an alert's
# evidence). Rank: the order of a work list, most urgent first (stored on each alert as grade_rank).
# Days to act: 红 = within 3 days, 橙 = within 7, 黄 = within 15 (docs/feeds.md).
RED, ORANGE, YELLOW = "红", "橙", "黄"
GRADES: dict[str, int] = {YELLOW: 1, ORANGE: 2, RED: 3}
GRADE_RANK: dict[str, int] = {g: len(GRADES) + 1 - severity for g, severity in GRADES.items()}
GRADE_DAYS: dict[str, int] = {RED: 3, ORANGE: 7, YELLOW: 15}
GRADE_CHOICES: list[tuple[str, str]] = [(g, g) for g in GRADES]


def higher_grade(a: str, b: str) -> str:
    """The more urgent of two grades (either when equal)."""
    return a if GRADE_RANK[a] <= GRADE_RANK[b] else b


def due_date(grade: str, raised: date) -> date:
    """The day by which an alert of this grade raised on `raised` must be checked."""
    return raised + timedelta(days=GRADE_DAYS[grade])


# Discovery channels (docs/domain.md §4), in the order pages list them.
DEPARTMENT, SELF_DECLARED, CADRE_VISIT = "department", "self_declared", "cadre_visit"
CHANNELS: dict[str, str] = {
    DEPARTMENT: "部门筛查预警",
    SELF_DECLARED: "农户自主申报",
    CADRE_VISIT: "干部常态排查",
}
