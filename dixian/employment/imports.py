"""The survey workbook (就业信息摸排表) of villages that still collect on paper (docs/domain.md §23).

One .xlsx (read with python-calamine, bounded first by dixian/common/uploads.py), one row per worker and
month: 姓名, 证件号码, 摸排月份 (or one month given for the whole book by the page or the command), 是否务工,
务工地域, 就业单位(帮扶车间), 就业渠道, 本年务工月数, 月工资收入, 未就业原因, 是否有就业意愿, 备注; optional 县/乡/村
columns are only checked against where the person lives. Headers in any order, with the spellings villages use.

Checks (every refusal names the row, the column and what to do):
- cells: the ID number as the registry import reads it (15-digit numbers upgraded, full-width digits and
  spaces cleaned; a number Excel turned into 3.6E+17 is refused with how to fix it), the dictionaries of
  `dixian.domain.employment` (label, code or a known variant; a wage as a number is put in its band);
- the rules of §23: working ⇒ place tier and channel; not working ⇒ reason and willingness; months worked ≤
  months elapsed in the year; no month after the current one; one row per person and month in the book;
- the database, set-based: the person exists inside the importer's subtree (`batched.in_batches`: one query on
  PostgreSQL, one per 10,000 ID numbers on SQLite),
  the name matches, and the person is on the labour roll of that month (`roll.py`: one query per month).

The keys (ID number, name, month, places) are parsed for the whole book before the database checks; the answers
span by span while the rows before them are written (PostgreSQL stores one span while the next is parsed).

Then all or nothing: every record written in one transaction, in bulk (COPY on PostgreSQL), or none and the
rows come back in an error report (错误行号 / 错误列 / 错误原因). A row equal to the stored record of that person
and month changes nothing (counted unchanged); a different one replaces it and the change is kept in the change
log (entity "employment"). `survey_changed` is sent once, inside the transaction, with the places it touched.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import logging
import math
import re
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.utils import timezone

from dixian.common import uploads
from dixian.common.models import ChangeLog
from dixian.common.spreadsheets import REPORT_COLUMNS, ErrorReport, TemplateBook, TemplateColumn
from dixian.domain import employment as e
from dixian.domain import idnumber, placenames
from dixian.domain.dictionaries import ParseError
from dixian.regions.models import Region
from dixian.registry import parsing as rp
from dixian.registry.imports import sha256_file
from dixian.registry.models import Person

from .batched import in_batches
from .counts import CountKey, counts_add
from .models import Employment, SurveyImport
from .roll import roll
from .signals import survey_changed

if TYPE_CHECKING:
    from dixian.accounts.models import User

logger = logging.getLogger("dixian.import")

HEADER_SCAN_ROWS = 10
BATCH = 10_000  # rows per INSERT batch on SQLite, persons under which the roll is asked for them alone
ERROR_SAMPLE = 50  # errors kept on the SurveyImport row and shown on the page
REPORT_MAX_ERRORS = 100_000
REPORT_FULL_ROWS = 20_000  # up to this many rows the report repeats the whole book; above, the rows in error
SHEET_NAMES = ("摸排表", "就业信息摸排", "就业信息摸排表", "就业摸排", "务工信息", "就业情况")
HELP_SHEETS = ("填写说明", "说明")
CORRECTION = "就业信息摸排更正"


class SurveyImportError(Exception):
    """The file cannot be read as a survey workbook at all; the message says why, in Chinese."""


class _Refused(Exception):
    """Row errors found inside the transaction: roll everything back."""


# ---- the layout ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    note: str = ""


COLUMNS: tuple[Column, ...] = (
    Column(
        "county", "县(市、区)", ("县", "县区", "县(区)", "县(市)"), note="可不填;填写时须与该人员所在县一致"
    ),
    Column("township", "乡(镇)", ("乡镇", "乡镇(街道)", "镇", "乡"), note="可不填;填写时须与所在乡镇一致"),
    Column("village", "村", ("行政村", "村(社区)", "村名"), note="可不填;填写时须与所在村一致"),
    Column("name", "姓名", ("劳动力姓名", "人员姓名", "务工人员姓名"), True),
    Column(
        "id_number",
        "证件号码",
        ("身份证号", "身份证号码", "证件号", "公民身份号码", "身份证件号码"),
        True,
        "18位身份证号(老的15位号码自动升位);请把该列设为文本格式,以免 Excel 改成科学计数法",
    ),
    Column(
        "month",
        "摸排月份",
        ("月份", "摸排时间", "统计月份", "摸排年月"),
        note="如 2026-10 或 2026年10月;整本表同一月份时也可在导入时选择月份、本列留空",
    ),
    Column("working", "是否务工", ("是否务工就业", "是否就业", "务工就业", "是否在岗"), True, "是 / 否"),
    Column(
        "place_tier",
        "务工地域",
        ("务工地点", "务工所在地", "就业地域", "务工区域", "就业地点"),
        note="务工时必填:" + " / ".join(v.label for v in e.PLACE_TIER.values),
    ),
    Column(
        "employer",
        "就业单位(帮扶车间)",
        ("就业单位", "务工单位", "就业单位或帮扶车间", "工作单位", "帮扶车间", "用工单位"),
        note="可不填,最多100个字",
    ),
    Column(
        "channel",
        "就业渠道",
        ("就业方式", "就业途径", "务工渠道"),
        note="务工时必填:" + " / ".join(v.label for v in e.CHANNEL.values),
    ),
    Column(
        "months_worked",
        "本年务工月数",
        ("务工月数", "务工时间(月)", "务工时间", "本年务工时间", "务工时长(月)"),
        note="0 到摸排月份已过的月数(10月最多10个月);留空为0",
    ),
    Column(
        "wage_band",
        "月工资收入",
        ("月收入", "月工资", "工资收入", "月均工资", "月均收入"),
        note="可填档次(" + " / ".join(v.label for v in e.WAGE_BAND.values) + ")或金额(元),金额自动归档",
    ),
    Column(
        "not_working_reason",
        "未就业原因",
        ("未务工原因", "未就业原因分类", "不务工原因"),
        note="未务工时必填:" + " / ".join(v.label for v in e.NOT_WORKING_REASON.values),
    ),
    Column(
        "willing",
        "是否有就业意愿",
        ("就业意愿", "有就业意愿", "是否有务工意愿", "务工意愿"),
        note="未务工时必填:是 / 否",
    ),
    Column("note", "备注", ("说明",), note="最多200个字"),
)
HEADERS = {c.field: c.header for c in COLUMNS}
# The stored survey fields, in the order the records are compared and written.
SURVEY_FIELDS: tuple[str, ...] = (
    "working",
    "place_tier",
    "employer",
    "channel",
    "months_worked",
    "wage_band",
    "not_working_reason",
    "willing",
    "note",
)
EMPLOYER_MAX = 100
NOTE_MAX = 200


def normalise_header(value: object) -> str:
    """A header cell as a lookup key: full width folded, brackets unified, no spaces, no leading * (required)."""
    s = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return "".join(s.split()).lstrip("*")


def header_lookup() -> dict[str, Column]:
    table: dict[str, Column] = {}
    for col in COLUMNS:
        for name in (col.header, *col.aliases):
            table.setdefault(normalise_header(name), col)
    return table


# ---- reading -----------------------------------------------------------------------------------------------


@dataclass
class Book:
    sheet: str
    rows: list[list[Any]]  # every row from A1, as calamine read them
    header_index: int
    columns: dict[str, int]  # field → column index
    headers: list[str]

    def header_of(self, name: str) -> str:
        j = self.columns.get(name)
        return self.headers[j] if j is not None else HEADERS.get(name, "")


def locate(rows: list[list[Any]], name: str) -> Book | None:
    """The survey table of a sheet: the header row among the first rows (most known headers, at least two),
    its columns mapped; None when the sheet has no such header. Raises SurveyImportError for a header given
    twice or a required column missing."""
    lookup = header_lookup()
    best: tuple[int, int] | None = None
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = sum(1 for cell in row if normalise_header(cell) in lookup)
        if hits >= 2 and (best is None or hits > best[0]):
            best = (hits, r)
    if best is None:
        return None
    header_index = best[1]
    headers = ["" if h is None else str(h).strip() for h in rows[header_index]]
    columns: dict[str, int] = {}
    for j, header in enumerate(headers):
        key = normalise_header(header)
        if not key or key in REPORT_COLUMNS:
            continue
        col = lookup.get(key)
        if col is None:
            continue
        if col.field in columns:
            raise SurveyImportError(
                f"工作表「{name}」的表头「{headers[columns[col.field]]}」和「{header}」是同一列({col.header}),"
                "请删除其中一列后重新导入"
            )
        columns[col.field] = j
    missing = [c.header for c in COLUMNS if c.required and c.field not in columns]
    if missing:
        raise SurveyImportError(
            f"工作表「{name}」缺少必填列:{'、'.join(missing)}。请使用导入模板,或把表头改成模板中的名称"
        )
    return Book(name, rows, header_index, columns, headers)


def read_book(path: Path) -> Book:
    """The survey sheet of the workbook at `path`: a sheet named like 摸排表 first, else the first sheet with
    the survey's headers in its first rows."""
    try:
        size = path.stat().st_size
    except OSError:
        raise SurveyImportError("找不到要导入的文件,请重新选择文件") from None
    if size == 0:
        raise SurveyImportError("文件是空的(0 字节),请重新选择要导入的 Excel 文件")
    try:
        workbook = uploads.open_workbook(path, read_ahead=lambda name: name not in HELP_SHEETS)
        names = list(workbook.sheet_names)
    except uploads.UploadRefused as exc:
        raise SurveyImportError(exc.message) from None
    except Exception:  # noqa: BLE001 - calamine raises many kinds for a file that is not a workbook
        raise SurveyImportError(
            "无法读取该文件:它不是 Excel 工作簿(.xlsx)。请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"
        ) from None
    order = sorted(
        (i for i, n in enumerate(names) if n not in HELP_SHEETS),
        key=lambda i: (0 if "".join(names[i].split()) in SHEET_NAMES else 1, i),
    )
    try:
        for index in order:
            try:
                rows = uploads.sheet_rows(workbook, index)
            except Exception:  # noqa: BLE001 - a chart sheet or a damaged sheet: not ours
                logger.info("skipping unreadable sheet %r of %s", names[index], path.name)
                continue
            book = locate(rows, names[index])
            if book is not None:
                return book
    finally:
        if isinstance(workbook, uploads.ReadAheadBook):
            workbook.close()
    listed = "、".join(f"「{n}」" for n in names) or "(无)"
    raise SurveyImportError(
        f"工作簿中找不到摸排表:工作表 {listed} 的前{HEADER_SCAN_ROWS}行都没有“姓名”“证件号码”“是否务工”等表头。"
        "请使用导入模板填写"
    )


