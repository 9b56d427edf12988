"""No text the platform writes into a workbook can run as a formula where the cell is pasted
(dixian/common/spreadsheets.py): exports, error reports and templates share one guard."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from dixian.common.spreadsheets import FORMULA_PREFIXES, ErrorReport, Sheet, excel_text, export_workbook

# Text as people type it, often starting with what a spreadsheet would run.
texts = st.one_of(
    st.text(max_size=30),
    st.tuples(st.sampled_from(FORMULA_PREFIXES), st.text(max_size=20)).map("".join),
)


@given(texts)
def test_excel_text_never_starts_like_a_formula(text: str) -> None:
    shown = excel_text(text)
    assert not shown.startswith(FORMULA_PREFIXES)
    assert shown in (text, "'" + text)


def test_every_formula_start_is_guarded() -> None:
    # = + - @ and the characters that hide them (tab, CR, LF), as spreadsheet injection uses them.
    for start in ("=", "+", "-", "@", "\t", "\r", "\n"):
        assert excel_text(start + "1+1") == "'" + start + "1+1"
    assert excel_text("张三") == "张三"


def cells(data: bytes, sheet: str) -> list[list[object]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(sheet).to_python()


@settings(max_examples=25, deadline=None)
@given(st.lists(texts.filter(lambda t: t.strip() != ""), min_size=1, max_size=5))
def test_an_export_sheet_writes_text_guarded_and_whole(values: list[str]) -> None:
    buffer = io.BytesIO()
    book, formats = export_workbook(buffer)
    sheet = Sheet(book, "导出", [(f"列{i}", 10) for i in range(len(values))], formats)
    sheet.write(values)
    sheet.finish()
    book.close()
    (_, row) = cells(buffer.getvalue(), "导出")
    assert row == [excel_text(v) for v in values]


def test_an_error_report_guards_the_uploaded_cells_and_the_reasons(tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    report = ErrorReport(out)
    report.sheet("农户信息", 2)
    report.header(0, ["姓名", "金额"])
    report.cell(1, 0, '=HYPERLINK("http://evil.example","x")', bad=True)
    report.cell(1, 1, 12.5)
    report.errors(1, 2, ["姓名"], ["@SUM(1)不是姓名"])
    report.close()
    header, row = cells(out.read_bytes(), "农户信息")
    assert header == ["姓名", "金额", "错误行号", "错误列", "错误原因"]
    assert row == ['\'=HYPERLINK("http://evil.example","x")', 12.5, 2, "姓名", "'@SUM(1)不是姓名"]
