"""The county registry workbook (农户信息导入模板) filled with a synthetic population.

One row per person under the canonical headers of dixian/registry/template.py, with the Chinese
labels of the code lists as cell values. Household columns repeat on every member's row; the income
block (one year) sits on the head's row, which is the row the importer reads for the household.

Two writers produce the same cells:

* `cells`: XlsxWriter's own cell API in constant_memory mode. Its per-cell Python work costs about
  4 µs, which is fine for a village but half a minute for a 200,000-person county.
* `streamed` (large sheets): XlsxWriter writes the workbook — styles, column formats, header row,
  frozen pane, document properties — and the data rows, built column-wise with polars as
  SpreadsheetML, are streamed into its worksheet part. Cell styles are the column styles XlsxWriter
  declared, so each cell is formatted as the cell API would format it. A test compares both writers.

The creation time is fixed and the zip members carry XlsxWriter's fixed timestamp, so the same seed
gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import polars as pl
from xlsxwriter.utility import xl_col_to_name

from dixian.common.spreadsheets import workbook as safe_workbook
from dixian.registry.import_places import NAME_FIELDS
from dixian.registry.template import COLUMNS as TEMPLATE_COLUMNS

# The generator codes every household's place; the name columns (for books of the national layout) stay out.
COLUMNS = tuple(c for c in TEMPLATE_COLUMNS if c.field not in NAME_FIELDS)
FIXED_CREATED = dt.datetime(2026, 1, 1, 0, 0, 0)  # noqa: DTZ001 - a document property, not an instant
SHEET_NAME = "农户信息"
SHEET_PART = "xl/worksheets/sheet1.xml"
TEXT_FIELDS = {
    "household_no",
    "region_code",
    "id_number",
    "phone",
}  # digit strings Excel must not turn into numbers
NUMBER_FIELDS = {
    "year_out_of_poverty",
    "months_worked",
    "year",
    "wages",
    "business",
    "property",
    "transfers",
    "production_costs",
    "eligible_out_of_pocket",
    "insurance_payout",
}
BOOL_FIELDS = {"water_ok", "dibao", "tekun"}
INCOME_FIELDS = {c.field for c in COLUMNS if c.level == "income"}
STREAM_ABOVE_ROWS = 20_000
STREAM_CHUNK_ROWS = 20_000

Labels = Mapping[str, Mapping[object, str]]
Say = Callable[[str], None]


def sheet_cells(
    households: pl.DataFrame, persons: pl.DataFrame, incomes: pl.DataFrame, *, year: int, labels: Labels
) -> pl.DataFrame:
    """The workbook's cells, column by column: labels for codes, 是/否 for flags, numbers as Float64."""
    year_incomes = incomes.filter(pl.col("year") == year).with_columns(pl.lit("head").alias("relation"))
    rows = persons.join(
        households.drop("phone", "member_count", "head_name"),
        on="household_no",
        how="left",
        maintain_order="left",
    ).join(year_incomes, on=["household_no", "relation"], how="left", maintain_order="left")
    exprs: list[pl.Expr] = []
    for column in COLUMNS:
        f = column.field
        col = pl.col(f)
        if f not in rows.columns:
            # A template column the generator does not fill (识别时间: the generated cases carry it).
            exprs.append(pl.lit("").alias(column.header))
            continue
        if f in BOOL_FIELDS:
            expr = pl.when(col).then(pl.lit("是")).when(~col).then(pl.lit("否")).otherwise(pl.lit(""))
        elif f == "birth_date":
            expr = col.dt.strftime("%Y-%m-%d").fill_null("")
        elif f in NUMBER_FIELDS:
            expr = col.cast(pl.Float64)
        elif f in labels:
            mapping = {str(k): v for k, v in labels[f].items() if k not in ("", None)}
            expr = col.cast(pl.String).replace_strict(mapping, default="")
        else:
            expr = col.cast(pl.String).fill_null("")
        exprs.append(expr.alias(column.header))
    return rows.select(exprs)


def _workbook(target: str) -> tuple[Any, Any, list[Callable[..., int]]]:
    """A workbook with properties, column formats and the header row; returns it, its sheet and a
    cell writer per column."""
    workbook = safe_workbook(target, streaming=True)
    workbook.set_properties(
        {
            "title": "农户信息导入表(合成演示数据)",
            "subject": "底线 演示数据",
            "author": "底线 合成数据生成器",
            "comments": "全部为随机生成的合成数据,不含任何真实个人信息。",
            "created": FIXED_CREATED,
        }
    )
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    text = workbook.add_format({"num_format": "@"})
    money = workbook.add_format({"num_format": "0.00"})
    ws = workbook.add_worksheet(SHEET_NAME)
    ws.freeze_panes(1, 0)
    writers: list[Callable[..., int]] = []
    for index, column in enumerate(COLUMNS):
        if column.field in TEXT_FIELDS:
            ws.set_column(index, index, 16 if column.field == "region_code" else 20, text)
        elif column.field in INCOME_FIELDS and column.field != "year":
            ws.set_column(index, index, 12, money)
        else:
            ws.set_column(index, index, 34 if column.field == "address" else 12)
        writers.append(ws.write_number if column.field in NUMBER_FIELDS else ws.write_string)
    for index, column in enumerate(COLUMNS):
        ws.write_string(0, index, column.header, header)
    return workbook, ws, writers