# ---- cells (pure: no database) -------------------------------------------------------------------------

_WORKING_EXTRA = {
    "务工": True,
    "已务工": True,
    "在外务工": True,
    "就业": True,
    "已就业": True,
    "在岗": True,
    "未务工": False,
    "未就业": False,
    "无业": False,
    "失业": False,
    "待业": False,
    "在家": False,
}
_MONEY = re.compile(r"^(\d+(?:\.\d+)?)(?:元|元/月|元每月)?$", re.ASCII)
# The wage bands' lower bounds (元 per month), in order: an amount falls in the last band it reaches.
WAGE_BOUNDS: tuple[tuple[int, str], ...] = (
    (0, "lt1000"),
    (1000, "1000_2000"),
    (2000, "2000_3000"),
    (3000, "3000_5000"),
    (5000, "5000_8000"),
    (8000, "ge8000"),
)
WAGE_MAX = 1_000_000  # a monthly wage above this is a typing error


def wage_band_of(amount: float) -> str:
    band = WAGE_BOUNDS[0][1]
    for low, code in WAGE_BOUNDS:
        if amount >= low:
            band = code
    return band


def parse_working(value: object) -> bool | None:
    """是否务工: 是/否 (and 务工/未务工, 就业/未就业 …). Empty → None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    key = "".join(rp.text(value).split())
    if key in _WORKING_EXTRA:
        return _WORKING_EXTRA[key]
    try:
        return rp.parse_bool(value)
    except ParseError:
        raise ParseError(f"是否务工「{rp.text(value)[:30]}」应填“是”或“否”") from None


def parse_willing(value: object) -> bool | None:
    try:
        return rp.parse_bool(value)
    except ParseError:
        raise ParseError(f"是否有就业意愿「{rp.text(value)[:30]}」应填“是”或“否”") from None


def parse_wage(value: object) -> str:
    """月工资收入: a band (its label, code or a variant), or an amount in 元 put in its band. Empty → ""."""
    if value is None or isinstance(value, bool):
        if value is None:
            return ""
        raise ParseError(f"月工资收入「{value}」应填收入档次或金额(元)")
    if isinstance(value, int | float):
        amount = float(value)
    else:
        text = "".join(rp.text(value).split())
        if not text:
            return ""
        found = _MONEY.match(text)
        if found is None:
            return str(e.parse("wage_band", value, label="月工资收入"))
        amount = float(found.group(1))
    if not math.isfinite(amount) or amount < 0 or amount > WAGE_MAX:
        raise ParseError(f"月工资收入「{rp.text(value)[:30]}」不是合理的月收入金额(元),请核对")
    return wage_band_of(amount)


def parse_months_worked(value: object) -> int | None:
    return rp.parse_int(value, low=0, high=12, label="本年务工月数")


def parse_month(value: object) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return e.month_parse(value)


def _dictionary(name: str, label: str) -> Callable[[object], str]:
    def parse(value: object) -> str:
        return str(e.parse(name, value, label=label))

    return parse


def _text(label: str, limit: int) -> Callable[[object], str]:
    def parse(value: object) -> str:
        return rp.parse_text(value, label=label, max_length=limit)

    return parse


def parse_name(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return rp.parse_name(value)


PARSERS: dict[str, Callable[[object], Any]] = {
    "name": parse_name,
    "month": parse_month,
    "working": parse_working,
    "place_tier": _dictionary("place_tier", "务工地域"),
    "employer": _text("就业单位(帮扶车间)", EMPLOYER_MAX),
    "channel": _dictionary("channel", "就业渠道"),
    "months_worked": parse_months_worked,
    "wage_band": parse_wage,
    "not_working_reason": _dictionary("not_working_reason", "未就业原因"),
    "willing": parse_willing,
    "note": _text("备注", NOTE_MAX),
    "county": rp.text,
    "township": rp.text,
    "village": rp.text,
}


def row_rules(month: dt.date | None, values: dict[str, Any], *, today: dt.date) -> list[tuple[str, str]]:
    """The rules of docs/domain.md §23 on one parsed row: (field, reason) of each refusal. `values` holds the
    parsed survey fields (None where the cell was empty or did not parse)."""
    problems: list[tuple[str, str]] = []
    current = dt.date(today.year, today.month, 1)
    if month is not None and month > current:
        problems.append(
            ("month", f"摸排月份{e.month_label(month)}晚于本月({e.month_label(current)}),不能摸排未来的月份")
        )
    working = values.get("working")
    if working is True:
        if not values.get("place_tier"):
            problems.append(("place_tier", "务工时须填写务工地域(县内 / 省内县外 / 省外 / 国外)"))
        if not values.get("channel"):
            problems.append(("channel", "务工时须填写就业渠道(如 自主就业、劳务输出、公益性岗位、帮扶车间)"))
    elif working is False:
        if not values.get("not_working_reason"):
            problems.append(("not_working_reason", "未务工时须填写未就业原因"))
        if values.get("willing") is None:
            problems.append(("willing", "未务工时须填写是否有就业意愿(是 / 否)"))
    months = values.get("months_worked")
    if month is not None and months is not None and months > month.month:
        problems.append(
            (
                "months_worked",
                f"本年务工月数({months})超过了{month.year}年到{month.month}月已过的月数({month.month}),请核对",
            )
        )
    return problems


# Where an error stands among a row's errors in the report (the order the checks were once run in, one pass
# after the other): the cells, column by column, then the required cells and the rules, then the database.
ORDER_ID = 0
ORDER_RULES = 20
ORDER_PERSON = 30
ORDER_ROLL = 40


@dataclass
class RowError:
    row: int  # as Excel shows it
    column: str  # the header as written ("" for the whole row)
    reason: str
    order: int = ORDER_RULES  # among the row's errors (ORDER_*)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class Parsed:
    """The book's data rows, column by column (None where a cell is empty or did not parse).

    Parsed in two steps: `parse_rows` reads the keys (ID number, name, month, places: what the database checks
    need), and `parse_survey` the answers and their rules for a span of rows, so that the import can parse the
    answers of the next rows while PostgreSQL stores the previous ones (`_check_and_write`)."""

    book: Book
    today: dt.date
    rows: list[list[Any]]  # the data rows as read, padded to the mapped width
    numbers: list[int]  # Excel row numbers
    index: list[int]  # each data row's index in `Book.rows`
    values: dict[str, list[Any]]
    months: list[dt.date | None]
    errors: list[RowError] = field(default_factory=list)
    bad_cells: set[tuple[int, str]] = field(default_factory=set)
    parsed_until: int = 0  # the answers are parsed for rows [0, parsed_until)

    def refuse(self, k: int, name: str, reason: str, order: int = ORDER_RULES) -> None:
        self.errors.append(
            RowError(self.numbers[k], self.book.header_of(name) if name else "", reason, order)
        )
        self.bad_cells.add((k, name))

    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors, key=lambda err: (err.row, err.order))


_FAILED = object()


def _parse_column(values: Sequence[Any], parser: Callable[[Any], Any]) -> tuple[list[Any], dict[int, str]]:
    """Parse a column once per distinct value. Returns (values, {index: reason}). Values are told apart by
    type too: True == 1 and False == 0 == 0.0 in Python, but a cell of TRUE is not the number 1."""
    keys = [(type(v), v) for v in values]
    outcomes: dict[tuple[type, Any], Any] = {}
    reasons: dict[tuple[type, Any], str] = {}
    for key in dict.fromkeys(keys):
        raw = key[1]
        if raw is None or raw == "":
            outcomes[key] = None
            continue
        try:
            outcomes[key] = parser(raw)
        except ParseError as exc:
            outcomes[key] = _FAILED
            reasons[key] = str(exc)
    parsed = list(map(outcomes.__getitem__, keys))
    if not reasons:
        return parsed, {}
    errors = {i: reasons[k] for i, k in enumerate(keys) if k in reasons}
    return [None if v is _FAILED else v for v in parsed], errors


def parse_ids(values: Sequence[Any], *, today: dt.date) -> tuple[list[str | None], dict[int, str]]:
    """证件号码 as the registry import reads them (`rp.parse_id_number`): clean text vectorised, the rest one
    by one. Returns (numbers, {index: reason}); an empty cell is an error (the column is required)."""
    numbers: list[str | None] = [None] * len(values)
    texts = [i for i, v in enumerate(values) if type(v) is str]
    if texts:
        fast, _, _ = rp.parse_id_numbers_fast([values[i] for i in texts], today=today)
        for k, i in enumerate(texts):
            numbers[i] = fast[k]
    errors: dict[int, str] = {}
    cache: dict[Any, str | None] = {}
    for i, v in enumerate(values):
        if numbers[i] is not None:
            continue
        if v is None or (isinstance(v, str) and not v.strip()):
            errors[i] = "证件号码为必填项,请填写18位身份证号"
            continue
        try:
            key = (type(v), v)
            if key not in cache:
                cache[key] = None
                cache[key] = rp.parse_id_number(v, today=today).number
            numbers[i] = cache[key]
        except ParseError as exc:
            errors[i] = str(exc)
        if numbers[i] is None and i not in errors:
            errors[i] = rp.EXCEL_NUMBER_ID if isinstance(v, int | float) else "证件号码无法识别,请核对"
    return numbers, errors


def _blank(cell: Any) -> bool:
    return cell is None or cell == "" or (type(cell) is str and not cell.strip())


# The cells the database checks need, parsed first for the whole book; the answers follow span by span.
KEY_FIELDS: tuple[str, ...] = ("name", "month", "county", "township", "village")
ANSWER_FIELDS: tuple[str, ...] = tuple(name for name in PARSERS if name not in KEY_FIELDS)
SPAN = 10_000  # rows of answers parsed at a time (`parse_survey`)


def _order(name: str) -> int:
    """A cell's place among a row's errors: the columns in the order of PARSERS, after the ID number."""
    return 1 + list(PARSERS).index(name)


assert 1 + len(PARSERS) < ORDER_RULES, "a cell's error must come before the rules' (RowError.order)"


def parse_rows(book: Book, *, month: dt.date | None, today: dt.date) -> Parsed:
    """The data rows of the book with their keys parsed (ID number, name, month, places; no database). `month`:
    the month given for the whole book (a filled 摸排月份 cell wins). The answers are parsed by `parse_survey`."""
    width = max(book.columns.values()) + 1
    mapped = list(book.columns.values())
    numbers: list[int] = []
    index: list[int] = []
    rows: list[list[Any]] = []
    for i in range(book.header_index + 1, len(book.rows)):
        raw = book.rows[i]
        if len(raw) < width:
            raw = raw + [None] * (width - len(raw))
        # A blank row: every mapped cell empty (the common filled row stops at its first cell).
        for j in mapped:
            cell = raw[j]
            if cell is not None and cell != "" and (type(cell) is not str or cell.strip()):
                break
        else:
            continue
        rows.append(raw)
        numbers.append(i + 1)
        index.append(i)
    n = len(rows)
    parsed = Parsed(book, today, rows, numbers, index, {}, [])
    values = parsed.values
    j = book.columns["id_number"]
    ids, bad = parse_ids([r[j] for r in rows], today=today)
    for k, reason in bad.items():
        parsed.refuse(k, "id_number", reason, ORDER_ID)
    values["id_number"] = ids
    for name in KEY_FIELDS:
        column_index = book.columns.get(name)
        if column_index is None:
            values[name] = [None] * n
            continue
        column, bad = _parse_column([r[column_index] for r in rows], PARSERS[name])
        for k, reason in bad.items():
            parsed.refuse(k, name, reason, _order(name))
        values[name] = column
    for name in ANSWER_FIELDS:
        values[name] = [None] * n
    names, month_column, bad_cells = values["name"], values["month"], parsed.bad_cells
    months = parsed.months
    for k in range(n):
        if names[k] is None and (k, "name") not in bad_cells:
            parsed.refuse(k, "name", "姓名为必填项,请填写")
        m = month_column[k] or month
        if m is None and (k, "month") not in bad_cells:
            parsed.refuse(
                k,
                "month" if "month" in book.columns else "",
                "请填写摸排月份(如 2026-10),或在导入时选择整本表的月份",
            )
        months.append(m)
    return parsed


def parse_survey(parsed: Parsed, start: int, stop: int) -> None:
    """Parse the answers of rows [start, stop) and hold them to the rules of §23 (no database)."""
    book, values, bad_cells = parsed.book, parsed.values, parsed.bad_cells
    rows = parsed.rows[start:stop]
    for name in ANSWER_FIELDS:
        column_index = book.columns.get(name)
        if column_index is None:
            continue
        column, bad = _parse_column([r[column_index] for r in rows], PARSERS[name])
        for k, reason in bad.items():
            parsed.refuse(start + k, name, reason, _order(name))
        values[name][start:stop] = column
    months, working = parsed.months, values["working"]
    tiers, channels, reasons, willing = (
        values["place_tier"],
        values["channel"],
        values["not_working_reason"],
        values["willing"],
    )
    worked = values["months_worked"]
    today = parsed.today
    current = dt.date(today.year, today.month, 1)
    for k in range(start, stop):
        m = months[k]
        w = working[k]
        if w is None and (k, "working") not in bad_cells:
            parsed.refuse(k, "working", "是否务工为必填项,请填写“是”或“否”")
        # The rules in full only for a row that may break one (most rows pass this test).
        if (
            m is not None
            and m <= current
            and (worked[k] is None or worked[k] <= m.month)
            and (
                (w is True and tiers[k] and channels[k])
                or (w is False and reasons[k] and willing[k] is not None)
            )
        ):
            continue
        row = {name: values[name][k] for name in SURVEY_FIELDS}
        for name, reason in row_rules(m, row, today=today):
            if (k, name) not in bad_cells:  # a cell that did not parse has said what is wrong already
                parsed.refuse(k, name, reason)
    parsed.parsed_until = max(parsed.parsed_until, stop)


def parse_all(parsed: Parsed) -> Parsed:
    """The answers of every row not parsed yet (the report must list every error of the book)."""
    n = len(parsed.numbers)
    for start in range(parsed.parsed_until, n, SPAN):
        parse_survey(parsed, start, min(n, start + SPAN))
    return parsed


# ---- the database checks -----------------------------------------------------------------------------------


class Found(NamedTuple):
    # A tuple, not a dataclass: a book of 100,000 rows builds 100,000 of them.
    pk: int
    name: str
    region_code: str
    household_id: int


def persons_by_id(numbers: Iterable[str], prefix: str) -> dict[str, Found]:
    """The persons of these ID numbers inside the subtree `prefix` (`batched.in_batches`), on the unique
    index of the number alone (a range on the region as well would let the planner scan the subtree's
    persons for every batch); the subtree is checked here."""
    wanted = sorted(set(numbers))
    out: dict[str, Found] = {}
    table = connection.ops.quote_name(Person._meta.db_table)
    with connection.cursor() as cursor:
        for condition, params in in_batches(wanted, "text"):
            cursor.execute(
                f"SELECT id_number, id, name, region_code, household_id FROM {table} WHERE id_number {condition}",  # noqa: S608 - the model's table; values are parameters
                params,
            )
            for row in cursor.fetchall():
                if row[3].startswith(prefix):
                    out[row[0]] = Found(row[1], row[2], row[3], row[4])
    return out


def common_prefix(codes: Iterable[str], floor: str) -> str:
    """The longest code prefix shared by `codes` (at least `floor`, the importer's subtree): the roll query
    reads only the area the book covers."""
    it = iter(codes)
    first = next(it, None)
    if first is None:
        return floor
    prefix = first
    for code in it:
        while not code.startswith(prefix):
            prefix = prefix[:-1]
            if len(prefix) <= len(floor):
                return floor
    for width in (12, 9, 6, 4, 2):  # a region's own prefix, not a cut in the middle of a level
        if len(prefix) >= width:
            return max(prefix[:width], floor, key=len)
    return floor


def on_roll_of(month: dt.date, prefix: str, persons: list[int]) -> set[int]:
    """Which of `persons` are on the roll of `month`: ONE query (the roll of the book's area, or of just these
    persons when they are few)."""
    qs = roll(month, prefix=prefix)
    if len(persons) <= BATCH:
        qs = qs.filter(pk__in=persons)
    # Run as SQL and fetched whole: the ORM's iteration in chunks of 100 rows costs more than the query.
    sql, params = qs.values_list("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = {row[0] for row in cursor.fetchall()}
    return found & set(persons) if len(persons) > BATCH else found


def place_problems(
    found: Found, given: dict[str, str], regions: dict[str, tuple[str, str]]
) -> list[tuple[str, str]]:
    """The optional 县 / 乡 / 村 cells against where the person lives: (field, reason) of each that differs."""
    code = found.region_code
    wanted = {
        "county": code[:6] + "000000",
        "township": code[:9] + "000",
        "village": code[:12],
    }
    levels = {"county": placenames.COUNTY, "township": placenames.TOWNSHIP, "village": placenames.VILLAGE}
    out: list[tuple[str, str]] = []
    for name, cell in given.items():
        if not cell:
            continue
        region = regions.get(wanted[name])
        if region is None:
            continue
        actual = region[0]
        key = placenames.clean(cell)
        if key == placenames.clean(actual) or set(placenames.short_names(key, levels[name])) & set(
            placenames.short_names(actual, levels[name])
        ):
            continue
        label = HEADERS[name]
        out.append((name, f"{label}「{cell}」与该人员登记的所在地「{actual}」不一致,请核对证件号码或{label}"))
    return out


# ---- writing --------------------------------------------------------------------------------------------

INSERT_FIELDS: tuple[str, ...] = (
    "person",
    "household",
    "region_code",
    "month",
    *SURVEY_FIELDS,
    "source",
    "batch",
    "recorded_by",
    "recorded_at",
)
INSERT_TRIGGER = "employment_count_insert"  # migration 0004
_MONTH, _CODE, _WORKING, _TIER, _CHANNEL, _BATCH = (
    INSERT_FIELDS.index(name)
    for name in ("month", "region_code", "working", "place_tier", "channel", "batch")
)
# Not household nor region_code: they are the person's at the time of recording (docs/domain.md §23), so a
# correction after a move keeps the month counted where it was recorded.
UPDATE_FIELDS: tuple[str, ...] = (
    *SURVEY_FIELDS,
    "source",
    "batch",
    "recorded_by",
    "recorded_at",
)


def _columns(fields: Sequence[str]) -> list[str]:
    out = []
    for name in fields:
        model_field = Employment._meta.get_field(name)
        assert isinstance(model_field, Field) and model_field.column  # a concrete column
        out.append(model_field.column)
    return out


def insert_records(rows: Iterable[tuple[Any, ...]]) -> int:
    """New records straight into the table: COPY on PostgreSQL (as dixian/registry/bulk.py), executemany on
    SQLite. The values are checked already, dates and times adapted to the database (`connection.ops`, done
    once per distinct value by the caller); bulk_create would spend most of the import preparing them.
    `rows` may be a generator: PostgreSQL stores each part of the COPY while the caller builds the next rows
    (the two run on both cores: docs/benchmarks.md "Survey workbook import"). Returns how many were inserted."""
    it = iter(rows)
    first = next(it, None)
    if first is None:
        return 0
    sqlite = connection.vendor == "sqlite"
    # Their place in the stored monthly count, added here, grouped, in the same transaction (migration 0004,
    # docs/domain.md §23 "Figures"): the insert trigger leaves rows with a batch to the import, and counts one
    # without; on SQLite the trigger is lifted while they go in (below), so every row is counted here.
    added: Counter[CountKey] = Counter()
    inserted = 0

    def counted() -> Iterator[tuple[Any, ...]]:
        nonlocal inserted
        for row in itertools.chain((first,), it):
            inserted += 1
            if sqlite or row[_BATCH] is not None:
                added[(row[_MONTH], row[_CODE], row[_WORKING], row[_TIER], row[_CHANNEL])] += 1
            yield row

    table = connection.ops.quote_name(Employment._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _columns(INSERT_FIELDS))
    with connection.cursor() as cursor:
        if not sqlite:
            # The raw psycopg cursor bypasses Django's error wrapping: a unique violation (someone recorded
            # the same person and month meanwhile) must still reach the caller as Django's IntegrityError.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in counted():
                    copy.write_row(row)
        else:
            listed = list(counted())
            # SQLite runs a row trigger for every row, even one its WHEN skips (~6 µs a row, a third of the
            # writing time: docs/benchmarks.md "Survey workbook import"). Inside this transaction the trigger is
            # dropped and created again from its own stored text: SQLite's schema changes are transactional and
            # its writers take turns, so no other writer ever runs without it, and a failure rolls the drop
            # back with the rows.
            with transaction.atomic():
                cursor.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [INSERT_TRIGGER]
                )
                trigger = cursor.fetchone()
                if trigger is not None:
                    cursor.execute(f"DROP TRIGGER {INSERT_TRIGGER}")
                sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(INSERT_FIELDS))})"  # noqa: S608 - the model's table and columns
                for i in range(0, len(listed), BATCH):
                    cursor.executemany(sql, listed[i : i + BATCH])
                if trigger is not None:
                    cursor.execute(trigger[0])
    counts_add(added)
    return inserted


def update_records(rows: list[tuple[Any, ...]]) -> None:
    """Replace stored records: rows are UPDATE_FIELDS values (adapted as for `insert_records`) followed by the
    record's pk."""
    if not rows:
        return
    table = connection.ops.quote_name(Employment._meta.db_table)
    sets = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in _columns(UPDATE_FIELDS))
    sql = f"UPDATE {table} SET {sets} WHERE id = %s"  # noqa: S608 - the model's table and columns
    with connection.cursor() as cursor:
        for i in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[i : i + BATCH])


