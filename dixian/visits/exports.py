"""The visit coverage workbook (走访覆盖率): the table of the coverage page, villages and subtotals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dixian.common.spreadsheets import excel_text, workbook

if TYPE_CHECKING:
    from .selectors import Coverage


def coverage_workbook(cov: Coverage, target: Any) -> None:
    """Write the coverage of `cov` (visits.selectors) to `target` (a path or a binary file)."""
    book = workbook(target)
    sheet = book.add_worksheet("走访覆盖率")
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#F0F2F4", "border": 1})
    pct = book.add_format({"num_format": "0.0%"})
    pct_bold = book.add_format({"num_format": "0.0%", "bold": True})
    sheet.write(0, 0, f"走访覆盖率 {cov.start:%Y-%m-%d} 至 {cov.end:%Y-%m-%d}", bold)
    headers = ["区划代码", "乡镇", "村", "农户数", "已走访户数", "覆盖率", "走访次数", "发现风险的走访"]
    sheet.write_row(2, 0, headers, head)
    row = 3

    def write(r: Any, township: str, village: str, *, total: bool = False) -> None:
        nonlocal row
        fmt = bold if total else None
        sheet.write_string(row, 0, r.code, fmt)
        sheet.write_string(row, 1, excel_text(township), fmt)
        sheet.write_string(row, 2, excel_text(village), fmt)
        sheet.write_number(row, 3, r.households, fmt)
        sheet.write_number(row, 4, r.visited, fmt)
        if r.households:
            sheet.write_number(row, 5, r.visited / r.households, pct_bold if total else pct)
        else:
            sheet.write_string(row, 5, "—", fmt)
        sheet.write_number(row, 6, r.visits, fmt)
        sheet.write_number(row, 7, r.visits_with_risks, fmt)
        row += 1

    for township in cov.townships:
        for village in township.villages:
            write(village, township.name, village.name)
        if cov.show_townships:
            write(township, f"{township.name}小计", "", total=True)
    write(cov.total, cov.total.name, "", total=True)
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 2, 14)
    sheet.set_column(3, 7, 12)
    sheet.freeze_panes(3, 0)
    book.close()
