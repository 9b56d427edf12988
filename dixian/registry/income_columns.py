"""The income columns of the national export beyond the template's components (docs/domain.md §2, §14).

家庭年纯收入 and 人均纯收入 are totals a book may carry instead of (or beside) the components; the
sub-items add up to one component each (公益性岗位收入 is part of 工资性收入, 低保金 of 转移性收入 ...).
Data only: template.py turns them into columns, import_income.py reads them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IncomeExtra:
    field: str
    header: str
    aliases: tuple[str, ...] = ()
    component: str = ""  # the component a sub-item belongs to; "" for the two totals
    note: str = ""


DECLARED_NET = "declared_net"
DECLARED_PER_CAPITA = "declared_per_capita"

INCOME_EXTRAS: tuple[IncomeExtra, ...] = (
    IncomeExtra(
        DECLARED_NET,
        "家庭年纯收入",
        ("家庭纯收入", "年纯收入", "家庭年纯收入(元)", "家庭纯收入(元)", "纯收入"),
        note="只有总数时填写;同时填写各项收入时以各项收入为准",
    ),
    IncomeExtra(
        DECLARED_PER_CAPITA,
        "人均纯收入",
        ("人均纯收入(元)", "家庭人均纯收入", "人均年纯收入", "家庭人均纯收入(元)"),
        note="可不填,由系统计算;只有人均数时,按人均纯收入×家庭人口数导入",
    ),
    IncomeExtra("sub_public_job", "公益性岗位收入", ("公益岗位收入", "公益性岗位收入(元)"), "wages"),
    IncomeExtra("sub_work", "务工收入", ("务工收入(元)", "外出务工收入"), "wages"),
    IncomeExtra(
        "sub_dividend",
        "资产收益分红",
        ("资产收益分红收入", "资产收益扶贫分红收入", "资产收益分红(元)"),
        "property",
    ),
    IncomeExtra("sub_land_rent", "土地流转收入", ("土地流转租金", "土地流转收入(元)"), "property"),
    IncomeExtra(
        "sub_family_planning", "计划生育金", ("计划生育金收入", "计生金", "计划生育金(元)"), "transfers"
    ),
    IncomeExtra("sub_dibao", "低保金", ("低保金收入", "低保金(元)"), "transfers"),
    IncomeExtra("sub_tekun", "特困供养金", ("特困金", "特困供养金收入", "特困供养金(元)"), "transfers"),
    IncomeExtra(
        "sub_pension",
        "养老金或离退休金",
        ("养老金/离退休金", "养老金", "离退休金", "养老金或离退休金(元)"),
        "transfers",
    ),
    IncomeExtra("sub_eco", "生态补偿金", ("生态补偿金收入", "生态补偿", "生态补偿金(元)"), "transfers"),
    IncomeExtra("sub_support", "赡养费", ("赡养费收入", "赡养费(元)"), "transfers"),
    IncomeExtra("sub_other_transfer", "其他转移性收入", ("其他转移性收入(元)",), "transfers"),
)
SUB_ITEMS: dict[str, str] = {x.field: x.component for x in INCOME_EXTRAS if x.component}
EXTRA_MONEY: tuple[str, ...] = tuple(x.field for x in INCOME_EXTRAS)