class Stored(NamedTuple):
    pk: int
    region_code: str  # where the record was made (a correction keeps it)
    survey: tuple[Any, ...]  # its SURVEY_FIELDS values


def stored_records(months: dict[dt.date, list[int]]) -> dict[tuple[int, dt.date], Stored]:
    """(person, month) → the stored record of these persons and months: one query per month (per BATCH persons
    on SQLite, `batched.in_batches`), on the (person, month) unique index; raw SQL, because building a
    10,000-value IN list through the ORM costs more than running it."""
    out: dict[tuple[int, dt.date], Stored] = {}
    table = connection.ops.quote_name(Employment._meta.db_table)
    # Locked until the import commits, so a concurrent correction is not overwritten unseen (PostgreSQL; SQLite's
    # writers take turns).
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    columns = ", ".join(connection.ops.quote_name(c) for c in _columns(SURVEY_FIELDS))
    for month, persons in months.items():
        day = connection.ops.adapt_datefield_value(month)
        with connection.cursor() as cursor:
            for condition, params in in_batches(persons):
                cursor.execute(
                    f"SELECT id, person_id, region_code, {columns} FROM {table} WHERE month = %s AND person_id {condition}{lock}",  # noqa: S608 - the model's table and columns; values are parameters
                    [day, *params],
                )
                for (
                    pk,
                    person,
                    code,
                    working,
                    tier,
                    employer,
                    channel,
                    worked,
                    wage,
                    reason,
                    willing,
                    note,
                ) in cursor.fetchall():
                    # SQLite answers booleans as 0/1: stored values as the model holds them.
                    stored = (
                        bool(working),
                        tier,
                        employer,
                        channel,
                        worked,
                        wage,
                        reason,
                        None if willing is None else bool(willing),
                        note,
                    )
                    out[(person, month)] = Stored(pk, code, stored)
    return out


