"""Reading and checking one department delivery: a workbook, a csv file or a list of JSON rows.

`ingest_file`, `ingest_rows` and `ingest_table` read a delivery into a frame of text cells (one column per
header as sent), map the headers through the catalogue, and check every cell column by column with Polars
expressions: at a million rows a per-cell Python parser takes minutes, the expressions a few seconds.
The outcome is either the canonical Arrow table (catalogue field names, typed: see `arrow_schema`) or the
list of row errors; the caller stores one or the other, never a part of the rows.

Identity numbers are kept as sent (trimmed) whenever they can be an ID at all: empty, 18 digits with a
wrong check digit (mistyped) and numbers a spreadsheet turned into 3.60424E+17 are accepted and counted
in `IngestResult.notes`, and probabilistic linkage places their rows later; nothing here guesses digits.
Values that cannot be an ID (letters, a wrong length) are row errors.

This module never imports Django: the benchmark and the screening engine's tests use it directly.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from dixian.common import uploads
from dixian.domain import catalogue as cat
from dixian.domain import idnumber
from dixian.domain.records import NORMALISED_ID_COLUMN

# Amounts above this are taken for a unit mistake (分 for 元) or a typing slip: no household-level feed
# value comes near ten million 元.
MAX_AMOUNT_CENTS = 10_000_000_00
INT_MAX = {"overdue_days": 36_500, "households_affected": 1_000_000}
INT_DEFAULT_MAX = 2_147_483_647
TEXT_MAX = 500
EARLIEST = dt.date(1900, 1, 1)
HEADER_SCAN_ROWS = 10
# Headers that carry nothing of the feed and are ignored: a row counter, and the error columns of our own
# report (a department may fix the report and send it back).
IGNORED_HEADERS = frozenset({"序号", "行号", "错误行号", "错误列", "错误原因"})
HELP_SHEETS = frozenset({"填写说明", "字段说明", "填写示例"})

_WS = " \t\r\n\u3000\xa0"
_FULL_WIDTH = [chr(0xFF10 + i) for i in range(10)] + ["Ｘ", "ｘ", "x"]
_HALF_WIDTH = [str(i) for i in range(10)] + ["X", "X", "X"]
EXCEL_EPOCH = dt.date(1899, 12, 30)

ROW_COL = "__row"  # the row number as the sender sees it (Excel row, csv line, 1-based JSON index)
SOURCE_ROW = "_source_row"  # the same, as stored beside a delivery's rows (not a catalogue field)


class FeedFileError(Exception):
    """The delivery cannot be read as this feed at all (unreadable file, wrong or missing columns).

    `problems` are Chinese sentences; the whole delivery is rejected.
    """

    def __init__(self, problems: list[str], *, header_row: int | None = None) -> None:
        self.problems = problems
        self.header_row = header_row
        super().__init__(";".join(problems))


@dataclass(frozen=True, order=True)
class RowError:
    row: int | None  # as the sender counts it; None: the problem concerns the whole delivery
    column: str  # the header as sent ("" for the whole row)
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class RawDelivery:
    """The delivery as text cells: `frame` has one String column per header (position-named) plus ROW_COL."""

    frame: pl.DataFrame
    headers: list[str]  # as sent, in file order
    header_row: int  # 1-based row of the header (0 for JSON rows, which have no header row)
    sheet: str = ""


@dataclass
class IngestResult:
    feed: str
    table: pa.Table | None  # the canonical rows, None when there are errors
    errors: list[RowError]
    error_count: int
    rows_read: int  # data rows in the delivery (blank rows not counted)
    row_count: int  # distinct records accepted (identical repeats count once)
    raw: RawDelivery | None = None
    columns: dict[str, str] = field(default_factory=dict)  # field → header as sent
    notes: dict[str, int] = field(default_factory=dict)  # ID numbers left to linkage, by reason
    # Per row of `table`, the row number as the sender counts it (ROW_COL): stored beside the rows as
    # SOURCE_ROW, so that evidence names the row it came from (docs/security.md §3).
    source_rows: pa.Array | None = None

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.table is not None


# ---- the canonical schema ------------------------------------------------------------------------------

ARROW_TYPES = {
    cat.TEXT: pa.string(),
    cat.ID: pa.string(),
    cat.CHOICE: pa.string(),
    cat.DATE: pa.date32(),
    cat.MONEY: pa.decimal128(18, 2),
    cat.INT: pa.int32(),
}


def arrow_schema(spec: cat.Feed, fields: Iterable[str]) -> pa.Schema:
    wanted = set(fields)
    return pa.schema([pa.field(c.field, ARROW_TYPES[c.type]) for c in spec.columns if c.field in wanted])


# ---- reading -------------------------------------------------------------------------------------------


def _cell_text(value: Any, kind: str) -> str | None:
    """One spreadsheet cell as the text the checks read (only for columns that are not all text)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return (
            value.date().isoformat()
            if kind == cat.DATE or value.time() == dt.time()
            else value.isoformat(" ")
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        if kind == cat.ID and abs(value) >= 1e15:
            # A number cell holds at most 15 significant digits: an 18-digit ID in one has lost its tail.
            # Shown the way the spreadsheet shows it, so that it never passes for a complete number.
            return f"{value:.15G}"
        if kind == cat.MONEY and isinstance(value, float):
            cents = round(value * 100)
            # Formulas leave float noise (0.1 + 0.2); anything beyond it is a real third decimal.
            if abs(value * 100 - cents) <= 1e-6 * max(1.0, abs(value)):
                sign = "-" if cents < 0 else ""
                return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
            return repr(value)
        if float(value).is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def _column_series(name: str, values: Sequence[Any], kind: str) -> pl.Series:
    types = set(map(type, values))
    if types <= {str, type(None)}:
        return pl.Series(name, values, dtype=pl.String)
    return pl.Series(name, [_cell_text(v, kind) for v in values], dtype=pl.String)


def _kind_for_header(feed_code: str, header: str) -> str:
    lookup = _lookup(feed_code)
    f = lookup.get(cat.normalise_header(header))
    return cat.feed(feed_code).column(f).type if f else cat.TEXT


_LOOKUPS: dict[str, dict[str, str]] = {}


def _lookup(feed_code: str) -> dict[str, str]:
    """{normalised header or alias or field name: field} (as catalogue.header_map builds it)."""
    if feed_code not in _LOOKUPS:
        table: dict[str, str] = {}
        for col in cat.feed(feed_code).columns:
            for name in (col.header, col.field, *col.aliases):
                table.setdefault(cat.normalise_header(name), col.field)
        _LOOKUPS[feed_code] = table
    return _LOOKUPS[feed_code]


def read_workbook(feed_code: str, source: bytes | Path) -> RawDelivery:
    """The first worksheet whose first rows hold this feed's headers (.xlsx or .xls via calamine), read
    only after its size was bounded (docs/security.md §2)."""
    if isinstance(source, bytes):
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
            tmp.write(source)
            tmp.flush()
            return read_workbook(feed_code, Path(tmp.name))
    try:
        book = uploads.open_workbook(source)
        names = list(book.sheet_names)
    except uploads.UploadRefused as exc:
        raise FeedFileError([exc.message]) from None
    except Exception:  # noqa: BLE001 - calamine raises many kinds for a file that is not a workbook
        raise FeedFileError(
            ["无法读取该文件:它不是 Excel 工作簿。请用 Excel 或 WPS 打开后另存为 .xlsx 再上传"]
        ) from None
    lookup = _lookup(feed_code)
    for index, name in enumerate(names):
        if name in HELP_SHEETS:
            continue
        try:
            rows = uploads.sheet_rows(book, index)
        except Exception:  # noqa: BLE001, S112 - a chart sheet or a damaged sheet: not a data sheet
            continue
        for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
            hits = sum(1 for cell in row if isinstance(cell, str) and cat.normalise_header(cell) in lookup)
            if hits >= 2:
                return _raw_from_rows(feed_code, rows, r, name)
    spec = cat.feed(feed_code)
    raise FeedFileError(
        [
            f"工作簿中找不到“{spec.name}”数据表:各工作表的前{HEADER_SCAN_ROWS}行都没有本类数据的表头。"
            f"表头应为:{expected_headers(spec)}"
        ]
    )


def _raw_from_rows(feed_code: str, rows: list[list[Any]], header_index: int, sheet: str) -> RawDelivery:
    header_cells = rows[header_index]
    data = rows[header_index + 1 :]
    width = len(header_cells)
    headers = ["" if h is None else str(h).strip() for h in header_cells]
    columns = list(zip(*data, strict=False)) if data else [() for _ in range(width)]
    series = []
    for j in range(width):
        values = columns[j] if j < len(columns) else ()
        series.append(_column_series(f"c{j}", values, _kind_for_header(feed_code, headers[j])))
    frame = pl.DataFrame(series) if series else pl.DataFrame()
    frame = frame.with_columns(
        pl.int_range(header_index + 2, header_index + 2 + len(data), dtype=pl.Int64).alias(ROW_COL)
    )
    return RawDelivery(_drop_blank(frame), headers, header_index + 1, sheet)


def _plausible_header(feed_code: str) -> Any:
    lookup = _lookup(feed_code)

    def plausible(first_line: str) -> bool:
        cells = re.split(r"[,\t;]", first_line)
        return sum(1 for c in cells if cat.normalise_header(c.strip().strip('"')) in lookup) >= 2

    return plausible


def read_csv(feed_code: str, content: bytes) -> RawDelivery:
    """A csv file in UTF-8 (with or without BOM), UTF-16 with a BOM or GBK/GB18030; comma, tab or
    semicolon separated. Other encodings (Big5, UTF-16 without BOM) are refused, never read as garbled
    rows, and the size, lines and columns are bounded (docs/security.md §2)."""
    try:
        if content.startswith(b"\xef\xbb\xbf"):
            content = content[3:]
        try:
            content.decode("utf-8")
            data = content
        except UnicodeDecodeError:
            data = uploads.decode_csv(content, plausible=_plausible_header(feed_code)).encode("utf-8")
        else:
            if b"\x00" in data[:4096]:
                uploads.decode_csv(data)  # refuses: NUL bytes are no csv text
        uploads.check_csv(data)
    except uploads.UploadRefused as exc:
        raise FeedFileError([exc.message]) from None
    first_line = data[:4096].split(b"\n", 1)[0].decode("utf-8", errors="ignore")
    separator = max((",", "\t", ";"), key=first_line.count)
    try:
        frame = pl.read_csv(
            io.BytesIO(data),
            has_header=False,
            infer_schema=False,
            separator=separator,
            truncate_ragged_lines=True,
            raise_if_empty=False,
        )
    except Exception as exc:  # noqa: BLE001 - polars' parse errors are many; the user needs one sentence
        raise FeedFileError(
            [f"无法按 CSV 格式读取该文件({type(exc).__name__}),请检查分隔符和引号后重新上传"]
        ) from None
    if frame.height == 0:
        raise FeedFileError(["文件是空的,没有表头和数据"])
    headers = [("" if v is None else str(v).strip()) for v in frame.row(0)]
    names = [f"c{j}" for j in range(len(headers))]
    frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    frame = frame.slice(1).with_columns(pl.int_range(2, frame.height + 1, dtype=pl.Int64).alias(ROW_COL))
    return RawDelivery(_drop_blank(frame), headers, 1)


def read_rows(rows: Sequence[Mapping[str, Any]]) -> RawDelivery:
    """JSON row objects: the headers are the keys, in the order they first appear."""
    headers: dict[str, None] = {}
    for row in rows:
        headers.update(dict.fromkeys(row))
    keys = list(headers)
    if not keys:
        raise FeedFileError(["数据行没有任何字段:每行应是以表头(如“姓名”“证件号码”)为键的对象"])
    series = []
    for j, key in enumerate(keys):
        values = [_json_text(row.get(key)) for row in rows]
        series.append(pl.Series(f"c{j}", values, dtype=pl.String))
    frame = pl.DataFrame(series) if series else pl.DataFrame()
    frame = frame.with_columns(pl.int_range(1, len(rows) + 1, dtype=pl.Int64).alias(ROW_COL))
    return RawDelivery(_drop_blank(frame), [str(k).strip() for k in keys], 0)


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value) if abs(value) < 1e15 else f"{value:.15G}"
    # Objects and lists are not cell values: their JSON text fails the column's check with a message.
    return str(value)


