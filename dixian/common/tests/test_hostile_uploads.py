"""Hostile uploads get a clear refusal within bounded memory (docs/security.md §2), through the bounded
reader, the registry import and the feed ingestion, and through the web pages of both.

Before the bounded reader, the sparse files aborted the process reading them (python-calamine asks Rust
for the rectangle spanning the cells: 512 GB), the bomb and the dense sheet took gigabytes, and a Big5 or
UTF-16 csv became rows of garbled text."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from dixian.common import uploads
from dixian.common.jobs import worker_run_once
from dixian.feeds import ingest
from dixian.feeds.models import FeedDelivery
from dixian.feeds.tests.helpers import MEDICAL_HEADERS, csv_bytes, medical_rows
from dixian.registry.imports import ImportFileError, read_sheet
from dixian.registry.models import ImportBatch

from .hostile_files import HOSTILE_XLSX

MEMORY_BOUND = 200 * 1024 * 1024
TODAY = dt.date(2026, 11, 15)

EXPECTED = {
    "sparse_xfd1048576": "声明了 1,048,576 行 × 16,384 列,超过上限 500,000 行 × 200 列",
    "sparse_no_dimension": "位于 1048576",
    "lying_dimension": "位于 1048576",
    "zip_bomb": "压缩比异常",
    "declared_huge": "解压后超过",
    "dense_100k_x_100": "声明了 100,000 行 × 100 列",
    "dense_no_dimension": "个以上的单元格,超过上限 8,000,000 个",
    "deeply_nested": "压缩比异常",
    "entity_expansion": "DOCTYPE/ENTITY",
    "not_a_workbook": "不是 Excel 工作簿",
    "zip_not_xlsx": "不是 Excel 工作簿",
    "empty": "空的",
    "cells_without_reference": "其中有一行超过 200 个单元格",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    return {name: build(folder / f"{name}.xlsx") for name, build in HOSTILE_XLSX.items()}


def _status(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise LookupError(field)


def peak_growth(fn: Callable[[], Any]) -> int:
    """Growth of the peak resident memory (Rust's allocations included) while fn runs: the kernel's
    high-water mark is reset first (/proc/self/clear_refs)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    before = _status("VmRSS")
    try:
        fn()
    finally:
        after = _status("VmHWM")
    return after - before


def refusal(fn: Callable[[], Any], *kinds: type[Exception]) -> tuple[str, int]:
    caught: list[str] = []

    def run() -> None:
        try:
            fn()
        except kinds as exc:
            caught.append(getattr(exc, "message", None) or "".join(getattr(exc, "problems", [])) or str(exc))

    growth = peak_growth(run)
    assert caught, "the file was read instead of refused"
    return caught[0], growth


@pytest.mark.parametrize("name", list(HOSTILE_XLSX))
def test_the_bounded_reader_refuses_each_hostile_workbook_in_bounded_memory(corpus, name):
    message, growth = refusal(lambda: uploads.open_workbook(corpus[name]), uploads.UploadRefused)
    assert EXPECTED[name] in message
    assert growth < MEMORY_BOUND


@pytest.mark.parametrize("name", list(HOSTILE_XLSX))
def test_the_registry_import_refuses_each_hostile_workbook(corpus, name):
    message, growth = refusal(lambda: read_sheet(corpus[name]), ImportFileError)
    assert EXPECTED[name] in message
    assert growth < MEMORY_BOUND


@pytest.mark.parametrize("name", list(HOSTILE_XLSX))
def test_the_feed_ingestion_refuses_each_hostile_workbook(corpus, name):
    def read() -> None:
        ingest.ingest_file("medical", corpus[name], file_name="医保.xlsx", today=TODAY)

    message, growth = refusal(read, ingest.FeedFileError)
    assert EXPECTED[name] in message or (name == "not_a_workbook" and "改了扩展名" in message)
    assert growth < MEMORY_BOUND


def test_the_refusal_names_the_limits_of_the_settings(corpus, settings):
    settings.DIXIAN_SHEET_MAX_ROWS = 1000
    settings.DIXIAN_SHEET_MAX_COLUMNS = 20
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.check_xlsx(corpus["sparse_xfd1048576"])
    assert "超过上限 1,000 行 × 20 列" in refused.value.message
    assert "请只保留数据区域" in refused.value.message


# ---- references beyond the limits: the scan agrees with arithmetic ----------------------------------------


@given(
    row=st.integers(1, 1_048_576),
    col=st.integers(1, 16_384),
    max_rows=st.integers(1, 1_048_576),
    max_cols=st.integers(1, 16_384),
    quote=st.sampled_from(['"', "'"]),
    zeros=st.integers(0, 2),
)
def test_a_reference_is_flagged_exactly_when_it_lies_beyond_the_limits(
    row, col, max_rows, max_cols, quote, zeros
):
    pattern = uploads.beyond_pattern(max_rows, max_cols)
    ref = f"{uploads.column_letters(col)}{'0' * zeros}{row}"
    cell = f'<c r={quote}{ref}{quote} t="s"><v>1</v></c>'.encode()
    row_element = f"<row r={quote}{'0' * zeros}{row}{quote}>".encode()
    assert (pattern.search(cell) is not None) == (row > max_rows or col > max_cols)
    assert (pattern.search(row_element) is not None) == (row > max_rows)


@given(st.integers(1, 16_384))
def test_column_letters_round_trip(n):
    assert uploads.column_number(uploads.column_letters(n)) == n


# ---- the quick scan agrees with parsing every reference ----------------------------------------------------

REFERENCE = re.compile(rb"""\sr\s*=\s*(["'])([^"'<>]*)\1""")


def reference_beyond(xml: bytes, max_rows: int, max_cols: int) -> bool:
    """The straightforward check: parse every r attribute and compare its column and row with the limits."""
    for match in REFERENCE.finditer(xml):
        parsed = re.fullmatch(rb"([A-Z]*)([0-9]+)", match.group(2))
        if parsed is None:
            continue
        col = uploads.column_number(parsed.group(1).decode()) if parsed.group(1) else 0
        if col > max_cols or int(parsed.group(2)) > max_rows:
            return True
    return False


near = st.one_of(st.integers(1, 40), st.integers(150, 260), st.integers(690, 720), st.integers(1, 16_500))
near_row = st.one_of(
    st.integers(1, 120), st.integers(99_990, 100_010), st.integers(1, 1_100_000), st.integers(1, 10**8)
)


@st.composite
def sheet_xml(draw: st.DrawFn) -> bytes:
    blank = st.sampled_from([" ", " ", " ", "  ", "\t", "\n", "\r\n"])
    around = st.sampled_from(["", "", "", " ", "\n"])
    quote = st.sampled_from(['"', '"', "'"])

    def attr(ref: str) -> str:
        q = draw(quote)
        return f"{draw(blank)}r{draw(around)}={draw(around)}{q}{ref}{q}"

    parts = ["<sheetData>"]
    for _ in range(draw(st.integers(0, 4))):
        row = draw(near_row)
        zeros = "0" * draw(st.integers(0, 2))
        prefix = draw(st.sampled_from(["", "", "x:"]))
        parts.append(f'<{prefix}row{attr(zeros + str(row))} spans="1:3">')
        for _ in range(draw(st.integers(0, 3))):
            ref = f"{uploads.column_letters(draw(near))}{zeros}{draw(near_row)}"
            kind = draw(st.sampled_from(["first", "first", "second", "none", "text"]))
            if kind == "first":
                parts.append(f'<{prefix}c{attr(ref)} t="n"><v>{draw(near_row)}</v></{prefix}c>')
            elif kind == "second":
                parts.append(f'<{prefix}c s="1"{attr(ref)}/>')
            elif kind == "none":
                parts.append(f"<{prefix}c><v>1</v></{prefix}c>")
            else:  # text that looks like a reference: both checks treat it as one (a refusal, never a miss)
                parts.append(f'<{prefix}c r="A1" t="inlineStr"><is><t>{attr(ref)} ZZ9</t></is></{prefix}c>')
        parts.append(f"</{prefix}row>")
    parts.append("</sheetData></worksheet>")
    return "".join(parts).encode()


@given(
    xml=sheet_xml(),
    max_rows=st.one_of(st.integers(4, 120), st.integers(99_990, 100_010), st.integers(4, 1_048_576)),
    max_cols=st.one_of(
        st.integers(3, 40), st.integers(150, 260), st.integers(690, 720), st.integers(3, 16_384)
    ),
    data=st.data(),
)
def test_the_quick_sheet_scan_refuses_exactly_what_parsing_every_reference_refuses(
    xml, max_rows, max_cols, data
):
    """SheetScan (quick pattern first, exact pattern on the pieces it flags) against the reference, with the
    XML cut anywhere (references split across reads); the counts stay below their limits here (≤ 4 rows of
    ≤ 3 cells), so a refusal can only come from a reference."""
    limits = uploads.UploadLimits(max_rows=max_rows, max_columns=max_cols)
    cuts = data.draw(st.lists(st.integers(0, len(xml)), max_size=24))
    bounds = sorted({*cuts, 0, len(xml)})
    chunks = [xml[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    scan = uploads.SheetScan("sheet1.xml", limits)
    try:
        for piece in uploads.sheet_pieces(chunks, "sheet1.xml"):
            scan.feed(piece)
    except uploads.UploadRefused as refused:
        assert reference_beyond(xml, max_rows, max_cols), refused.message
        assert "位于" in refused.message
    else:
        assert not reference_beyond(xml, max_rows, max_cols)


@given(
    row=st.integers(1, 10**8),
    col=st.integers(1, 16_384),
    max_rows=st.integers(1, 1_048_576),
    max_cols=st.integers(1, 16_384),
    quote=st.sampled_from(['"', "'"]),
    zeros=st.integers(0, 2),
)
def test_the_quick_pattern_flags_every_reference_the_exact_one_flags(
    row, col, max_rows, max_cols, quote, zeros
):
    exact, quick = uploads.beyond_pattern(max_rows, max_cols), uploads.quick_pattern(max_rows, max_cols)
    ref = f"{uploads.column_letters(col)}{'0' * zeros}{row}"
    for element in (f'<c r={quote}{ref}{quote} t="s">', f"<row r={quote}{'0' * zeros}{row}{quote}>"):
        if exact.search(element.encode()):
            assert quick.search(element.encode())


def test_the_sheet_is_cut_after_a_tag_and_a_long_run_without_one_is_refused():
    pieces = list(uploads.sheet_pieces([b'<row r="1"><c r="A1"', b'/><c r="B', b'1"/></row>'], "s"))
    assert pieces == [b'<row r="1">', b'<c r="A1"/>', b'<c r="B1"/></row>']
    with pytest.raises(uploads.UploadRefused, match="不含任何 XML 标记"):
        list(uploads.sheet_pieces([b"<t>", b"x" * (uploads.MAX_CARRY + 1)], "s"))


# ---- csv encodings ---------------------------------------------------------------------------------------


def _csv_text(rows: list[list[Any]]) -> str:
    return csv_bytes(rows).decode("utf-8").lstrip("\ufeff")


def test_utf16_with_a_bom_and_gb18030_are_read_like_utf8():
    rows = medical_rows(3)
    expected = ingest.ingest_file("medical", csv_bytes(rows), file_name="a.csv", today=TODAY)
    assert expected.ok and expected.row_count == 3
    text = _csv_text(rows)
    for content in (text.encode("utf-16"), b"\xfe\xff" + text.encode("utf-16-be"), text.encode("gb18030")):
        result = ingest.ingest_file("medical", content, file_name="a.csv", today=TODAY)
        assert result.ok and result.table is not None
        assert result.table.equals(expected.table)


def test_big5_and_utf16_without_a_bom_are_refused_with_what_to_do():
    traditional = _csv_text(medical_rows(3)).replace("证件号码", "證件號碼").replace("结算单号", "結算單號")
    traditional = traditional.replace("医疗总费用", "醫療總費用")
    cases = {
        "繁体中文 Big5": traditional.encode("big5", errors="replace"),
        "不带 BOM 的 UTF-16": _csv_text(medical_rows(3)).encode("utf-16-le"),
    }
    for fragment, content in cases.items():

        def read(c: bytes = content) -> None:
            ingest.ingest_file("medical", c, file_name="a.csv", today=TODAY)

        message, growth = refusal(read, ingest.FeedFileError)
        assert fragment in message and "另存为“CSV UTF-8”" in message
        assert growth < MEMORY_BOUND


def test_a_csv_beyond_the_line_and_column_limits_is_refused(settings):
    settings.DIXIAN_CSV_MAX_ROWS = 10
    with pytest.raises(ingest.FeedFileError) as refused:
        ingest.read_delivery("medical", csv_bytes(medical_rows(20)), "a.csv")
    assert "超过了 10 行的上限" in refused.value.problems[0]
    settings.DIXIAN_CSV_MAX_ROWS = 1000
    wide = ",".join(MEDICAL_HEADERS + [f"列{i}" for i in range(300)]).encode()
    with pytest.raises(ingest.FeedFileError) as refused:
        ingest.read_delivery("medical", wide + b"\n", "a.csv")
    assert "超过了 200 列的上限" in refused.value.problems[0]


# ---- through the web pages ------------------------------------------------------------------------------

WEB_FILES = ["sparse_xfd1048576", "sparse_no_dimension", "zip_bomb", "dense_100k_x_100", "entity_expansion"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", WEB_FILES)
def test_the_registry_import_page_refuses_a_hostile_workbook_and_the_worker_goes_on(
    client, people, corpus, name
):
    client.force_login(people["county_admin"])
    upload = SimpleUploadedFile("农户.xlsx", corpus[name].read_bytes())
    response = client.post(reverse("registry:import"), {"file": upload})
    assert response.status_code == 302
    assert worker_run_once()
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and EXPECTED[name] in batch.message
    page = client.get(reverse("registry:import_batch", args=[batch.pk]))
    assert page.status_code == 200 and EXPECTED[name].split(",")[0] in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("name", WEB_FILES)
def test_the_feed_upload_page_refuses_a_hostile_workbook(client, people, corpus, name):
    client.force_login(people["department_uploader"])
    upload = SimpleUploadedFile("医保.xlsx", corpus[name].read_bytes())
    response = client.post(reverse("feeds:upload"), {"feed": "medical", "period": "2026-10", "file": upload})
    assert response.status_code == 200
    delivery = FeedDelivery.objects.get()
    assert delivery.status == "rejected" and "整份数据未接收" in delivery.message
    assert EXPECTED[name].split(",")[0] in response.content.decode()
    assert not list((Path(delivery_folder()) / "uploads").glob("*")), "the streamed upload is left behind"


def delivery_folder() -> Path:
    from dixian.feeds.services import deliveries_dir

    return deliveries_dir()


@pytest.mark.django_db
def test_a_big_feed_upload_is_streamed_to_disk_not_memory(client, people, settings, monkeypatch):
    from dixian.feeds import services

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    seen: list[dict[str, Any]] = []
    original = services.delivery_receive

    def spy(**kwargs: Any) -> Any:
        seen.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(services, "delivery_receive", spy)
    client.force_login(people["department_uploader"])
    content = csv_bytes(medical_rows(50))
    assert len(content) > 1024
    response = client.post(
        reverse("feeds:upload"),
        {"feed": "medical", "period": "2026-10", "file": SimpleUploadedFile("医保.csv", content)},
    )
    assert response.status_code == 200 and "已接收 50 条记录" in response.content.decode()
    assert seen and seen[0].get("content") is None and isinstance(seen[0]["path"], Path)