# ---- the import -------------------------------------------------------------------------------------------


def imports_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports" / "employment"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Outcome:
    created: int = 0
    replaced: int = 0
    unchanged: int = 0


def survey_import(
    *,
    path: Path,
    actor: User | None,
    scope: Region,
    file_name: str = "",
    month: dt.date | None = None,
    today: dt.date | None = None,
) -> SurveyImport:
    """Import the survey workbook at `path` within `scope` (the importing account's region). `month`: the
    month of the whole book (a filled 摸排月份 cell wins). Returns the SurveyImport row: done, or refused (with
    the error report's path relative to DATA_DIR when rows were in error)."""
    today = today or timezone.localdate()
    name = (file_name or path.name)[:255]
    checksum = sha256_file(path) if path.exists() else ""
    try:
        return _import(
            path=path, actor=actor, scope=scope, name=name, checksum=checksum, month=month, today=today
        )
    except Exception:  # noqa: BLE001 - never a 500: the log keeps the traceback
        logger.exception("survey import of %s failed unexpectedly", name)
        return _record(
            scope,
            actor,
            name,
            checksum,
            SurveyImport.Status.REFUSED,
            "导入时出现意外错误,未导入任何数据。请核对文件后重试;仍不成功请联系系统管理员。",
        )


def _record(
    scope: Region, actor: User | None, name: str, checksum: str, status: str, message: str, **values: Any
) -> SurveyImport:
    batch = SurveyImport.objects.create(
        file_name=name,
        checksum=checksum,
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
        region=scope,
        region_code=scope.code,
        status=status,
        message=message[:500],
        **values,
    )
    logger.info("survey import %s: %s %s", batch.pk, status, message)
    return batch