def read_table(table: pa.Table | pl.DataFrame) -> RawDelivery:
    """An Arrow table or Polars frame (headers or field names), every column read as text."""
    frame = table if isinstance(table, pl.DataFrame) else pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    headers = [str(c).strip() for c in frame.columns]
    cast = []
    for j, name in enumerate(frame.columns):
        col = pl.col(name)
        dtype = frame.schema[name]
        if dtype == pl.Date:
            expr = col.dt.strftime("%Y-%m-%d")
        elif dtype == pl.Datetime:
            expr = col.dt.date().dt.strftime("%Y-%m-%d")
        else:
            expr = col.cast(pl.String)
        cast.append(expr.alias(f"c{j}"))
    out = frame.select(cast).with_columns(pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(ROW_COL))
    return RawDelivery(_drop_blank(out), headers, 0)


def _drop_blank(frame: pl.DataFrame) -> pl.DataFrame:
    cells = [c for c in frame.columns if c != ROW_COL]
    if not cells:
        return frame.clear()
    blank = pl.all_horizontal([pl.col(c).is_null() | (pl.col(c).str.strip_chars(_WS) == "") for c in cells])
    return frame.filter(~blank)


def read_delivery(feed_code: str, content: bytes | Path, file_name: str = "") -> RawDelivery:
    """A delivery given as its bytes or as the path of the uploaded file (read from disk, bounded first)."""
    path: Path | None = None
    if isinstance(content, Path):
        path = content
        size = path.stat().st_size
        limit = uploads.upload_limits().max_bytes
        if size > limit:
            raise FeedFileError([f"文件大小为 {size:,} 字节,超过了 {limit:,} 字节的上限,请分成几个文件报送"])
        with path.open("rb") as fh:
            head = fh.read(8)
    else:
        head = content[:8]
    if not head:
        raise FeedFileError(["文件是空的(0 字节),请重新选择文件"])
    if head[:4] == b"PK\x03\x04" or head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return read_workbook(feed_code, content)
    if file_name.lower().endswith((".xlsx", ".xls", ".xlsm", ".ods")):
        raise FeedFileError(
            [f"「{file_name}」的内容不是 Excel 工作簿,可能只是改了扩展名。请另存为 .xlsx 后再上传"]
        )
    return read_csv(feed_code, path.read_bytes() if path is not None else bytes(content))


