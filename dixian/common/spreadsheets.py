"""Every workbook the platform writes: exports, error reports of refused uploads, and blank templates.

Formula injection: cells are written with `write_string`, which Excel never evaluates, and workbooks are
opened with strings_to_numbers/formulas/urls off. A text that begins with = + - @ or a tab, CR or LF
still gets a leading apostrophe (`excel_text`), because people copy cells into CSV files and other tools
that would evaluate it there; the apostrophe is visible in the cell, which we accept for names and
addresses that rarely begin with those characters. Numbers and dates are written as numbers and dates.

Reading workbooks (python-calamine) stays with the importers: each reads its own layout. This module
imports Django only inside `export_workbook`, so the synthetic generator, which runs without Django
(dixian/synthetic/__init__.py), writes its workbook with `workbook` too.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
REPORT_COLUMNS = ("错误行号", "错误列", "错误原因")
HEADER_GREY = "#F0F2F4"
ERROR_PINK = "#FDE2E1"


def excel_text(value: str) -> str:
    """A text cell that no spreadsheet or CSV reader will take for a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def workbook(target: Any, *, streaming: bool = False, tmpdir: Path | None = None) -> xlsxwriter.Workbook:
    """A workbook that never turns cell text into numbers, formulas or links.

    `streaming`: constant_memory, rows flushed to a temporary file as soon as the next row starts (write
    strictly row after row); otherwise the whole book is built in memory (small templates).
    """
    options: dict[str, Any] = {
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    }
    if streaming:
        options["constant_memory"] = True
        if tmpdir is not None:
            options["tmpdir"] = str(tmpdir)
    else:
        options["in_memory"] = True
    return xlsxwriter.Workbook(target, options)


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


# ---- exports -------------------------------------------------------------------------------------------