def _import(
    *,
    path: Path,
    actor: User | None,
    scope: Region,
    name: str,
    checksum: str,
    month: dt.date | None,
    today: dt.date,
) -> SurveyImport:
    try:
        book = read_book(path)
    except SurveyImportError as exc:
        return _record(scope, actor, name, checksum, SurveyImport.Status.REFUSED, str(exc))
    parsed = parse_rows(book, month=month, today=today)
    if not parsed.numbers:
        return _record(
            scope,
            actor,
            name,
            checksum,
            SurveyImport.Status.REFUSED,
            f"工作表「{book.sheet}」只有表头,没有数据行,请填写后再导入",
        )
    outcome = Outcome()
    try:
        with transaction.atomic():
            batch = _check_and_write(
                book, parsed, outcome, actor=actor, scope=scope, name=name, checksum=checksum, today=today
            )
    except _Refused:
        return _refuse(book, parsed, scope=scope, actor=actor, name=name, checksum=checksum)
    except IntegrityError:
        logger.info("survey import of %s met a concurrent write", name, exc_info=True)
        return _record(
            scope,
            actor,
            name,
            checksum,
            SurveyImport.Status.REFUSED,
            "导入时有人同时录入或导入了同一批人员同一月份的记录,未导入任何数据。请稍后重新导入。",
        )
    return batch