# ---- headers -------------------------------------------------------------------------------------------


def expected_headers(spec: cat.Feed) -> str:
    return "、".join(f"{c.header}{'(必填)' if c.required else ''}" for c in spec.columns)


def map_headers(spec: cat.Feed, raw: RawDelivery) -> dict[str, int]:
    """{field: column position}; unknown, duplicate or missing required columns reject the whole delivery."""
    lookup = _lookup(spec.code)
    fields: dict[str, int] = {}
    problems: list[str] = []
    unknown: list[str] = []
    for j, header in enumerate(raw.headers):
        key = cat.normalise_header(header)
        if key in IGNORED_HEADERS:
            continue
        if not key:
            if (
                raw.frame.height
                and raw.frame.get_column(f"c{j}").drop_nulls().str.strip_chars(_WS).ne("").any()
            ):
                unknown.append(f"第{j + 1}列(没有表头)")
            continue
        target = lookup.get(key)
        if target is None:
            unknown.append(f"“{header}”")
        elif target in fields:
            first = raw.headers[fields[target]]
            problems.append(
                f"列“{first}”和“{header}”重复,都表示“{spec.column(target).header}”,请删除其中一列"
            )
        else:
            fields[target] = j
    if unknown:
        problems.append(f"无法识别的列:{'、'.join(unknown)}")
    missing = [spec.column(f).header for f in spec.required_fields if f not in fields]
    if missing:
        problems.append(f"缺少必填列:{'、'.join(missing)}")
    if problems:
        problems.append(
            f"“{spec.department}·{spec.name}”的表头应为:{expected_headers(spec)}(顺序不限,也接受数据目录中列出的别名)"
        )
        raise FeedFileError(problems, header_row=raw.header_row or None)
    return fields


