"""Reading uploaded spreadsheets without letting them hurt the process (docs/security.md §2), and checking
uploaded photos and scanned PDFs by their content (`attachment_clean`, `image_clean`: visit photos, case
attachments).

Every reader of an uploaded workbook or csv file (the registry import, feed deliveries) goes through this
module. Before python-calamine allocates anything, `check_xlsx` looks inside the zip: the number of
entries, each entry's declared size, the total and the compression ratio, no DTD in any XML part, and for
every worksheet its declared <dimension>, the number of rows and cells, and every cell or row reference
(scanned in the decompressed stream, chunk by chunk, never held whole). Calamine builds a sheet as the
rectangle spanning its cells: two cells at A1 and XFD1048576 ask Rust for 512 GB and abort the process,
whatever <dimension> says, so the references themselves are what must be bounded. `decode_csv` takes
UTF-8 (with or without BOM), UTF-16 with a BOM or GB18030 and refuses the rest (Big5, UTF-16 without a
BOM, binary) instead of producing garbled rows.

This module never imports Django at import time: the feed ingestion that uses it runs without Django in
the benchmarks. `upload_limits()` reads the DIXIAN_* settings when Django is configured.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import read_ahead
from .read_ahead import ReadAhead

MB = 1024 * 1024
XLSX_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CHUNK = 1 * MB
HEAD = 64 * 1024
SAVE_AS = "请只保留数据区域,用 Excel 或 WPS 另存为新的 .xlsx 文件后再上传。"


class UploadRefused(Exception):
    """The file exceeds a limit or cannot be read safely; the message (Chinese) says which and what to do."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 200 * MB  # the uploaded file
    max_rows: int = 500_000  # rows of a worksheet (row numbers above it are refused)
    max_columns: int = 200  # columns of a worksheet or fields of a csv line
    max_cells: int = 8_000_000  # filled cells of a worksheet, and rows × columns it declares
    csv_max_rows: int = 2_000_000  # lines of a csv file
    xlsx_max_entries: int = 1_000  # files inside the xlsx zip
    xlsx_max_uncompressed: int = 1024 * MB  # declared uncompressed size, all entries together
    xlsx_max_ratio: int = 200  # uncompressed ÷ compressed size of one entry (larger than 1 MB)


def upload_limits() -> UploadLimits:
    """The limits of the settings (DIXIAN_UPLOAD_*, DIXIAN_SHEET_*, DIXIAN_XLSX_*), or the defaults
    outside Django."""
    try:
        from django.conf import settings

        if not settings.configured:
            return UploadLimits()
        d = UploadLimits()
        return UploadLimits(
            max_bytes=int(getattr(settings, "DIXIAN_MAX_UPLOAD_BYTES", d.max_bytes)),
            max_rows=int(getattr(settings, "DIXIAN_SHEET_MAX_ROWS", d.max_rows)),
            max_columns=int(getattr(settings, "DIXIAN_SHEET_MAX_COLUMNS", d.max_columns)),
            max_cells=int(getattr(settings, "DIXIAN_SHEET_MAX_CELLS", d.max_cells)),
            csv_max_rows=int(getattr(settings, "DIXIAN_CSV_MAX_ROWS", d.csv_max_rows)),
            xlsx_max_entries=int(getattr(settings, "DIXIAN_XLSX_MAX_ENTRIES", d.xlsx_max_entries)),
            xlsx_max_uncompressed=int(
                getattr(settings, "DIXIAN_XLSX_MAX_UNCOMPRESSED", d.xlsx_max_uncompressed)
            ),
            xlsx_max_ratio=int(getattr(settings, "DIXIAN_XLSX_MAX_RATIO", d.xlsx_max_ratio)),
        )
    except ImportError:
        return UploadLimits()