def _check_and_write(
    book: Book,
    parsed: Parsed,
    outcome: Outcome,
    *,
    actor: User | None,
    scope: Region,
    name: str,
    checksum: str,
    today: dt.date,
) -> SurveyImport:
    numbers, months = parsed.numbers, parsed.months
    ids = parsed.values["id_number"]
    names = parsed.values["name"]
    prefix = scope.prefix
    found = persons_by_id((n for n in ids if n), prefix)

    def refuse(k: int, field_name: str, reason: str, order: int = ORDER_PERSON) -> None:
        parsed.refuse(k, field_name, reason, order)

    where = scope.name
    person_of: list[Found | None] = [None] * len(numbers)
    first_row: dict[tuple[int, dt.date], int] = {}
    by_month: dict[dt.date, list[int]] = defaultdict(list)
    place_fields = [f for f in ("county", "township", "village") if f in book.columns]
    regions: dict[str, tuple[str, str]] = {}
    if place_fields:
        regions = {
            code: (rname, level)
            for code, rname, level in Region.objects.filter(
                code__gte=prefix, code__lt=prefix + "~"
            ).values_list("code", "name", "level")
        }
    for k, number in enumerate(ids):
        if number is None:
            continue
        person = found.get(number)
        if person is None:
            refuse(
                k,
                "id_number",
                f"在您的管辖范围({where})内找不到证件号码为「{number}」的人员,请核对证件号码,"
                "或先在农户信息库中登记该人员",
            )
            continue
        person_of[k] = person
        given = names[k]
        if given is not None and given != person.name:
            refuse(
                k, "name", f"姓名「{given}」与证件号码「{number}」登记的人员姓名不一致,请核对姓名和证件号码"
            )
        if place_fields:
            given_places: dict[str, str] = {f: parsed.values[f][k] or "" for f in place_fields}
            for f, reason in place_problems(person, given_places, regions):
                refuse(k, f, reason)
        m = months[k]
        if m is None:
            continue
        key = (person.pk, m)
        if key in first_row:
            refuse(
                k,
                "",
                f"与第 {first_row[key]} 行是同一人员同一月份({e.month_label(m)})的摸排记录:一人每月只有一条记录,"
                "请删除重复的行或改正月份",
            )
            continue
        first_row[key] = numbers[k]
        by_month[m].append(person.pk)
    # The roll: one query per month, over the area the book covers.
    area = common_prefix((p.region_code for p in person_of if p is not None), prefix)
    rolls = {m: on_roll_of(m, area, persons) for m, persons in by_month.items()}
    for k, person in enumerate(person_of):
        m = months[k]
        if person is None or m is None or m not in rolls:
            continue
        if person.pk not in rolls[m]:
            refuse(
                k,
                "",
                f"该人员不在{e.month_label(m)}的劳动力名册上(须为脱贫户或监测户成员,有劳动能力、在劳动年龄内、"
                "不在校,且部门未报死亡或迁出),不能录入就业摸排",
                ORDER_ROLL,
            )
    if parsed.errors:
        parse_all(parsed)  # the report lists every error of the book
        raise _Refused
    # Write: the book's records against the stored ones.
    stored = stored_records(by_month)
    now = timezone.now()
    ops = connection.ops
    now_db = ops.adapt_datetimefield_value(now)
    month_db = {m: ops.adapt_datefield_value(m) for m in by_month}
    batch = SurveyImport.objects.create(
        file_name=name,
        checksum=checksum,
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
        region=scope,
        region_code=scope.code,
        status=SurveyImport.Status.DONE,
        rows_total=len(numbers),
    )
    # The records' recorder is the batch's uploader (Employment.recorder): recorded_by stays empty.
    actor_id, batch_id = batch.uploaded_by_id, batch.pk
    changed: list[tuple[Any, ...]] = []
    logs: list[ChangeLog] = []
    actor_name = (
        (actor.get_full_name() or actor.username) if batch.uploaded_by_id and actor is not None else "系统"
    )
    touched: set[int] = set()
    touched_months: set[dt.date] = set()
    # Where the touched persons live and where their records were made: given to the receivers of
    # `survey_changed`, which would otherwise look both up again (signals.py).
    person_places: set[str] = set()
    record_places: set[str] = set()
    v = parsed.values
    source = Employment.Source.WORKBOOK
    n = len(numbers)

    def records() -> Iterator[tuple[Any, ...]]:
        """The new records' rows, span by span: the answers of a span parsed and checked, then its rows built
        and handed on as soon as each is ready (insert_records streams them to PostgreSQL's COPY, which stores
        them while the next span is parsed). Replaced ones are kept in `changed` and `logs`, unchanged ones
        counted. After a refused cell or rule no row is handed on; the rest is still parsed, for the report."""
        for start in range(0, n, SPAN):
            stop = min(n, start + SPAN)
            parse_survey(parsed, start, stop)
            if parsed.errors:
                continue
            yield from span(start, stop)

    def span(start: int, stop: int) -> Iterator[tuple[Any, ...]]:
        # Empty cells as the model stores them ("" for text, 0 months, None for willingness), column by column.
        surveys = zip(
            v["working"][start:stop],
            *([x or "" for x in v[f][start:stop]] for f in ("place_tier", "employer", "channel")),
            [x or 0 for x in v["months_worked"][start:stop]],
            [x or "" for x in v["wage_band"][start:stop]],
            [x or "" for x in v["not_working_reason"][start:stop]],
            v["willing"][start:stop],
            [x or "" for x in v["note"][start:stop]],
            strict=True,
        )
        for k, (person, (w, t, emp, ch, mw, wage, r, wl, note)) in enumerate(
            zip(person_of[start:stop], surveys, strict=True), start
        ):
            assert person is not None  # every row passed the checks
            m = months[k]
            assert m is not None
            # What does not apply to the answer is dropped, as the village form drops it (validation.normalised,
            # docs/domain.md §23): a worker keeps no reason or willingness, a non-worker no place, employer,
            # channel or wage.
            survey = (
                (w, "", "", "", mw, "", r, wl, note)
                if w is False
                else (w, t, emp, ch, mw, wage, "", None, note)
            )
            old = stored.get((person.pk, m))
            if old is None:
                record_places.add(person.region_code)
                touched.add(person.pk)
                touched_months.add(m)
                person_places.add(person.region_code)
                yield (
                    person.pk,
                    person.household_id,
                    person.region_code,
                    month_db[m],
                    *survey,
                    source,
                    batch_id,
                    None,
                    now_db,
                )
                continue
            if old.survey == survey:
                outcome.unchanged += 1
                continue
            changed.append((*survey, source, batch_id, None, now_db, old.pk))
            record_places.add(old.region_code)
            diff = {
                f: [before, after]
                for f, before, after in zip(SURVEY_FIELDS, old.survey, survey, strict=True)
                if before != after
            }
            logs.append(
                ChangeLog(
                    at=now,
                    actor_id=actor_id,
                    actor_name=actor_name,
                    source=ChangeLog.Source.IMPORT,
                    reference=f"survey_import:{batch.pk}",
                    entity="employment",
                    entity_id=old.pk,
                    household_id=person.household_id,
                    action=ChangeLog.Action.UPDATE,
                    summary=f"{CORRECTION}:{e.month_label(m)}(表格导入,第 {numbers[k]} 行)",
                    changes=diff,
                )
            )
            touched.add(person.pk)
            touched_months.add(m)
            person_places.add(person.region_code)

    outcome.created = insert_records(records())
    if parsed.errors:
        raise _Refused  # rolls back what was written
    update_records(changed)
    ChangeLog.objects.bulk_create(logs, batch_size=BATCH)
    outcome.replaced = len(changed)
    parts = [f"新增 {outcome.created} 条", f"更正 {outcome.replaced} 条"]
    if outcome.unchanged:
        parts.append(f"{outcome.unchanged} 条与已有记录相同,未重复登记")
    month_list = "、".join(e.month_label(m) for m in sorted(by_month))
    batch.message = f"已导入 {month_list} 的就业信息摸排 {len(numbers)} 行:" + ",".join(parts) + "。"
    batch.created, batch.replaced, batch.unchanged = outcome.created, outcome.replaced, outcome.unchanged
    batch.save(update_fields=["message", "created", "replaced", "unchanged"])
    if touched:
        # Once, inside the transaction (dixian/employment/signals.py): the key groups follow the records.
        survey_changed.send(
            sender=Employment,
            person_ids=sorted(touched),
            months=sorted(touched_months),
            person_places=person_places,
            record_places=record_places,
        )
    logger.info("survey import %s: %s", batch.pk, batch.message)
    return batch