# ---- column checks (Polars expressions over text) ---------------------------------------------------------


def _clean(expr: pl.Expr) -> pl.Expr:
    """Trimmed, empty → null."""
    s = expr.str.strip_chars(_WS)
    return pl.when(s == "").then(None).otherwise(s)


def _quoted(expr: pl.Expr, limit: int = 30) -> pl.Expr:
    return pl.when(expr.str.len_chars() > limit).then(expr.str.slice(0, limit - 1) + "…").otherwise(expr)


def _fmt(template: str, *exprs: pl.Expr) -> pl.Expr:
    return pl.format(template, *exprs)


def parse_date_expr(s: pl.Expr) -> pl.Expr:
    """A date from cleaned text: ISO, 2026/3/5, 2026.3.5, 2026年3月5日, 20260305 or an Excel serial."""
    t = s.str.replace_all(r"\s+", " ")
    groups = t.str.extract_groups(
        r"^([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$"
    )
    iso = (
        groups.struct.field("1")
        + "-"
        + groups.struct.field("2").str.zfill(2)
        + "-"
        + groups.struct.field("3").str.zfill(2)
    ).str.to_date("%Y-%m-%d", strict=False)
    compact = pl.when(t.str.contains(r"^[0-9]{8}$")).then(t).str.to_date("%Y%m%d", strict=False)
    serial = t.str.extract(r"^([0-9]{1,5})(?:\.[0-9]+)?$", 1).cast(pl.Int64, strict=False)
    from_serial = pl.when(serial >= 1).then(
        pl.lit(EXCEL_EPOCH) + pl.duration(days=pl.when(serial < 61).then(serial + 1).otherwise(serial))
    )
    return pl.coalesce(iso, compact, from_serial.cast(pl.Date))


def date_shape_expr(s: pl.Expr) -> pl.Expr:
    """True where the text has the shape of a date (so that a null parse means the day does not exist)."""
    t = s.str.replace_all(r"\s+", " ")
    return t.str.contains(
        r"^([0-9]{4}\s*[-/.年]\s*[0-9]{1,2}\s*[-/.月]\s*[0-9]{1,2}\s*日?(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?|[0-9]{8})$"
    )