def _size(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= MB else f"{n:,} 字节"


# ---- references beyond the limits ------------------------------------------------------------------------


def column_letters(n: int) -> str:
    """1 → A, 26 → Z, 27 → AA, 16384 → XFD."""
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _greater_same_length(limit: str, alphabet: str) -> list[str]:
    """Regex alternatives matching the strings of limit's length that sort after it (same length: the
    order of the strings is the order of the numbers, for digits and for column letters alike)."""
    first, last = alphabet[0], alphabet[-1]
    alternatives = []
    for i, ch in enumerate(limit):
        higher = alphabet[alphabet.index(ch) + 1 :]
        if higher:
            rest = len(limit) - i - 1
            tail = f"[{first}-{last}]{{{rest}}}" if rest else ""
            alternatives.append(re.escape(limit[:i]) + f"[{higher[0]}-{higher[-1]}]" + tail)
    return alternatives


def beyond_pattern(max_rows: int, max_columns: int) -> re.Pattern[bytes]:
    """An `r="…"` attribute (of a cell or a row) naming a column beyond max_columns or a row beyond
    max_rows; single quotes and blanks around '=' are XML too."""
    letters = column_letters(max_columns)
    cols = [f"[A-Z]{{{len(letters) + 1},}}", *_greater_same_length(letters, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")]
    digits = str(max_rows)
    rows = [f"[1-9][0-9]{{{len(digits)},}}", *_greater_same_length(digits, "0123456789")]
    attr = r"""\sr\s*=\s*["']"""
    pattern = f"{attr}(?:(?:{'|'.join(cols)})0*[0-9]|[A-Z]*0*(?:{'|'.join(rows)})[\"'])"
    return re.compile(pattern.encode())


def quick_pattern(max_rows: int, max_columns: int) -> re.Pattern[bytes]:
    """' r' followed by anything but a plainly bounded `="<letters><digits>"`: a superset of what
    `beyond_pattern` finds when the only blank before r is ' ' (SheetScan checks the others), found at
    the speed of a literal search. Plainly bounded: fewer letters than the column limit, or as many with
    a smaller first letter; fewer digits than the row limit (no leading zero), or as many with a smaller
    first digit. A reference in bounds but not plainly (GR1 when the limit is GR) sends the piece to the
    exact pattern, which clears it."""
    letters, digits = column_letters(max_columns), str(max_rows)
    first_letter = f"[A-{chr(ord(letters[0]) - 1)}]?" if letters[0] > "A" else ""
    cols = first_letter + f"[A-Z]{{0,{len(letters) - 1}}}"
    shorter = f"[1-9][0-9]{{0,{len(digits) - 2}}}" if len(digits) > 1 else ""
    same = f"[1-{int(digits[0]) - 1}][0-9]{{{len(digits) - 1}}}" if digits[0] > "1" else ""
    rows = "|".join(p for p in (same, shorter) if p) or "(?!)"
    return re.compile(f' r(?!="{cols}(?:{rows})")'.encode())


DIMENSION = re.compile(
    rb"""<(?:\w+:)?dimension\s+ref\s*=\s*["']\$?([A-Z]*)\$?(\d*)(?::\$?([A-Z]*)\$?(\d*))?"""
)
DTD = (b"<!DOCTYPE", b"<!ENTITY", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PREFIXED = re.compile(rb"<\w+:(?:c|row)[\s/>]")
# A cell or row tag not opening with ` r="` (quick, led by the literal '<'), and one without any r attribute
# (exact, run only where the quick one hits): calamine puts such a cell in the column after the previous
# one, so `<c t="n">` repeated 16,384 times on row 1 and one cell at A500000 abort it (262 GB).
POSITIONAL_QUICK = re.compile(rb'<(?:c|row)(?=[\s/>])(?! r=")')
POSITIONAL = re.compile(rb"<(?:c|row)(?=[\s/>])(?![^>]*\sr\s*=)")
CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s/>]")
ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s/>]")
OTHER_BLANKS = (b"\t", b"\n", b"\r", b"\f", b"\v")  # the blanks of `\s` but ' '
MAX_CARRY = 4 * MB


# ---- xlsx ------------------------------------------------------------------------------------------------


def check_xlsx(
    path: Path | str,
    limits: UploadLimits | None = None,
    *,
    read_ahead: Callable[[str], bool] | None = None,
) -> ReadAhead | None:
    """Refuse (UploadRefused) an xlsx file that would make a reader allocate beyond the limits.

    With `read_ahead` (a test on sheet names), the first large worksheet it accepts is handed to calamine
    part by part as the check passes each part (read_ahead.py); the ReadAhead is returned (None when
    nothing was read ahead)."""
    limits = limits or upload_limits()
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise UploadRefused("文件是空的(0 字节),请重新选择文件。")
    if size > limits.max_bytes:
        raise UploadRefused(
            f"文件大小为 {_size(size)},超过了 {_size(limits.max_bytes)} 的上限,请分成几个文件上传。"
        )
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UploadRefused(
            "无法读取该文件:它不是 Excel 工作簿(.xlsx)或文件已损坏。请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。"
        ) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.xlsx_max_entries:
            raise UploadRefused(
                f"该工作簿压缩包内有 {len(infos):,} 个文件,超过了 {limits.xlsx_max_entries:,} 个的上限。{SAVE_AS}"
            )
        names = {i.filename for i in infos}
        if "xl/workbook.xml" not in names:
            raise UploadRefused(
                "该文件不是 Excel 工作簿(.xlsx)(可能是 .ods、.xlsb 或改了扩展名的压缩包)。"
                "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。"
            )
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > limits.xlsx_max_uncompressed or total > limits.xlsx_max_uncompressed:
                raise UploadRefused(
                    f"该工作簿解压后超过 {_size(limits.xlsx_max_uncompressed)} 的上限"
                    f"(其中「{info.filename}」为 {_size(info.file_size)})。{SAVE_AS}"
                )
            if info.file_size > MB and info.file_size > limits.xlsx_max_ratio * max(info.compress_size, 1):
                raise UploadRefused(
                    f"该工作簿中的「{info.filename}」压缩比异常(解压后 {_size(info.file_size)},"
                    f"压缩后仅 {_size(info.compress_size)}),可能是恶意构造的文件,已拒收。{SAVE_AS}"
                )
        ahead: ReadAhead | None = None
        try:
            if read_ahead is not None:
                ahead = _read_ahead(zf, read_ahead)
            for info in infos:
                lower = info.filename.lower()
                if lower.startswith("xl/worksheets/") and lower.endswith(".xml"):
                    _check_sheet(zf, info, limits, ahead if ahead and ahead.path == info.filename else None)
                elif lower.endswith((".xml", ".rels", ".vml")):
                    with zf.open(info) as fh:
                        _check_prolog(fh.read(HEAD), info.filename)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError):
            if ahead is not None:
                ahead.close()
            raise UploadRefused(
                "工作簿文件已损坏(压缩数据无法读出)。请用 Excel 或 WPS 打开后另存为新的 .xlsx 文件再上传。"
            ) from None
        except BaseException:
            if ahead is not None:
                ahead.close()  # the parts in flight end before the refusal is reported
            raise
        return ahead


def _read_ahead(zf: zipfile.ZipFile, wanted: Callable[[str], bool]) -> ReadAhead | None:
    """The ReadAhead of the first worksheet (workbook order) whose name `wanted` accepts, when it is large
    enough to gain from it and the workbook's own parts are plain (small, no DTD: the check refuses those
    itself, in its own order); else None."""
    try:
        book, rels = zf.getinfo("xl/workbook.xml"), zf.getinfo("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    if book.file_size > MB or rels.file_size > MB:
        return None
    for info in zf.infolist():
        lower = info.filename.lower()
        if lower.endswith((".xml", ".rels")) and not lower.startswith("xl/worksheets/"):
            with zf.open(info) as fh:
                if any(marker in fh.read(HEAD) for marker in DTD):
                    return None
    try:
        from xml.etree import ElementTree as ET  # noqa: N817 - the usual name; both parts are small and DTD-free

        targets = {
            r.get("Id"): r.get("Target", "")
            for r in ET.fromstring(zf.read(rels))  # noqa: S314 - at most 1 MB, no DTD (checked above)
            if r.tag.endswith("Relationship")
        }
        sheets = [
            (s.get("name", ""), targets.get(s.get(RELATIONSHIP_ID), ""))
            for s in ET.fromstring(zf.read(book)).iter()  # noqa: S314 - at most 1 MB, no DTD (checked above)
            if s.tag == f"{{{MAIN_NS}}}sheet"
        ]
    except (ET.ParseError, ValueError):
        return None
    for name, target in sheets:
        if not wanted(name):
            continue
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        try:
            info = zf.getinfo(path)
        except KeyError:
            return None
        if not path.startswith("xl/worksheets/") or info.file_size < read_ahead.MIN_SHEET_BYTES:
            return None
        return ReadAhead(zf, path, name)
    return None


def _check_prolog(head: bytes, name: str) -> None:
    # A DTD can only stand in the prolog, before the root element: the first bytes of a part settle it.
    if any(marker in head for marker in DTD):
        raise UploadRefused(
            f"工作簿中的「{name}」含有 DOCTYPE/ENTITY 声明,Excel 不会写出这样的文件,可能是恶意构造的,已拒收。"
            f"{SAVE_AS}"
        )


def _check_sheet(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: UploadLimits, ahead: ReadAhead | None = None
) -> None:
    sheet = info.filename.rsplit("/", 1)[-1]
    scan = SheetScan(sheet, limits)
    with zf.open(info) as fh:
        head = fh.read(HEAD)
        _check_prolog(head, info.filename)
        _check_dimension(head, sheet, limits)
        for piece in sheet_pieces(_chunks(fh, head), sheet):
            scan.feed(piece)
            if ahead is not None:  # only pieces that passed
                ahead.feed(
                    piece, rows=scan.rows, cells=scan.cells, plain=not (scan.positional or scan.prefixed)
                )
    if ahead is not None:
        ahead.finish()


def _chunks(fh: Any, head: bytes) -> Iterator[bytes]:
    yield head
    while chunk := fh.read(CHUNK):
        yield chunk


def sheet_pieces(chunks: Iterable[bytes], sheet: str) -> Iterator[bytes]:
    """The sheet XML cut right after a '>', so that no tag name, attribute or reference is split between
    two pieces: a reference (`r="XFD1048576"`, blanks and leading zeros included) and the tags counted
    contain no '>' before their end. What follows the last '>' is carried to the next piece; a run of
    more than MAX_CARRY bytes without any '>' (Excel keeps a cell's text under 32,767 characters) is
    refused rather than held."""
    carry = b""
    for chunk in chunks:
        data = carry + chunk if carry else chunk
        cut = data.rfind(b">") + 1
        if cut == 0:
            if len(data) > MAX_CARRY:
                raise UploadRefused(
                    f"文件中的工作表({sheet})有一段超过 {_size(MAX_CARRY)} 的内容不含任何 XML 标记,"
                    f"Excel 不会写出这样的文件,可能是恶意构造的,已拒收。{SAVE_AS}"
                )
            carry = data
            continue
        carry = data[cut:]
        yield data[:cut]
    if carry:
        yield carry


class SheetScan:
    """The bounds of one worksheet's XML, fed piece by piece (see `sheet_pieces`); refuses (UploadRefused)
    as soon as a piece shows a reference beyond the limits, too many rows or cells, or a row too wide.

    Speed (docs/benchmarks.md, issue 12): Python's `re` tries a pattern at every position its first
    character allows. The exact reference pattern (`beyond_pattern`), led by any blank, is tried at every
    blank of the sheet (tens of millions in a 200,000-row feed); so it runs only on a piece where the quick
    pattern (`quick_pattern`, tried only at the literal ' r', once per reference) finds something not
    plainly in bounds, or which holds a blank other than ' ' (the only one Excel writes between
    attributes). Positional and prefixed cells are looked for with patterns led by a literal too, and
    counted row by row only once they appear."""

    def __init__(self, sheet: str, limits: UploadLimits) -> None:
        self.limits = limits
        self.beyond = beyond_pattern(limits.max_rows, limits.max_columns)
        self.quick = quick_pattern(limits.max_rows, limits.max_columns)
        self.too_big = f"文件中的工作表({sheet})超过上限 {limits.max_rows:,} 行 × {limits.max_columns:,} 列"
        self.sheet = sheet
        self.cells = self.rows = 0
        self.positional = self.prefixed = False
        self.row_cells = self.widest = 0

    def feed(self, piece: bytes) -> None:
        limits = self.limits
        if any(blank in piece for blank in OTHER_BLANKS) or self.quick.search(piece) is not None:
            hit = self.beyond.search(piece)
            if hit is not None:
                ref = hit.group(0).split(b"=", 1)[1].strip(b" \t\r\n\f\v\"'").decode("ascii", "replace")
                raise UploadRefused(f"{self.too_big}:其中有单元格或行位于 {ref}。{SAVE_AS}")
        if not self.prefixed and b":" in piece and PREFIXED.search(piece):
            self.prefixed = True
        if self.prefixed:
            self.cells += len(CELL_TAG.findall(piece))
            self.rows += len(ROW_TAG.findall(piece))
        else:
            self.cells += piece.count(b"<c")  # also <col>, <cfRule>: a few too many, never too few
            self.rows += piece.count(b"<row")
        if not self.positional and POSITIONAL_QUICK.search(piece) and POSITIONAL.search(piece):
            self.positional = True
        if self.positional or self.prefixed:
            # Cells without a reference take the next column: count them row by row.
            for k, part in enumerate(ROW_TAG.split(piece)):
                if k:
                    self.widest, self.row_cells = max(self.widest, self.row_cells), 0
                self.row_cells += len(CELL_TAG.findall(part))
            if max(self.widest, self.row_cells) > limits.max_columns:
                raise UploadRefused(
                    f"{self.too_big}:其中有一行超过 {limits.max_columns:,} 个单元格。{SAVE_AS}"
                )
        if self.rows > limits.max_rows:
            raise UploadRefused(f"{self.too_big}:其中有 {self.rows:,} 行以上。{SAVE_AS}")
        if self.cells > limits.max_cells:
            raise UploadRefused(
                f"文件中的工作表({self.sheet})有 {self.cells:,} 个以上的单元格,超过上限 {limits.max_cells:,} 个。"
                "请分成几个文件上传,或只保留数据区域后另存为新文件再上传。"
            )


def _check_dimension(head: bytes, sheet: str, limits: UploadLimits) -> None:
    match = DIMENSION.search(head)
    if match is None:
        return
    c1, r1, c2, r2 = (g.decode() if g else "" for g in match.groups())
    rows = int(r2 or r1 or "1") - int(r1 or "1") + 1 if (r2 or r1) else 1
    first_col = column_number(c1) if c1 else 1
    cols = (column_number(c2) if c2 else first_col) - first_col + 1
    last_row = int(r2 or r1 or "1")
    last_col = column_number(c2 or c1 or "A")
    if last_row > limits.max_rows or last_col > limits.max_columns or rows * cols > limits.max_cells:
        raise UploadRefused(
            f"文件中的工作表({sheet})声明了 {last_row:,} 行 × {last_col:,} 列,"
            f"超过上限 {limits.max_rows:,} 行 × {limits.max_columns:,} 列(共 {limits.max_cells:,} 个单元格)。"
            f"{SAVE_AS}"
        )


def open_workbook(
    path: Path | str,
    limits: UploadLimits | None = None,
    *,
    read_ahead: Callable[[str], bool] | None = None,
) -> Any:
    """A python-calamine workbook of an uploaded .xlsx (checked first) or .xls file.

    `read_ahead` (a test on sheet names): the first large sheet it accepts is parsed in parts while the
    rest of the file is checked (read_ahead.py); `sheet_rows` then takes its rows from the parts."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        raise UploadRefused("文件是空的(0 字节),请重新选择文件。")
    ahead = None
    if head.startswith(XLSX_SIGNATURE):
        ahead = check_xlsx(path, limits, read_ahead=read_ahead)
    elif not head.startswith(OLE_SIGNATURE):
        raise UploadRefused(
            "无法读取该文件:它不是 Excel 工作簿。请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。"
        )
    # An .xls (BIFF) sheet has at most 65,536 × 256 cells by its format: bounded by the format itself.
    try:
        book = CalamineWorkbook.from_path(str(path))
    except BaseException:
        if ahead is not None:
            ahead.close()
        raise
    return book if ahead is None else ReadAheadBook(book, ahead)


class ReadAheadBook:
    """A calamine workbook and the parts of one sheet read ahead (`sheet_rows` takes them)."""

    def __init__(self, book: Any, ahead: ReadAhead) -> None:
        self.book = book
        self.ahead = ahead
        self.sheet_names: list[str] = list(book.sheet_names)

    def close(self) -> None:
        self.ahead.close()


def is_calamine_panic(exc: BaseException) -> bool:
    """A Rust panic inside python-calamine surfaces as pyo3's PanicException, a BaseException."""
    return type(exc).__name__ == "PanicException"


def sheet_rows(book: Any, index: int) -> list[list[Any]]:
    """Every row of a sheet from A1 (the checks above bound its size). A panic of the reader on a damaged
    sheet is turned into ValueError, which the importers treat as an unreadable sheet. A sheet read ahead
    (`open_workbook(read_ahead=…)`) comes from its parts; when they could not be read, from the file."""
    if isinstance(book, ReadAheadBook):
        if book.sheet_names[index] == book.ahead.name:
            rows_ahead = book.ahead.rows()
            if rows_ahead is not None:
                return rows_ahead
        book = book.book
    try:
        rows: list[list[Any]] = book.get_sheet_by_index(index).to_python(skip_empty_area=False)
    except BaseException as exc:
        if is_calamine_panic(exc):
            raise ValueError("unreadable sheet") from None
        raise
    return rows


# ---- csv -------------------------------------------------------------------------------------------------

ENCODING_HELP = "请用 Excel 或 WPS 打开后另存为“CSV UTF-8”格式或 .xlsx 工作簿再上传。"


def decode_csv(data: bytes, *, plausible: Callable[[str], bool] | None = None) -> str:
    """The text of a csv file: UTF-8 (BOM or not), UTF-16 with a BOM, or GB18030 (GBK); anything else is
    refused with a message, never decoded into garbled rows. `plausible(first_line)` tells whether a
    GB18030 reading found the headers it expects (GB18030 accepts nearly any bytes, Big5 included)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise UploadRefused(f"文件标明是 UTF-16 编码,但内容无法按 UTF-16 读出。{ENCODING_HELP}") from None
        return _no_nul(text)
    sample = data[:4096]
    if sample.count(b"\x00") > len(sample) // 10:
        raise UploadRefused(
            f"文件含有大量空字节:可能是不带 BOM 的 UTF-16 文本或根本不是文本文件。{ENCODING_HELP}"
        )
    try:
        return _no_nul(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise UploadRefused(
            f"无法识别文件的字符编码(不是 UTF-8,也不是 GBK/GB18030)。{ENCODING_HELP}"
        ) from None
    first_line = text[:4096].split("\n", 1)[0]
    if plausible is not None and not plausible(first_line):
        big5 = _decodes(data, "big5")
        what = "繁体中文 Big5" if big5 else "无法识别的"
        raise UploadRefused(f"文件的字符编码似乎是{what}编码,按 GBK 读出的表头是乱码。{ENCODING_HELP}")
    return _no_nul(text)


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise UploadRefused(f"文件含有空字节,不是纯文本的 CSV 文件。{ENCODING_HELP}")
    return text


def check_csv(data: bytes, limits: UploadLimits | None = None) -> None:
    """Size, line count and the header line's field count of a csv file (UTF-8 bytes)."""
    limits = limits or upload_limits()
    if len(data) > limits.max_bytes:
        raise UploadRefused(
            f"文件大小为 {_size(len(data))},超过了 {_size(limits.max_bytes)} 的上限,请分成几个文件上传。"
        )
    lines = data.count(b"\n")
    if lines > limits.csv_max_rows:
        raise UploadRefused(
            f"文件有 {lines:,} 行,超过了 {limits.csv_max_rows:,} 行的上限,请分成几个文件上传。"
        )
    first = data[: 1 * MB].split(b"\n", 1)[0]
    fields = max(first.count(sep) for sep in (b",", b"\t", b";")) + 1
    if fields > limits.max_columns:
        raise UploadRefused(
            f"文件的表头有 {fields:,} 列,超过了 {limits.max_columns:,} 列的上限。请只保留数据列后另存为新文件再上传。"
        )


# ---- attachments: a photo or a scanned PDF (docs/security.md §2) -----------------------------------------

ATTACHMENT_MAX_BYTES = 10 * MB
# A phone photo is about 12 megapixels; anything far above that is a decompression bomb, not a photo.
IMAGE_MAX_PIXELS = 50_000_000
# Stored images are re-encoded at most this many pixels on the long side: a signature and a stamp stay
# readable, the GPS position and camera serial of the EXIF data are gone.
IMAGE_LONG_SIDE = 2560
IMAGE_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
PDF_HEADER = re.compile(rb"^%PDF-[12]\.[0-9]")
# What a scanned form never needs and a hostile PDF uses: scripts, launching programs, embedded files.
PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    extension: str
    content_type: str


def image_clean(data: bytes, name: str, *, what: str = "照片文件") -> CleanFile:
    """A JPEG, PNG or WebP image checked by its content (not its name) and re-encoded upright without its
    metadata (GPS position, camera serial, embedded thumbnails, trailing data); anything else is refused
    with a Chinese message that asks for `what`. Visit photos and case attachments both come through here."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    not_an_image = UploadRefused(f"文件「{name}」不是 JPEG、PNG 或 WebP 格式的图片,请选择{what}。")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            if kind not in IMAGE_FORMATS:
                raise not_an_image
            width, height = probe.size
            if width * height > IMAGE_MAX_PIXELS:
                raise UploadRefused(f"图片「{name}」像素过大({width}×{height}),请用手机正常拍摄的照片。")
            probe.verify()
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
            image.thumbnail((IMAGE_LONG_SIDE, IMAGE_LONG_SIDE))
            out = io.BytesIO()
            if kind == "JPEG":
                image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
            elif kind == "PNG":
                keep = image.mode in ("1", "L", "LA", "P", "RGB", "RGBA")
                (image if keep else image.convert("RGBA")).save(out, "PNG", optimize=True)
            else:
                keep = image.mode in ("RGB", "RGBA")
                (image if keep else image.convert("RGBA")).save(out, "WEBP", quality=85)
    except UploadRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise not_an_image from None
    extension, content_type = IMAGE_FORMATS[kind]
    return CleanFile(out.getvalue(), extension, content_type)


def pdf_check(data: bytes, name: str) -> CleanFile:
    """A PDF by its header, with the shape of one (a catalogue, an end-of-file mark near the end) and none
    of the active content a scanned form never carries (scripts, launch actions, embedded files). Stored
    as uploaded: re-writing a PDF needs a PDF library, and the file is only ever served as a download."""
    if not PDF_HEADER.match(data[:16]):
        raise UploadRefused(f"文件「{name}」不是 PDF 文件。")
    if b"%%EOF" not in data[-2048:] or (b"/Root" not in data and b"/Catalog" not in data):
        raise UploadRefused(f"PDF 文件「{name}」不完整或已损坏,请重新扫描或导出后再上传。")
    if PDF_ACTIVE.search(data):
        raise UploadRefused(f"PDF 文件「{name}」含有脚本或内嵌文件,请用扫描仪或手机重新生成 PDF 后再上传。")
    return CleanFile(data, "pdf", "application/pdf")


def attachment_clean(data: bytes, name: str, *, max_bytes: int = ATTACHMENT_MAX_BYTES) -> CleanFile:
    """An attachment (a photo or a scanned PDF) at most `max_bytes`, checked by its content."""
    if len(data) > max_bytes:
        raise UploadRefused(f"文件「{name}」超过 {_size(max_bytes)},请压缩后再上传。")
    if not data:
        raise UploadRefused(f"文件「{name}」是空的,请重新选择。")
    if data[:5] == b"%PDF-":
        return pdf_check(data, name)
    return image_clean(data, name, what="照片或 PDF 文件")