def _refuse(
    book: Book, parsed: Parsed, *, scope: Region, actor: User | None, name: str, checksum: str
) -> SurveyImport:
    errors = parsed.sorted_errors()
    out = imports_dir() / f"{uuid.uuid4().hex}-错误报告.xlsx"
    write_report(book, errors[:REPORT_MAX_ERRORS], out)
    rows_in_error = len({err.row for err in errors})
    return _record(
        scope,
        actor,
        name,
        checksum,
        SurveyImport.Status.REFUSED,
        f"有 {rows_in_error} 行共 {len(errors)} 处错误,未导入任何数据。请下载错误报告,改正后重新导入整个文件。",
        rows_total=len(parsed.numbers),
        error_count=len(errors),
        errors=[err.as_dict() for err in errors[:ERROR_SAMPLE]],
        report_file=str(out.relative_to(Path(settings.DATA_DIR))),
    )


def write_report(book: Book, errors: list[RowError], out: Path) -> None:
    """The sheet as it was uploaded, the cells in error shaded, with 错误行号 / 错误列 / 错误原因; above
    REPORT_FULL_ROWS rows only the header and the rows in error."""
    by_row: dict[int, list[RowError]] = defaultdict(list)
    for err in errors:
        by_row[err.row].append(err)
    rows = book.rows
    width = max((len(r) for r in rows), default=0)
    keep = [j for j, h in enumerate(book.headers) if normalise_header(h) not in REPORT_COLUMNS]
    keep += list(range(len(book.headers), width))
    report = ErrorReport(out)
    report.sheet(book.sheet, len(keep), column_width=14)
    if "id_number" in book.columns and book.columns["id_number"] in keep:
        report.text_column(keep.index(book.columns["id_number"]), 22)
    whole = len(rows) <= REPORT_FULL_ROWS
    wanted = range(len(rows)) if whole else [*range(book.header_index + 1), *sorted(r - 1 for r in by_row)]
    for out_i, i in enumerate(wanted):
        row = rows[i]
        errs = by_row.get(i + 1, [])
        bad = {err.column for err in errs}
        for out_j, j in enumerate(keep):
            value = row[j] if j < len(row) else None
            if i == book.header_index:
                report.cell(out_i, out_j, value, header=True)
            else:
                header = book.headers[j] if j < len(book.headers) else ""
                report.cell(out_i, out_j, value, bad=bool(header) and header in bad)
        if i == book.header_index:
            report.header(out_i)
        elif errs:
            report.errors(out_i, i + 1, [err.column for err in errs], [err.reason for err in errs])
    report.freeze(book.header_index + 1)
    report.close()


