"""A sheet read ahead in parts (common/read_ahead.py) gives exactly the rows of the sheet read whole, and
a file refused by the check is refused the same way (docs/security.md §2)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dixian.common import read_ahead, uploads

relaxed = settings(
    deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

cell = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "是", "否", "一般农户", "</row>", '<c r="A1">', "a&b"]),
    st.text(max_size=6),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2100, 12, 31)),
)
grid = st.lists(st.lists(cell, max_size=7), min_size=0, max_size=40)


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    # Small reads and parts, so that a sheet of a few rows is cut into many parts.
    monkeypatch.setattr(uploads, "HEAD", 1024)
    monkeypatch.setattr(uploads, "CHUNK", 97)
    monkeypatch.setattr(read_ahead, "MIN_SHEET_BYTES", 0)
    monkeypatch.setattr(read_ahead, "PART_BYTES", 60)


def write_book(path: Path, sheets: dict[str, list[list[Any]]], *, inline: bool, offset: int = 0) -> None:
    book = xlsxwriter.Workbook(path, {"constant_memory": inline})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dt.date):
                    sheet.write_datetime(r + offset, c + offset, value, date_format)
                elif isinstance(value, str):
                    sheet.write_string(r + offset, c + offset, value)
                else:
                    sheet.write(r + offset, c + offset, value)
    book.close()


def read_both(path: Path, index: int, wanted: Any = lambda name: True) -> tuple[Any, list[list[Any]]]:
    book = uploads.open_workbook(path, read_ahead=wanted)
    whole = uploads.sheet_rows(uploads.open_workbook(path), index)
    return book, whole


parts: list[int] = []


@relaxed
@given(rows=grid, inline=st.booleans(), offset=st.integers(0, 3))
def test_parts_give_the_rows_of_the_whole_sheet(
    small_parts: None, tmp_path: Path, rows: list[list[Any]], inline: bool, offset: int
) -> None:
    path = tmp_path / "book.xlsx"
    write_book(path, {"填写说明": [["说明"]], "农户信息": rows}, inline=inline, offset=offset)
    book, whole = read_both(path, 1, lambda name: name != "填写说明")
    assert isinstance(book, uploads.ReadAheadBook)
    assert book.ahead.name == "农户信息"
    # An empty sheet (<sheetData/>) is read whole; any other is read ahead.
    assert book.ahead.dead == (not any(v is not None for row in rows for v in row))
    parts.append(len(book.ahead.futures))
    assert uploads.sheet_rows(book, 1) == whole


def test_the_examples_were_cut_into_parts() -> None:
    # Run after the property test (file order): many of its sheets were cut into several parts.
    assert sum(1 for n in parts if n > 2) >= 5


def test_a_long_sheet_is_read_in_many_parts(small_parts: None, tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        [f"户{i}", i, "是" if i % 2 else "", dt.date(2020, 1, 1 + i % 28)] for i in range(300)
    ]
    rows[120] = []  # a blank row inside
    rows[200] = [None, None, None, None, "far"]  # a wider row
    path = tmp_path / "book.xlsx"
    write_book(path, {"农户信息": rows}, inline=False)
    book, whole = read_both(path, 0)
    assert len(book.ahead.futures) > 20
    assert uploads.sheet_rows(book, 0) == whole
    assert len(whole) == 300


def replace_sheet(path: Path, out: Path, edit: Any) -> None:
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(data)
            dst.writestr(info.filename, data)


def refusal(path: Path, **kwargs: Any) -> str:
    with pytest.raises(uploads.UploadRefused) as caught:
        uploads.open_workbook(path, **kwargs)
    return caught.value.message


def test_a_reference_beyond_the_limits_late_in_the_sheet_is_refused_the_same_way(
    small_parts: None, tmp_path: Path
) -> None:
    path, bad = tmp_path / "book.xlsx", tmp_path / "bad.xlsx"
    write_book(path, {"农户信息": [[f"户{i}", i] for i in range(200)]}, inline=True)
    replace_sheet(path, bad, lambda xml: xml.replace(b'r="B190"', b'r="XFD1048576"'))
    message = refusal(bad)
    assert "XFD1" in message
    assert refusal(bad, read_ahead=lambda name: True) == message


def test_positional_cells_or_a_missing_dimension_read_the_sheet_whole(
    small_parts: None, tmp_path: Path
) -> None:
    path = tmp_path / "book.xlsx"
    write_book(path, {"农户信息": [[f"户{i}", i] for i in range(100)]}, inline=True)
    for label, edit in [
        ("positional", lambda xml: xml.replace(b'<c r="A50" ', b"<c ")),
        ("no dimension", lambda xml: xml.replace(b'<dimension ref="A1:B100"/>', b"")),
        ("comment", lambda xml: xml.replace(b'<row r="60"', b'<!-- x --><row r="60"')),
        ("cdata", lambda xml: xml.replace(b"<t>\xe6\x88\xb750</t>", b"<t><![CDATA[\xe6\x88\xb750]]></t>")),
    ]:
        edited = tmp_path / f"{label}.xlsx"
        replace_sheet(path, edited, edit)
        book, whole = read_both(edited, 0)
        assert book.ahead.dead, label
        assert uploads.sheet_rows(book, 0) == whole, label


def test_more_rows_than_declared_stop_the_read_ahead(small_parts: None, tmp_path: Path) -> None:
    path, lying = tmp_path / "book.xlsx", tmp_path / "lying.xlsx"
    write_book(path, {"农户信息": [[f"户{i}", i] for i in range(3000)]}, inline=True)
    replace_sheet(
        path, lying, lambda xml: xml.replace(b'<dimension ref="A1:B3000"/>', b'<dimension ref="A1:B3"/>')
    )
    book, whole = read_both(lying, 0)
    assert book.ahead.dead
    assert uploads.sheet_rows(book, 0) == whole


def test_stitch_places_parts_and_refuses_overlaps() -> None:
    first = ((0, 0), (1, 1), [["a", "b"], ["c", ""]])
    later = ((3, 2), (3, 3), [["x", "y"]])
    assert read_ahead.stitch([first, (None, None, []), later]) == [
        ["a", "b", "", ""],
        ["c", "", "", ""],
        ["", "", "", ""],
        ["", "", "x", "y"],
    ]
    assert read_ahead.stitch([first, ((1, 0), (1, 0), [["z"]])]) is None
    assert read_ahead.stitch([]) == []


def test_a_part_calamine_cannot_read_falls_back_to_the_whole_sheet(
    small_parts: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "book.xlsx"
    write_book(path, {"农户信息": [[f"户{i}", i] for i in range(100)]}, inline=True)
    monkeypatch.setattr(read_ahead, "_parse_part", lambda data, name: None)
    book, whole = read_both(path, 0)
    assert uploads.sheet_rows(book, 0) == whole


def test_large_common_parts_read_the_sheet_whole(
    small_parts: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Shared strings go into every part's zip: above the budget the sheet is read whole (review finding).
    path = tmp_path / "book.xlsx"
    write_book(path, {"农户信息": [[f"户{i}", i] for i in range(300)]}, inline=False)
    monkeypatch.setattr(read_ahead, "MAX_COMMON_BYTES", 1000)
    book, whole = read_both(path, 0)
    assert book.ahead.dead
    assert not book.ahead.futures and not book.ahead.common
    assert uploads.sheet_rows(book, 0) == whole


def test_parts_in_flight_are_bounded(
    small_parts: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The check waits for calamine instead of queueing parts (each a copy of the common parts) without end.
    import threading

    real = read_ahead._parse_part
    running = 0
    most = 0
    lock = threading.Lock()

    def counted(data: Any, name: str) -> Any:
        nonlocal running, most
        with lock:
            running += 1
        try:
            with lock:
                # Parts submitted but not finished, seen from inside a parse.
                most = max(most, running)
            threading.Event().wait(0.002)
            return real(data, name)
        finally:
            with lock:
                running -= 1

    submitted: list[int] = []
    original_submit = read_ahead.ReadAhead._submit

    def submit(self: Any, rows: Any, tail: bytes) -> None:
        original_submit(self, rows, tail)
        submitted.append(sum(1 for f in self.futures if not f.done()))

    monkeypatch.setattr(read_ahead, "_parse_part", counted)
    monkeypatch.setattr(read_ahead.ReadAhead, "_submit", submit)
    path = tmp_path / "book.xlsx"
    write_book(path, {"农户信息": [[f"户{i}", i] for i in range(300)]}, inline=True)
    book, whole = read_both(path, 0)
    assert len(submitted) > 20
    assert max(submitted) <= read_ahead.WORKERS + 1
    assert most <= read_ahead.WORKERS
    assert uploads.sheet_rows(book, 0) == whole
