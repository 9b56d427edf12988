"""The weekly summary of a unit as a workbook (docs/domain.md §29 "The weekly summary"): 汇总, counts per
ledger × child unit, then one sheet per ledger listing its items. Written by the page's download
(`dispatch:summary_xlsx`) and by `dixian dispatch_summary`, from the same Board."""

from __future__ import annotations

from typing import IO, Any

from dixian.common.due import week_key, week_label
from dixian.common.spreadsheets import Sheet, export_workbook

from .board import Board, Counts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUMMARY_SHEET = "汇总"
SUMMARY_HEADERS = [
    ("台账", 14),
    ("单位", 18),
    ("应办事项", 10),
    ("已完成", 10),
    ("未完成", 10),
    ("已超期", 10),
]
ITEM_HEADERS = [
    ("单位", 16),
    ("区划代码", 14),
    ("事项", 16),
    ("内容", 48),
    ("责任单位/责任人", 20),
    ("到期日期", 12),
    ("已完成", 8),
    ("已超期", 8),
    ("期限情况", 14),
]
# Sheet names: at most 31 characters, none of []:*?/\ (Excel's rules).
_BAD_SHEET_CHARS = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))


def summary_title(board: Board) -> str:
    return f"{board.region.name}工作调度周汇总 {week_label(board.week_start)}"


def summary_filename(board: Board) -> str:
    return f"工作调度周汇总_{board.region.name}_{week_key(board.week_start)}.xlsx"


def _counts(c: Counts) -> list[object]:
    return [c.listed, c.done, c.open, c.overdue]


def sheet_name(name: str, used: set[str]) -> str:
    base = name.translate(_BAD_SHEET_CHARS)[:28] or "台账"
    out, n = base, 2
    while out in used or out == SUMMARY_SHEET:
        out, n = f"{base}{n}", n + 1
    used.add(out)
    return out


def summary_write(board: Board, target: IO[bytes] | Any) -> int:
    """Write the workbook of `board` to `target` (a file object or a path); returns the items listed."""
    book, formats = export_workbook(target)
    head = Sheet(book, SUMMARY_SHEET, SUMMARY_HEADERS, formats)
    for ledger in board.ledgers:
        for unit, cells in board.unit_table:
            head.write([ledger.name, unit.name, *_counts(cells[board.ledger_names.index(ledger.name)])])
        head.write([ledger.name, "合计", *_counts(ledger.counts)])
    head.write(["全部台账", "合计", *_counts(board.total)])
    head.finish()
    notes = head.ws
    notes.write_string(head.row + 1, 0, summary_title(board))
    notes.write_string(
        head.row + 2,
        0,
        f"已超期:截至 {board.today:%Y-%m-%d} 未完成且已过到期日期的事项(含此前到期、本周仍未完成的事项)。",
    )
    used: set[str] = set()
    for ledger in board.ledgers:
        sheet = Sheet(book, sheet_name(ledger.name, used), ITEM_HEADERS, formats)
        for row in ledger.rows:
            item = row.item
            sheet.write(
                [
                    row.unit,
                    item.region_code,
                    item.kind,
                    item.title,
                    item.owner,
                    item.due_on,
                    item.done,
                    row.overdue,
                    row.text,
                ]
            )
        sheet.finish()
    book.close()
    return board.total.listed