# ---- the template ----------------------------------------------------------------------------------------


def _example_id(body17: str) -> str:
    # Made-up persons (no registry or test world holds them): the template is given to every account, and a
    # real person's number in it would be shown to accounts without the personal-data right.
    return body17 + idnumber.check_digit(body17)


EXAMPLES: list[list[object]] = [
    [
        "修水县",
        "义宁镇",
        "良塘村",
        "赵六",
        _example_id("36042419880315901"),
        "2026-10",
        "是",
        "省外",
        "东莞某电子厂",
        "劳务输出",
        10,
        "3000-5000元",
        "",
        "",
        "",
    ],
    [
        "修水县",
        "义宁镇",
        "良塘村",
        "钱七",
        _example_id("36042419910722902"),
        "2026-10",
        "否",
        "",
        "",
        "",
        0,
        "",
        "照料家庭",
        "是",
        "有意愿到帮扶车间务工",
    ],
]


def template_workbook(out: Any) -> None:
    """The blank survey workbook: the header with each column's note, two example rows, and a help sheet."""
    book = TemplateBook(out)
    choices = {
        "working": ("是", "否"),
        "willing": ("是", "否"),
        "place_tier": tuple(v.label for v in e.PLACE_TIER.values),
        "channel": tuple(v.label for v in e.CHANNEL.values),
        "wage_band": tuple(v.label for v in e.WAGE_BAND.values),
        "not_working_reason": tuple(v.label for v in e.NOT_WORKING_REASON.values),
    }
    columns = [
        TemplateColumn(
            c.header,
            max(10, len(c.header) * 2 + 6) if c.field != "id_number" else 22,
            c.required,
            c.note or ("别名:" + "、".join(c.aliases) if c.aliases else ""),
            None if c.field == "months_worked" else "text",
            choices.get(c.field, ()),
        )
        for c in COLUMNS
    ]
    book.input_sheet("摸排表", columns, EXAMPLES)
    book.notes_sheet(
        "填写说明",
        [("事项", 16), ("说明", 90)],
        [
            ("每行", "一名劳动力一个月的摸排情况;同一人同一月份只能有一行"),
            (
                "人员",
                "按证件号码找到农户信息库中的人员,姓名须一致;只能填写您管辖范围内、在该月劳动力名册上的人员",
            ),
            ("摸排月份", "每行填写,或整本表同一月份时在导入页面选择月份、本列留空;不能填写本月以后的月份"),
            ("务工", "务工的须填写务工地域和就业渠道;未务工的须填写未就业原因和是否有就业意愿"),
            ("本年务工月数", "不能超过摸排月份已过的月数(如10月最多10个月)"),
            ("月工资收入", "填写档次,或直接填写金额(元),导入时自动归入档次"),
            ("重复导入", "同一文件可重复导入,相同的记录不会重复登记;与已有记录不同的按更正处理并留痕"),
            ("全部或不导入", "任何一行有错误时整个文件都不导入,请下载错误报告改正后重新导入整个文件"),
        ],
    )
    book.close()


def template_bytes() -> bytes:
    buf = io.BytesIO()
    template_workbook(buf)
    return buf.getvalue()