def parse_money_expr(s: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(cents as Int64, the compact text) from cleaned text: 1,200.50 元 / ¥1200.5 / 1200."""
    t = s.str.replace_all(r"[,，\s元¥￥]", "")
    ok = t.str.contains(r"^[0-9]{1,13}(\.[0-9]{0,2}0*)?$")
    whole = t.str.extract(r"^([0-9]+)", 1).cast(pl.Int64, strict=False)
    frac = (
        t.str.extract(r"^[0-9]+\.([0-9]{0,2})", 1)
        .fill_null("")
        .str.pad_end(2, "0")
        .cast(pl.Int64, strict=False)
    )
    cents = pl.when(ok).then(whole * 100 + frac)
    return cents, t


def _money_checks(raw: pl.Expr, header: str) -> tuple[pl.Expr, pl.Expr]:
    s = _clean(raw)
    cents, t = parse_money_expr(s)
    shown = _quoted(s)
    message = (
        pl.when(s.is_null())
        .then(None)
        .when(t.str.starts_with("-"))
        .then(_fmt(f"{header}「{{}}」不能为负数", shown))
        .when(cents.is_null() & t.str.contains(r"^[0-9]{1,13}\.[0-9]{3,}$"))
        .then(_fmt(f"{header}「{{}}」超过两位小数,请保留到分", shown))
        .when(cents.is_null() & t.str.contains(r"^[0-9]{14,}(\.[0-9]*)?$"))
        .then(_fmt(f"{header}「{{}}」过大,请核对单位是否为元", shown))
        .when(cents.is_null())
        .then(_fmt(f"{header}「{{}}」不是金额,请填写以元为单位的数字,如 1200 或 1200.50", shown))
        .when(cents > MAX_AMOUNT_CENTS)
        .then(_fmt(f"{header}「{{}}」过大(超过一千万元),请核对单位是否为元", shown))
    )
    return cents, message


def _int_checks(raw: pl.Expr, header: str, high: int) -> tuple[pl.Expr, pl.Expr]:
    s = _clean(raw)
    t = s.str.replace_all(r"[,\s天日户人]", "")
    value = pl.when(t.str.contains(r"^[0-9]{1,10}(\.0+)?$")).then(
        t.str.extract(r"^([0-9]+)", 1).cast(pl.Int64)
    )
    shown = _quoted(s)
    message = (
        pl.when(s.is_null())
        .then(None)
        .when(value.is_null() | (value > high))
        .then(_fmt(f"{header}「{{}}」应为 0 到 {high} 之间的整数", shown))
    )
    return value, message


def _date_checks(raw: pl.Expr, header: str, today: dt.date) -> tuple[pl.Expr, pl.Expr]:
    s = _clean(raw)
    value = parse_date_expr(s)
    shown = _quoted(s)
    message = (
        pl.when(s.is_null())
        .then(None)
        .when(value.is_null() & date_shape_expr(s))
        .then(_fmt(f"{header}「{{}}」不存在(月份或日期超出范围),请核对", shown))
        .when(value.is_null())
        .then(
            _fmt(
                f"{header}「{{}}」不是有效的日期,请填写如 2026-03-05、2026/3/5、2026年3月5日 或 20260305 的日期",
                shown,
            )
        )
        .when(value > pl.lit(today))
        .then(_fmt(f"{header}「{{}}」晚于今天({today.isoformat()}),日期不能在将来", shown))
        .when(value < pl.lit(EARLIEST))
        .then(_fmt(f"{header}「{{}}」早于1900年,请核对", shown))
    )
    return value, message


def dictionary_normalise_expr(s: pl.Expr) -> pl.Expr:
    """dixian.domain.dictionaries.normalise, vectorised: NFKC, no spaces, upper-case (docs/domain.md §18)."""
    # Python's str.split() also splits at the ASCII separators 0x1C–0x1F, which are not Unicode spaces.
    return (
        s.str.normalize("NFKC")
        .str.replace_all(r"[\s\x1c-\x1f]+", "")
        .str.to_uppercase()
        .str.normalize("NFKC")
    )


def _choice_checks(raw: pl.Expr, col: cat.FeedColumn) -> tuple[pl.Expr, pl.Expr]:
    s = _clean(raw)
    # Every spelling the column's national dictionary knows, read as the column's choice of the same code.
    value = dictionary_normalise_expr(s).replace_strict(
        cat.choice_lookup(col), default=None, return_dtype=pl.String
    )
    message = (
        pl.when(s.is_null())
        .then(None)
        .when(value.is_null())
        .then(_fmt(f"{col.header}「{{}}」不是可选的值,可填:{'、'.join(col.choices)}", _quoted(s)))
    )
    return value, message


def _text_checks(raw: pl.Expr, header: str) -> tuple[pl.Expr, pl.Expr]:
    s = _clean(raw)
    message = pl.when(s.str.len_chars() > TEXT_MAX).then(pl.lit(f"{header}超过{TEXT_MAX}个字,请精简"))
    return s, message


def id_clean_expr(s: pl.Expr) -> pl.Expr:
    """The text an ID is judged by: full-width digits and x folded, spaces removed, X upper-case."""
    return s.str.replace_many(_FULL_WIDTH, _HALF_WIDTH).str.replace_all(r"[\s\u3000\xa0]+", "")


# What an identity number cell may be, besides empty (see the module docstring).
ID_VALID, ID_OLD15, ID_CHECKSUM, ID_DAMAGED, ID_INVALID = "valid", "old15", "checksum", "damaged", "invalid"


def id_kind_expr(s: pl.Expr) -> pl.Expr:
    """Classify cleaned ID text (null stays null)."""
    c = id_clean_expr(s)
    is18 = c.str.contains(r"^[0-9]{17}[0-9X]$")
    return (
        pl.when(c.is_null() | (c == ""))
        .then(None)
        .when(is18 & idnumber.checksum_ok_expr(c))
        .then(pl.lit(ID_VALID))
        .when(is18)
        .then(pl.lit(ID_CHECKSUM))
        .when(c.str.contains(r"^[0-9]{15}$"))
        .then(pl.lit(ID_OLD15))
        .when(c.str.contains(r"^[0-9](\.[0-9]+)?[Ee]\+?1[4-7]$") | c.str.contains(r"^[0-9]{15,18}\.0*$"))
        .then(pl.lit(ID_DAMAGED))
        .otherwise(pl.lit(ID_INVALID))
    )


def _id_checks(raw: pl.Expr, header: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    s = _clean(raw)
    kind = id_kind_expr(s)
    message = pl.when(kind == ID_INVALID).then(
        _fmt(
            f"{header}「{{}}」不是身份证号:应为18位(末位可为X)或老的15位数字。"
            "号码不详时请留空,系统会按姓名、性别、出生日期和行政村匹配",
            _quoted(s),
        )
    )
    return s, message, kind


# ---- the checks of one delivery --------------------------------------------------------------------------
#
# Two passes. The first runs over every row with cheap expressions that read the common, clean forms
# (2026-03-05, 1200.50, a clean 18-digit number, an exact choice) and marks every cell they cannot vouch
# for. The second runs the full checks (every accepted form, and the Chinese message) only on the rows so
# marked: at a million rows the full checks on every cell cost ten times more than the whole first pass,
# and a clean delivery has no marked row at all. The full checks are the authority: the first pass only
# accepts a subset of what they accept, with the same value (the property tests hold the two together).

_FAST_DATE = re.compile(r"^[0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}日?$|^[0-9]{8}$")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y年%m月%d", "%Y%m%d")


@dataclass(frozen=True)
class _Cell:
    col: cat.FeedColumn
    header: str  # as sent
    source: str  # the frame's column
    position: int  # in the file (for ordering the errors)
    required: bool


def _required_message(header: str) -> pl.Expr:
    return pl.lit(f"{header}是必填项,不能为空")


def _fast(cell: _Cell, today: dt.date) -> tuple[pl.Expr, list[pl.Expr], pl.Expr, pl.Expr | None]:
    """The first pass of one column, in three steps that each read the previous step's columns (Polars does
    not share a sub-expression used twice in one select, and the parse is the costly part):

    (value, helpers, suspect, ID kind or None): `value` and `helpers` read the trimmed text column
    `cell.source`; `suspect` and the kind read the value (named after the field) and the helpers. A
    suspect cell goes to the full check."""
    s = pl.col(cell.source)
    v = pl.col(cell.col.field)
    col = cell.col
    helpers: list[pl.Expr] = []
    kind_expr = None
    if col.type == cat.DATE:
        shaped = s.str.contains(_FAST_DATE.pattern)
        # One format per shape, chosen by the separator: trying all of them on every cell costs six parses.
        value: pl.Expr = (
            pl.when(shaped & s.str.contains("-", literal=True))
            .then(s.str.to_date("%Y-%m-%d", strict=False))
            .when(shaped & s.str.contains("/", literal=True))
            .then(s.str.to_date("%Y/%m/%d", strict=False))
            .when(shaped)
            .then(pl.coalesce([s.str.to_date(f, strict=False) for f in _DATE_FORMATS[2:]]))
        )
        suspect = (s.is_not_null() & v.is_null()) | (v > pl.lit(today)) | (v < pl.lit(EARLIEST))
    elif col.type == cat.MONEY:
        ok = s.str.contains(r"^[0-9]{1,13}(\.[0-9]{1,2})?$")
        value = pl.when(ok).then((s.cast(pl.Float64, strict=False) * 100).round(0).cast(pl.Int64))
        suspect = (s.is_not_null() & v.is_null()) | (v > MAX_AMOUNT_CENTS)
    elif col.type == cat.INT:
        value = pl.when(s.str.contains(r"^[0-9]{1,10}$")).then(s.cast(pl.Int64, strict=False))
        suspect = (s.is_not_null() & v.is_null()) | (v > INT_MAX.get(col.field, INT_DEFAULT_MAX))
    elif col.type == cat.CHOICE:
        value = pl.when(s.is_in(list(col.choices))).then(s)
        suspect = s.is_not_null() & v.is_null()
    elif col.type == cat.ID:
        # The first 17 digits as one integer: the weighted digit sum is then integer arithmetic.
        body = "__idbody"
        helpers.append(
            pl.when(s.str.contains(r"^[0-9]{17}[0-9X]$"))
            .then(s.str.slice(0, 17).cast(pl.Int64, strict=False))
            .alias(body)
        )
        total = idnumber.body_weighted_sum_expr(pl.col(body))
        check = pl.lit(pl.Series(list(idnumber.CHECK_CHARS), dtype=pl.String)).gather(total % 11)
        kind_expr = (
            pl.when(pl.col(body).is_null())
            .then(None)
            .when(s.str.slice(17, 1) == check)
            .then(pl.lit(ID_VALID))
            .otherwise(pl.lit(ID_CHECKSUM))
        )
        value = s
        suspect = s.is_not_null() & pl.col(body).is_null()
    else:
        value = s
        suspect = s.str.len_chars() > TEXT_MAX
    if cell.required:
        suspect = suspect | s.is_null()
    return value, helpers, suspect.fill_null(False), kind_expr


def _full(cell: _Cell, today: dt.date) -> tuple[pl.Expr, pl.Expr, pl.Expr | None]:
    """(value, message, ID kind or None): every accepted form, and the message for the rest."""
    source, col, header = pl.col(cell.source), cell.col, cell.header
    kind = None
    if col.type == cat.MONEY:
        value, message = _money_checks(source, header)
    elif col.type == cat.INT:
        value, message = _int_checks(source, header, INT_MAX.get(col.field, INT_DEFAULT_MAX))
    elif col.type == cat.DATE:
        value, message = _date_checks(source, header, today)
    elif col.type == cat.CHOICE:
        value, message = _choice_checks(source, col)
    elif col.type == cat.ID:
        value, message, kind = _id_checks(source, header)
    else:
        value, message = _text_checks(source, header)
    if cell.required:
        message = pl.when(_clean(source).is_null()).then(_required_message(header)).otherwise(message)
    return value, message, kind


IDKIND = "__idkind"


def _check_cells(
    cells: list[_Cell], frame: pl.DataFrame, today: dt.date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(parsed: ROW_COL + one typed column per field [+ IDKIND], errors: ROW_COL, field, message)."""
    cleaned = frame.select(pl.col(ROW_COL), *(_clean(pl.col(c.source)).alias(c.source) for c in cells))
    values: list[pl.Expr] = []
    checks: list[pl.Expr] = []
    suspects: list[str] = []
    for cell in cells:
        value, helpers, suspect, kind = _fast(cell, today)
        values += [value.alias(cell.col.field), *helpers]
        checks.append(suspect.alias(f"__s_{cell.col.field}"))
        suspects.append(f"__s_{cell.col.field}")
        if kind is not None:
            checks.append(kind.alias(IDKIND))
    step = cleaned.with_columns(values)
    step = step.with_columns(checks)
    parsed = step.select(
        ROW_COL, *(c.col.field for c in cells), *suspects, *([IDKIND] if IDKIND in step.columns else [])
    )
    marked = parsed.filter(pl.any_horizontal(pl.col(c) for c in suspects)).get_column(ROW_COL)
    parsed = parsed.drop(suspects)
    empty = pl.DataFrame(schema={ROW_COL: pl.Int64, "field": pl.String, "message": pl.String})
    if marked.len() == 0:
        return parsed, empty
    second: list[pl.Expr] = [pl.col(ROW_COL)]
    messages: list[str] = []
    for cell in cells:
        value, message, kind = _full(cell, today)
        second.append(value.alias(cell.col.field))
        second.append(message.alias(cell.col.field + "\x00"))
        messages.append(cell.col.field + "\x00")
        if kind is not None:
            second.append(kind.alias(IDKIND))
    full = frame.filter(pl.col(ROW_COL).is_in(marked.implode())).lazy().select(second).collect()
    errors = (
        full.select(ROW_COL, *messages)
        .unpivot(index=ROW_COL, on=messages, variable_name="field", value_name="message")
        .drop_nulls("message")
        .with_columns(pl.col("field").str.strip_chars_end("\x00"))
    )
    checked = full.drop(messages).with_columns(
        pl.col(c.col.field).cast(parsed.schema[c.col.field]) for c in cells
    )
    parsed = parsed.update(checked, on=ROW_COL, include_nulls=True)
    return parsed, errors


