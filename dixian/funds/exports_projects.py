"""The county discipline's workbook (docs/domain.md §22): each township's plan against the September and
December marks, and the late projects of the late townships (common/spreadsheets.py: text never a formula)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dixian.common.spreadsheets import excel_text, workbook

from .selectors_projects import TownshipDiscipline


def late_workbook(towns: list[TownshipDiscipline], *, year: int, as_of: dt.date, target: Any) -> None:
    book = workbook(target)
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#F0F2F4", "border": 1})
    pct = book.add_format({"num_format": "0.0%"})
    money = book.add_format({"num_format": "#,##0.00"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})

    sheet = book.add_worksheet("乡镇督导")
    sheet.write_string(0, 0, f"{year}年项目实施进度督导(截至 {as_of:%Y-%m-%d})", bold)
    headers = [
        "乡镇代码",
        "乡镇",
        "计划项目数",
        "9月底完工",
        "完工率",
        "计划投资(元)",
        "9月底支付(元)",
        "支出进度",
        "年底验收",
        "9月底未达标",
        "年底未验收完毕",
    ]
    sheet.write_row(2, 0, headers, head)
    for i, t in enumerate(towns, start=3):
        sheet.write_string(i, 0, t.code)
        sheet.write_string(i, 1, excel_text(t.name))
        sheet.write_number(i, 2, t.in_plan)
        sheet.write_number(i, 3, t.completed_sept)
        if t.completion_rate is not None:
            sheet.write_number(i, 4, float(t.completion_rate), pct)
        sheet.write_number(i, 5, float(t.budget), money)
        sheet.write_number(i, 6, float(t.paid_sept), money)
        if t.spending_rate is not None:
            sheet.write_number(i, 7, float(t.spending_rate), pct)
        sheet.write_number(i, 8, t.accepted_dec)
        sheet.write_string(i, 9, "是" if t.late_september else "否")
        sheet.write_string(i, 10, "是" if t.late_december else "否")
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 16)
    sheet.set_column(2, 10, 13)

    late = book.add_worksheet("滞后项目")
    late.write_row(
        0,
        0,
        ["乡镇", "项目编号", "项目名称", "项目地点", "计划投资(元)", "实际开工", "实际完工", "验收日期"],
        head,
    )
    row = 1
    for t in towns:
        for p in t.projects:
            late.write_string(row, 0, excel_text(t.name))
            late.write_string(row, 1, excel_text(p.code))
            late.write_string(row, 2, excel_text(p.name))
            late.write_string(row, 3, excel_text(p.region_name))
            late.write_number(row, 4, float(p.budget_total), money)
            for col, day in ((5, p.started_on), (6, p.completed_on), (7, p.accepted_on)):
                if day is not None:
                    late.write_datetime(row, col, day, date)
            row += 1
    late.set_column(0, 7, 16)
    book.close()