def _write_cells(path: Path, sheet: pl.DataFrame, say: Say) -> None:
    workbook, _, writers = _workbook(str(path))
    total = sheet.height
    for row_number, row in enumerate(sheet.iter_rows(), start=1):
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            writers[col](row_number, col, value)
        if row_number % 50_000 == 0:
            say(f"  工作簿 {row_number:,}/{total:,} 行")
    workbook.close()


def _xml_text(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )


def _number_text(expr: pl.Expr) -> pl.Expr:
    """A number as SpreadsheetML writes it: integers without a decimal point, else up to the fen."""
    fen = (expr * 100).round(0).cast(pl.Int64)
    whole = (fen.abs() // 100).cast(pl.String)
    sign = pl.when(fen < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    frac = (
        pl.when(fen.abs() % 100 == 0)
        .then(pl.lit(""))
        .otherwise(pl.lit(".") + (fen.abs() % 100).cast(pl.String).str.zfill(2).str.strip_suffix("0"))
    )
    return pl.concat_str(sign, whole, frac)


def _row_xml(sheet: pl.DataFrame, first_row: int, styles: Mapping[int, str]) -> pl.Series:
    """One `<row>` element per sheet row, with inline strings and numbers (empty cells left out)."""
    row = pl.int_range(first_row, first_row + pl.len(), dtype=pl.Int64).cast(pl.String)
    cells: list[pl.Expr] = []
    for index, (name, column) in enumerate(zip(sheet.columns, COLUMNS, strict=True)):
        letter = xl_col_to_name(index)
        style = f' s="{styles[index]}"' if index in styles else ""
        col = pl.col(name)
        if column.field in NUMBER_FIELDS:
            cell = pl.concat_str(
                pl.lit(f'<c r="{letter}'), row, pl.lit(f'"{style}><v>'), _number_text(col), pl.lit("</v></c>")
            )
            cells.append(pl.when(col.is_not_null()).then(cell).otherwise(pl.lit("")))
        else:
            cell = pl.concat_str(
                pl.lit(f'<c r="{letter}'),
                row,
                pl.lit(f'"{style} t="inlineStr"><is><t>'),
                _xml_text(col),
                pl.lit("</t></is></c>"),
            )
            cells.append(pl.when(col != "").then(cell).otherwise(pl.lit("")))
    return sheet.select(
        pl.concat_str(pl.lit('<row r="'), row, pl.lit('">'), *cells, pl.lit("</row>")).alias("xml")
    ).to_series()


def _write_streamed(path: Path, sheet: pl.DataFrame, say: Say) -> None:
    # XlsxWriter writes to a file (its in-memory mode would give up constant_memory's inline strings).
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        frame_path = Path(scratch) / "frame.xlsx"
        workbook, _, _ = _workbook(str(frame_path))
        workbook.close()
        _splice_rows(frame_path, path, sheet, say)


def _splice_rows(frame_path: Path, path: Path, sheet: pl.DataFrame, say: Say) -> None:
    """Copy the workbook at frame_path to path with the sheet's rows added after the header row."""
    source = zipfile.ZipFile(frame_path)
    part = source.read(SHEET_PART).decode("utf-8")
    # The header row is row 1; data rows go after it, before </sheetData>.
    cut = part.index("</sheetData>")
    head, tail = part[:cut], part[cut:]
    last = f"{xl_col_to_name(len(COLUMNS) - 1)}{sheet.height + 1}"
    head, found = re.subn(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>', head, count=1)
    if not found:
        raise RuntimeError("unexpected worksheet XML from XlsxWriter: no <dimension>")
    # The style of each column, as XlsxWriter declared it in <cols>; its cell API gives unformatted
    # cells the same style.
    styles = {
        col: m[3]
        for m in re.finditer(r'<col min="(\d+)" max="(\d+)"[^>]*? style="(\d+)"', head)
        for col in range(int(m[1]) - 1, int(m[2]))
    }

    with source, zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            member.create_system = info.create_system
            if info.filename != SHEET_PART:
                target.writestr(member, source.read(info.filename))
                continue
            with target.open(member, "w", force_zip64=True) as out:
                out.write(head.encode("utf-8"))
                for start in range(0, sheet.height, STREAM_CHUNK_ROWS):
                    chunk = sheet.slice(start, STREAM_CHUNK_ROWS)
                    out.write("".join(_row_xml(chunk, start + 2, styles).to_list()).encode("utf-8"))
                    done = min(start + STREAM_CHUNK_ROWS, sheet.height)
                    if done % 100_000 < STREAM_CHUNK_ROWS or done == sheet.height:
                        say(f"  工作簿 {done:,}/{sheet.height:,} 行")
                out.write(tail.encode("utf-8"))


def write_workbook(
    path: Path,
    *,
    households: pl.DataFrame,
    persons: pl.DataFrame,
    incomes: pl.DataFrame,
    year: int,
    labels: Labels,
    progress: Say | None = None,
    method: str = "auto",
) -> int:
    """Write the workbook (method "cells", "streamed" or "auto" by size); returns the person rows."""
    say = progress or (lambda _msg: None)
    sheet = sheet_cells(households, persons, incomes, year=year, labels=labels)
    if method == "auto":
        method = "streamed" if sheet.height > STREAM_ABOVE_ROWS else "cells"
    if method == "streamed":
        _write_streamed(path, sheet, say)
    elif method == "cells":
        _write_cells(path, sheet, say)
    else:
        raise ValueError(f"unknown workbook method {method!r}")
    return sheet.height