def check(spec: cat.Feed, raw: RawDelivery, *, today: dt.date, max_errors: int | None = None) -> IngestResult:
    """Check every row of `raw` against the feed; the canonical table when nothing is wrong."""
    positions = map_headers(spec, raw)
    frame = raw.frame
    if frame.height == 0:
        raise FeedFileError(["只有表头,没有数据行,请填写后再报送"], header_row=raw.header_row or None)
    rows_read = frame.height
    delivered = [c for c in spec.columns if c.field in positions]
    columns = {c.field: raw.headers[positions[c.field]] for c in delivered}
    cells = [
        _Cell(c, columns[c.field], f"c{positions[c.field]}", positions[c.field], c.required)
        for c in delivered
    ]
    parsed, errors = _check_cells(cells, frame, today)

    # Checks across columns, on the parsed values, for cells that passed their own checks.
    failed = errors.group_by(ROW_COL).agg(pl.col("field"))
    cross: list[tuple[str, pl.Expr, pl.Expr, tuple[str, ...]]] = []  # (field, bad, message, involved)
    if spec.code == "medical":
        payments = [
            f
            for f in ("fund_paid", "critical_illness_paid", "assistance_paid", "supplementary_paid")
            if f in positions
        ]
        paid = pl.sum_horizontal([pl.col(f).fill_null(0) for f in payments]) if payments else pl.lit(0)
        expected = pl.col("total_cost") - paid
        names = "、".join(columns[f] for f in payments) or "各项支付"
        cross.append(
            (
                "out_of_pocket",
                (pl.col("out_of_pocket") - expected).abs() > 1,
                _fmt(
                    f"{columns['out_of_pocket']}应等于{columns['total_cost']}减去{names}"
                    "(允许相差0.01元):应为 {} 元,实为 {} 元",
                    _cents_text(expected),
                    _cents_text(pl.col("out_of_pocket")),
                ),
                ("total_cost", "out_of_pocket", *payments),
            )
        )
    for start, end in (("admission_date", "settlement_date"), ("start_date", "end_date")):
        if start in positions and end in positions:
            cross.append(
                (
                    end,
                    pl.col(end) < pl.col(start),
                    pl.lit(f"{columns[end]}早于{columns[start]},请核对"),
                    (start, end),
                )
            )
    extra: list[pl.DataFrame] = []
    if cross:
        base = parsed.join(failed, on=ROW_COL, how="left")
        for target, bad, message, involved in cross:
            clean = (
                pl.col("field").is_null()
                | ~pl.col("field").list.eval(pl.element().is_in(list(involved))).list.any()
            )
            hits = base.filter(bad.fill_null(False) & clean)
            if hits.height:
                extra.append(hits.select(ROW_COL, pl.lit(target).alias("field"), message.alias("message")))

    # A record key sent twice with different content is an error; identical repeats count once.
    content_cols = [c.field for c in delivered]
    unique = parsed.unique(subset=content_cols, keep="first", maintain_order=True)
    key = list(spec.record_key)
    if all(k in positions for k in key):
        conflict = unique.with_columns(pl.col(ROW_COL).min().over(key).alias("__first")).filter(
            pl.col(key[0]).is_not_null() & (pl.len().over(key) > 1) & (pl.col(ROW_COL) != pl.col("__first"))
        )
        if conflict.height:
            key_headers = "、".join(columns[k] for k in key)
            extra.append(
                conflict.select(
                    pl.col(ROW_COL),
                    pl.lit(key[0]).alias("field"),
                    pl.format(
                        f"{key_headers}与第 {{}} 行相同,但其他内容不同:同一条记录只能报送一个版本",
                        pl.col("__first"),
                    ).alias("message"),
                )
            )

    all_errors = pl.concat([errors, *extra]) if extra else errors
    error_count = all_errors.height
    notes = _id_notes(parsed) if IDKIND in parsed.columns else {}
    if error_count:
        order = {c.field: positions[c.field] for c in delivered}
        ordered = all_errors.with_columns(
            pl.col("field").replace_strict(order, return_dtype=pl.Int64).alias("__pos"),
            pl.col("field").replace_strict(columns, return_dtype=pl.String).alias("column"),
        ).sort([ROW_COL, "__pos"])
        if max_errors is not None:
            ordered = ordered.head(max_errors)
        found = [RowError(r, c, m) for r, c, m in ordered.select(ROW_COL, "column", "message").iter_rows()]
        return IngestResult(spec.code, None, found, error_count, rows_read, 0, raw, columns, notes)
    table = canonical_table(spec, unique, content_cols)
    rows = unique.get_column(ROW_COL).cast(pl.Int32).to_arrow()
    return IngestResult(spec.code, table, [], 0, rows_read, table.num_rows, raw, columns, notes, rows)