def export_workbook(target: Any) -> tuple[xlsxwriter.Workbook, dict[str, Any]]:
    """A streaming export workbook (temporary rows in the jobs folder), with the formats every export uses."""
    from .jobs import job_dir

    book = workbook(target, streaming=True, tmpdir=job_dir())
    formats = {
        "header": book.add_format({"bold": True, "bg_color": HEADER_GREY, "border": 1}),
        "money": book.add_format({"num_format": "#,##0.00"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
    }
    return book, formats


class Sheet:
    """An export worksheet written strictly row after row (what constant_memory requires), typed cell by
    cell: text guarded by `excel_text`, booleans as 是/否, Decimal as money, dates as dates."""

    def __init__(
        self, book: Any, name: str, headers: Sequence[tuple[str, int]], formats: dict[str, Any]
    ) -> None:
        self.ws = book.add_worksheet(name)
        self.formats = formats
        for col, (title, width) in enumerate(headers):
            self.ws.set_column(col, col, width)
            self.ws.write_string(0, col, title, formats["header"])
        self.ws.freeze_panes(1, 0)
        self.width = len(headers)
        self.row = 1

    def write(self, values: Sequence[object]) -> None:
        ws, r = self.ws, self.row
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                ws.write_string(r, col, excel_text(value))
            elif isinstance(value, bool):
                ws.write_string(r, col, yes_no(value))
            elif isinstance(value, Decimal):
                ws.write_number(r, col, float(value), self.formats["money"])
            elif isinstance(value, int | float):
                ws.write_number(r, col, value)
            elif isinstance(value, dt.date):
                ws.write_datetime(r, col, value, self.formats["date"])
            else:
                ws.write_string(r, col, excel_text(str(value)))
        self.row += 1

    def finish(self) -> None:
        if self.row > 1:
            self.ws.autofilter(0, 0, self.row - 1, self.width - 1)


# ---- error reports -------------------------------------------------------------------------------------


class ErrorReport:
    """The rows of a refused upload as they were, plus 错误行号 / 错误列 / 错误原因, the cells in error
    shaded: the person who uploaded corrects this same table and uploads it again (registry imports and
    feed deliveries). Written streaming, row after row."""

    def __init__(self, out: Path | str) -> None:
        self.book = workbook(str(out), streaming=True)
        self.bold = self.book.add_format({"bold": True, "bg_color": HEADER_GREY})
        self.bad = self.book.add_format({"bg_color": ERROR_PINK})
        self.reason_format = self.book.add_format({"font_color": "#B42318", "text_wrap": True})
        self.date_format = self.book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime_format = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.text_format = self.book.add_format({"num_format": "@"})
        self.ws: Any = None
        self.width = 0

    def sheet(self, name: str, width: int, *, column_width: int | None = None) -> None:
        """Start the sheet of `width` uploaded columns; the report's three columns follow them."""
        self.ws = self.book.add_worksheet(name[:31])
        self.width = width
        if column_width is not None:
            self.ws.set_column(0, max(width - 1, 0), column_width)
        self.ws.set_column(width, width + 1, 12)
        self.ws.set_column(width + 2, width + 2, 60)

    def text_column(self, j: int, width: int) -> None:
        """A column kept as text (ID numbers), so that a spreadsheet does not turn it into 3.6E+17."""
        self.ws.set_column(j, j, width, self.text_format)

    def header(self, i: int, headers: Sequence[Any] = ()) -> None:
        """Row i is the header: the given headers (if any), then the report's own column titles."""
        for j, title in enumerate(headers):
            self.cell(i, j, title, header=True)
        for k, title in enumerate(REPORT_COLUMNS):
            self.ws.write_string(i, self.width + k, title, self.bold)

    def cell(self, i: int, j: int, value: Any, *, bad: bool = False, header: bool = False) -> None:
        """An uploaded cell as it was read: numbers, dates and booleans keep their type, text is guarded."""
        ws = self.ws
        fmt = self.bold if header else (self.bad if bad else None)
        if value is None or value == "":
            if fmt is not None:
                ws.write_blank(i, j, None, fmt)
        elif isinstance(value, bool):
            ws.write_boolean(i, j, value, fmt)
        elif isinstance(value, int | float):
            if isinstance(value, float) and not math.isfinite(value):
                ws.write_string(i, j, str(value), fmt)
            else:
                ws.write_number(i, j, value, fmt)
        elif isinstance(value, dt.datetime):
            ws.write_datetime(i, j, value, fmt or self.datetime_format)
        elif isinstance(value, dt.date):
            ws.write_datetime(i, j, dt.datetime.combine(value, dt.time()), fmt or self.date_format)
        else:
            ws.write_string(i, j, excel_text(str(value)), fmt)

    def errors(self, i: int, row_number: int, columns: Iterable[str], reasons: Sequence[str]) -> None:
        """The report's columns on row i: the row's number, the columns in error (整行: the whole row), why."""
        self.ws.write_number(i, self.width, row_number)
        self.ws.write_string(i, self.width + 1, "、".join(dict.fromkeys(c or "整行" for c in columns)))
        self.reason(i, ";\n".join(reasons))

    def reason(self, i: int, text: str) -> None:
        """A reason alone in the 错误原因 column (problems of the whole file, below its rows)."""
        self.ws.write_string(i, self.width + 2, excel_text(text), self.reason_format)

    def freeze(self, rows: int) -> None:
        self.ws.freeze_panes(rows, 0)

    def problems(self, items: Sequence[tuple[str, str, bool]]) -> None:
        """A file refused as a whole (no rows to repeat): one sheet of (项目, 说明, is an error) lines."""
        ws = self.book.add_worksheet("错误原因")
        ws.set_column(0, 0, 12)
        ws.set_column(1, 1, 100)
        ws.write_string(0, 0, "项目", self.bold)
        ws.write_string(0, 1, "说明", self.bold)
        for i, (label, text, is_error) in enumerate(items, start=1):
            ws.write_string(i, 0, label)
            ws.write_string(i, 1, excel_text(text), self.reason_format if is_error else None)

    def close(self) -> None:
        self.book.close()


# ---- blank templates -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateColumn:
    header: str
    width: int
    required: bool = False
    note: str = ""  # the header's comment
    kind: str | None = "text"  # cell format of the column: "text", "date", "money", or None (numbers)
    choices: tuple[str, ...] = ()  # offered as a drop-down list


class TemplateBook:
    """A downloadable template: input sheets whose headers carry their notes (required ones in red, text
    columns formatted as text so ID numbers survive), and sheets of explanations."""

    def __init__(self, out: Any) -> None:
        self.book = workbook(out)
        cell = {"bold": True, "border": 1, "text_wrap": True, "valign": "vcenter"}
        self.head = self.book.add_format({**cell, "bg_color": HEADER_GREY})
        self.required = self.book.add_format({**cell, "bg_color": ERROR_PINK})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.kinds = {
            "text": self.book.add_format({"num_format": "@"}),
            "date": self.book.add_format({"num_format": "yyyy-mm-dd"}),
            "money": self.book.add_format({"num_format": "0.00"}),
        }

    def input_sheet(
        self,
        name: str,
        columns: Sequence[TemplateColumn],
        rows: Sequence[Sequence[object]] = (),
        *,
        comment_scale: tuple[float, float] = (2, 1.5),
    ) -> None:
        ws = self.book.add_worksheet(name[:31])
        ws.set_row(0, 32)
        ws.freeze_panes(1, 0)
        for j, col in enumerate(columns):
            ws.set_column(j, j, col.width, self.kinds.get(col.kind or ""))
            ws.write_string(0, j, col.header, self.required if col.required else self.head)
            if col.note:
                ws.write_comment(0, j, col.note, {"x_scale": comment_scale[0], "y_scale": comment_scale[1]})
            if col.choices:
                ws.data_validation(
                    1,
                    j,
                    100_000,
                    j,
                    {
                        "validate": "list",
                        "source": list(col.choices),
                        "error_title": col.header,
                        "error_message": f"可填:{'、'.join(col.choices)}",
                    },
                )
        for i, row in enumerate(rows, start=1):
            for j, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, int | float) and not isinstance(value, bool):
                    ws.write_number(i, j, value)
                else:
                    ws.write_string(i, j, excel_text(str(value)))

    def notes_sheet(
        self,
        name: str,
        headers: Sequence[tuple[str, int]],
        rows: Sequence[Sequence[str]],
        *,
        then: Sequence[Sequence[str]] = (),
        wrap_from: int = 0,
    ) -> None:
        """A table of explanations, and after one blank row `then` (more lines). Columns from `wrap_from`
        on wrap their text."""
        ws = self.book.add_worksheet(name[:31])
        for j, (title, width) in enumerate(headers):
            ws.set_column(j, j, width, self.wrap if j >= wrap_from else None)
            ws.write_string(0, j, title, self.head)
        ws.freeze_panes(1, 0)
        for i, row in enumerate([*rows, [], *then], start=1):
            for j, value in enumerate(row):
                ws.write_string(i, j, value, self.wrap if j >= wrap_from else None)

    def close(self) -> None:
        self.book.close()
