"""The risk-elimination criteria of a case (docs/domain.md §7, §20), each met or not with its evidence in
plain Chinese, as the case page shows them and `case_advance` checks them before an elimination is
proposed. Every criterion holds for 帮扶消除 and 自然消除 alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal

from dixian.cases.models import Alert
from dixian.domain import lifecycle as lc
from dixian.domain.dictionaries import LABOURER_SKILLS
from dixian.registry.models import HouseholdIncome, Person
from dixian.registry.selectors import income_lines_for_code

from .models import Measure, MonitoringCase


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    met: bool
    evidence: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.0f}元"


def elimination_criteria(case: MonitoringCase, *, on: dt.date, method: str = lc.ASSISTED) -> list[Criterion]:
    """The criteria of §7 for `case` on the day `on` (a handful of queries, whatever the household)."""
    household = case.household
    found: list[Criterion] = []

    if case.identified_on is None:
        found.append(Criterion("six_months", "识别纳入满6个月", False, "尚未识别纳入监测"))
    else:
        earliest = lc.months_after(case.identified_on, lc.ELIMINATION_MIN_MONTHS)
        found.append(
            Criterion(
                "six_months",
                "识别纳入满6个月",
                on >= earliest,
                f"{case.identified_on:%Y年%-m月%-d日}识别纳入,{earliest:%Y年%-m月%-d日}起满6个月",
            )
        )

    applied = Measure.objects.filter(case=case, status__in=Measure.APPLIED_STATUSES).count()
    found.append(Criterion("measure_applied", "至少落实一项帮扶措施", applied > 0, f"已落实措施{applied}项"))

    income = HouseholdIncome.objects.filter(household=household).order_by("-year").first()
    lines = income_lines_for_code(household.region_code)
    if income is None:
        found.append(Criterion("income_above_line", "人均纯收入高于当年监测范围", False, "没有收入记录"))
        found.append(Criterion("rigid_costs", "大额刚性支出已化解", False, "没有收入记录"))
    else:
        line = lines.get(income.year)
        if line is None:
            found.append(
                Criterion(
                    "income_above_line",
                    "人均纯收入高于当年监测范围",
                    False,
                    f"{income.year}年的监测范围尚未设定",
                )
            )
            found.append(
                Criterion("rigid_costs", "大额刚性支出已化解", False, f"{income.year}年的监测范围尚未设定")
            )
        else:
            per_capita = income.net_income_per_capita
            found.append(
                Criterion(
                    "income_above_line",
                    "人均纯收入高于当年监测范围",
                    per_capita > line.amount,
                    f"{income.year}年人均纯收入{_yuan(per_capita)},监测范围{_yuan(line.amount)}",
                )
            )
            members = max(income.members, 1)
            after_costs = (income.net_income - income.eligible_out_of_pocket) / members
            found.append(
                Criterion(
                    "rigid_costs",
                    "大额刚性支出已化解",
                    after_costs > line.amount,
                    f"扣除合规自付支出{_yuan(income.eligible_out_of_pocket)}后人均{_yuan(after_costs)}",
                )
            )

    gaps = [
        label
        for ok, label in (
            (household.education_ok, "义务教育"),
            (household.medical_ok, "基本医疗"),
            (household.housing_ok, "住房安全"),
            (household.water_ok is not False, "饮水安全"),
        )
        if not ok
    ]
    found.append(
        Criterion(
            "guarantees",
            "“三保障”和饮水安全有保障",
            not gaps,
            "均有保障" if not gaps else "未保障:" + "、".join(gaps),
        )
    )

    open_alerts = Alert.objects.filter(household=household, status__in=Alert.OPEN_STATUSES).count()
    found.append(
        Criterion(
            "no_open_alert",
            "没有新的未办结预警",
            open_alerts == 0,
            "无" if open_alerts == 0 else f"有{open_alerts}条预警线索尚未办结",
        )
    )

    labourers = Person.objects.filter(household=household, labour_skill__in=LABOURER_SKILLS).count()
    found.append(
        Criterion(
            "labour",
            "家庭有劳动能力(无劳动能力户不标注风险消除)",
            labourers > 0,
            f"有劳动能力成员{labourers}人",
        )
    )
    return found