def _cents_text(cents: pl.Expr) -> pl.Expr:
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    a = cents.abs()
    return pl.format("{}{}.{}", sign, a // 100, (a % 100).cast(pl.String).str.zfill(2))


def _id_notes(parsed: pl.DataFrame) -> dict[str, int]:
    counts = parsed.group_by("__idkind").len()
    found = {k if k is not None else "missing": n for k, n in counts.iter_rows()}
    return {k: found[k] for k in ("missing", ID_OLD15, ID_CHECKSUM, ID_DAMAGED) if found.get(k)}


def canonical_table(spec: cat.Feed, parsed: pl.DataFrame, fields: list[str]) -> pa.Table:
    exprs = []
    for f in fields:
        kind = spec.column(f).type
        if kind == cat.MONEY:
            exprs.append((pl.col(f).cast(pl.Decimal(18, 2)) / 100).cast(pl.Decimal(18, 2)).alias(f))
        elif kind == cat.INT:
            exprs.append(pl.col(f).cast(pl.Int32).alias(f))
        else:
            exprs.append(pl.col(f))
    table = parsed.select(exprs).to_arrow()
    return table.cast(arrow_schema(spec, fields))


def stored_table(table: pa.Table) -> pa.Table:
    """The canonical table as a delivery's Parquet file keeps it: with the ID numbers normalised once, in
    `domain.records.NORMALISED_ID_COLUMN` beside the numbers as sent, for feeds that have them. The screening
    engine deduplicates and links every row of every run by the normalised number; normalised here, it
    tests no row with a regular expression (docs/feeds.md §五: a number re-sent cleaned up is the same record)."""
    if "id_number" not in table.column_names:
        return table
    normalised = idnumber.normalised_ids(pl.from_arrow(table.column("id_number")))  # type: ignore[arg-type]  # a ChunkedArray gives a Series
    return table.append_column(
        pa.field(NORMALISED_ID_COLUMN, pa.string()), normalised.to_arrow().cast(pa.string())
    )


# ---- entry points --------------------------------------------------------------------------------------


def ingest_file(
    feed_code: str,
    content: bytes | Path,
    *,
    file_name: str = "",
    today: dt.date,
    max_errors: int | None = None,
) -> IngestResult:
    spec = cat.feed(feed_code)
    return check(spec, read_delivery(feed_code, content, file_name), today=today, max_errors=max_errors)


def ingest_rows(
    feed_code: str, rows: Sequence[Mapping[str, Any]], *, today: dt.date, max_errors: int | None = None
) -> IngestResult:
    spec = cat.feed(feed_code)
    return check(spec, read_rows(rows), today=today, max_errors=max_errors)


def ingest_table(
    feed_code: str, table: pa.Table | pl.DataFrame, *, today: dt.date, max_errors: int | None = None
) -> IngestResult:
    spec = cat.feed(feed_code)
    return check(spec, read_table(table), today=today, max_errors=max_errors)


PERIOD = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")

__all__ = [
    "ARROW_TYPES",
    "FeedFileError",
    "IngestResult",
    "RawDelivery",
    "RowError",
    "arrow_schema",
    "canonical_table",
    "check",
    "expected_headers",
    "ingest_file",
    "ingest_rows",
    "ingest_table",
    "read_delivery",
    "stored_table",
]


def check_values(
    col: cat.FeedColumn, values: Sequence[str | None], *, today: dt.date
) -> list[tuple[Any, str | None]]:
    """(parsed value, error message) per value, through the same two passes as `check` (for tests and
    tools); the column is taken as optional. Money comes back in cents, IDs as (value as kept, kind)."""
    frame = pl.DataFrame(
        {"c0": pl.Series(values, dtype=pl.String), ROW_COL: pl.int_range(1, len(values) + 1, eager=True)}
    )
    parsed, errors = _check_cells([_Cell(col, col.header, "c0", 0, False)], frame, today)
    messages = dict(errors.select(ROW_COL, "message").iter_rows())
    out = []
    for row in parsed.iter_rows(named=True):
        value = row[col.field]
        if col.type == cat.ID:
            value = (value, row[IDKIND])
        out.append((value, messages.get(row[ROW_COL])))
    return out
