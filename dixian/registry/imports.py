"""The registry import: a county's workbook (one row per person) into households, persons and incomes.

`registry_import` reads the workbook with python-calamine, maps its headers (any order, the aliases of
template.py), parses every cell (parsing.py), checks each household across its member rows, and either
writes everything through `registry_bulk_upsert` in one transaction or writes nothing and gives back
the same sheet with three error columns (written with XlsxWriter). The ImportBatch row records the
outcome: imported, rejected (row errors, report written) or failed (the file could not be read).
"""

from __future__ import annotations

import csv
import functools
import gc
import hashlib
import io
import itertools
import logging
import operator
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dixian.common import uploads
from dixian.common.models import ChangeLog
from dixian.common.spreadsheets import REPORT_COLUMNS, ErrorReport, TemplateBook, TemplateColumn
from dixian.domain import dictionaries, household_facts, household_rules, idnumber
from dixian.domain.income import FIRST_INCOME_YEAR
from dixian.regions.models import Region

from . import choices as c
from . import findings, import_income
from . import parsing as p
from .bulk import INCOME_INPUT, BulkError, registry_bulk_upsert
from .import_places import NAME_FIELDS, parse_place_name, place_columns_problem, places_resolve
from .income_columns import DECLARED_NET, DECLARED_PER_CAPITA, EXTRA_MONEY
from .models import Finding, Household, ImportBatch
from .signals import households_imported_monitored
from .template import ACCEPTED, BY_FIELD, COLUMNS, header_lookup, normalise_header

if TYPE_CHECKING:
    from dixian.accounts.models import User

logger = logging.getLogger("dixian.import")

Progress = Callable[[int, int], None]

ERROR_SAMPLE = 20
HEADER_SCAN_ROWS = 10
MONEY = INCOME_INPUT
HOUSEHOLD_FIELDS = tuple(col.field for col in COLUMNS if col.level == "household")
INCOME_FIELDS = tuple(col.field for col in ACCEPTED if col.level == "income")
# Household-level columns that the head's row must fill (the others may leave them empty).
HEAD_REQUIRED = ("region_code", "kind")
# Household columns that are not fields of the household: 识别时间 feeds the monitoring case instead.
NOT_STORED = ("identified_on",)
LOOKUP_CHUNK = 5_000  # household numbers per IN list (within SQLite's and PostgreSQL's parameter limits)


def monitored_on_import(v: dict[str, list[Any]], heads: list[int]) -> dict[str, tuple[Any, str]]:
    """{household_no: (识别时间, 监测对象类别)} of the households the file names as already monitored."""
    if "identified_on" not in v or "monitoring_category" not in v:
        return {}
    return {
        v["household_no"][i]: (v["identified_on"][i], v["monitoring_category"][i])
        for i in heads
        if v["identified_on"][i] is not None and v["monitoring_category"][i]
    }


class ImportFileError(Exception):
    """The file cannot be read as a registry workbook at all; the message says why, in Chinese."""


@dataclass(order=True)
class RowError:
    row: int  # the row number as Excel shows it
    column: str  # the header as written in the file ("" when the error concerns the whole row)
    reason: str
    col_index: int | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]]  # every row of the sheet from row 1, as python-calamine returns them
    header_index: int  # 0-based index of the header row in `rows`
    columns: dict[str, int]  # field → column index
    headers: list[str]  # the header row as written
    unknown: list[str]  # headers that are not template columns (ignored)
    data_index: list[int] = field(default_factory=list)  # 0-based indexes of the non-empty data rows


# ---- reading ------------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _filled(row: list[Any]) -> bool:
    """Not every cell of the row `_is_empty` (its first cell usually settles it)."""
    for value in row:
        if value is None:
            continue
        if type(value) is not str or (value and not value.isspace()):
            return True
    return False


CSV_SUFFIXES = (".csv", ".txt")
HELP_SHEETS = ("填写说明", "填写示例")  # the template's own help sheets, never the registry sheet
CSV_SHEET = "农户信息"  # the name a csv file's one "sheet" goes by in messages and in the error report


def is_csv_upload(path: Path) -> bool:
    """A .csv/.txt file whose bytes are not a workbook's (a workbook renamed .csv is read as a workbook)."""
    if path.suffix.lower() not in CSV_SUFFIXES:
        return False
    with path.open("rb") as fh:
        head = fh.read(8)
    return not head.startswith((uploads.XLSX_SIGNATURE, uploads.OLE_SIGNATURE))


def _plausible_header(first_line: str) -> bool:
    """A GB18030 reading of a csv file found the template's headers on its first line (docs/security.md §2)."""
    lookup = header_lookup()
    cells = [cell for sep in (",", "\t", ";") for cell in first_line.split(sep)]
    return sum(1 for cell in cells if normalise_header(cell.strip('"')) in lookup) >= 2


def read_csv_rows(path: Path) -> list[list[Any]]:
    """A csv file's rows as text cells (empty cells ""), read through the bounded readers of uploads.py:
    UTF-8 (BOM or not), UTF-16 with a BOM or GBK/GB18030; comma, tab or semicolon separated."""
    limits = uploads.upload_limits()
    size = path.stat().st_size
    try:
        if size > limits.max_bytes:  # before the whole file is read into memory
            raise uploads.UploadRefused(
                f"文件大小为 {size / uploads.MB:,.0f} MB,超过了 {limits.max_bytes / uploads.MB:,.0f} MB 的上限,"
                "请分成几个文件上传。"
            )
        text = uploads.decode_csv(path.read_bytes(), plausible=_plausible_header)
        uploads.check_csv(text.encode("utf-8"), limits)
    except uploads.UploadRefused as exc:
        raise ImportFileError(exc.message) from None
    first_line = text[:4096].split("\n", 1)[0]
    separator = max((",", "\t", ";"), key=first_line.count)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    except csv.Error:
        raise ImportFileError(
            "无法按 CSV 格式读取该文件(引号不配对或格式有误)。请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"
        ) from None
    widest = max(map(len, rows), default=0)
    if widest > limits.max_columns:
        raise ImportFileError(
            f"文件有一行超过 {limits.max_columns:,} 列的上限。请只保留数据列后另存为新文件再上传。"
        )
    return rows


def read_sheet(path: Path) -> Sheet:
    """Find the registry sheet: the first worksheet with the template's headers in its first rows (a csv
    file is one sheet)."""
    try:
        size = path.stat().st_size
    except OSError:
        raise ImportFileError("找不到要导入的文件,请重新选择文件") from None
    if size == 0:
        raise ImportFileError("文件是空的(0 字节),请重新选择要导入的 Excel 文件")
    workbook: Any = None
    if is_csv_upload(path):
        csv_rows = read_csv_rows(path)
        names = [CSV_SHEET]
    else:
        try:
            # Bounded before calamine allocates anything (docs/security.md §2); the registry sheet is
            # parsed in parts as the check passes them (common/read_ahead.py, docs/benchmarks.md).
            workbook = uploads.open_workbook(path, read_ahead=lambda name: name not in HELP_SHEETS)
            names = list(workbook.sheet_names)
        except uploads.UploadRefused as exc:
            raise ImportFileError(exc.message) from None
        except Exception:  # noqa: BLE001 - calamine raises many kinds for a file that is not a workbook
            raise ImportFileError(
                "无法读取该文件:它不是 Excel 工作簿(.xlsx)。请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"
            ) from None
    lookup = header_lookup()
    best: tuple[int, str, list[list[Any]], int] | None = None
    try:
        for index, name in enumerate(names):
            if name in HELP_SHEETS:
                continue  # the template's own help sheets
            try:
                rows = csv_rows if workbook is None else uploads.sheet_rows(workbook, index)
            except Exception:  # noqa: BLE001 - a chart sheet or a damaged sheet: not ours
                logger.info("skipping unreadable sheet %r of %s", name, path.name)
                continue
            for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
                hits = sum(1 for cell in row if normalise_header(cell) in lookup)
                if hits >= 3 and (best is None or hits > best[0]):
                    best = (hits, name, rows, r)
            if best is not None:
                break
    finally:
        if isinstance(workbook, uploads.ReadAheadBook):
            workbook.close()  # parts of a sheet that was not asked for
    if best is None:
        listed = "、".join(f"「{n}」" for n in names) or "(无)"
        raise ImportFileError(
            f"工作簿中找不到农户信息表:工作表 {listed} 的前{HEADER_SCAN_ROWS}行都没有“户编号”“证件号码”等表头。"
            "请使用导入模板填写"
        )
    _, name, rows, header_index = best
    headers = ["" if h is None else str(h).strip() for h in rows[header_index]]
    columns: dict[str, int] = {}
    unknown: list[str] = []
    for j, header in enumerate(headers):
        key = normalise_header(header)
        if not key or key in REPORT_COLUMNS:
            continue
        column = lookup.get(key)
        if column is None:
            unknown.append(header)
        elif column.field in columns:
            first = headers[columns[column.field]]
            raise ImportFileError(
                f"表头「{first}」和「{header}」是同一列({column.header}),请删除其中一列后重新导入"
            )
        else:
            columns[column.field] = j
    missing = [col.header for col in COLUMNS if col.required and col.field not in columns]
    if missing:
        raise ImportFileError(
            f"工作表「{name}」缺少必填列:{'、'.join(missing)}。请使用导入模板,或把表头改成模板中的名称"
        )
    if problem := place_columns_problem(name, columns):
        raise ImportFileError(problem)
    sheet = Sheet(
        name=name, rows=rows, header_index=header_index, columns=columns, headers=headers, unknown=unknown
    )
    sheet.data_index = [i for i in range(header_index + 1, len(rows)) if _filled(rows[i])]
    if not sheet.data_index:
        raise ImportFileError(f"工作表「{name}」只有表头,没有数据行,请填写后再导入")
    return sheet


# ---- parsing every cell -----------------------------------------------------------------------------


def _choice(name: str) -> Callable[[Any], Any]:
    label = BY_FIELD[name].header
    return lambda v: p.parse_choice(name, v, label=label)


def _parsers() -> dict[str, Callable[[Any], Any]]:
    this_year = timezone.localdate().year
    parsers: dict[str, Callable[[Any], Any]] = {
        "household_no": lambda v: p.parse_code(v, label="户编号", max_length=24),
        "region_code": p.parse_region_code,
        "year_out_of_poverty": lambda v: p.parse_int(
            v,
            low=household_facts.POVERTY_EXIT_YEARS[0],
            high=household_facts.POVERTY_EXIT_YEARS[1],
            label="脱贫年度",
        ),
        "water_ok": p.parse_bool,
        "address": lambda v: p.parse_text(v, label="家庭住址", max_length=200),
        "name": p.parse_name,
        "id_number": functools.partial(p.parse_id_number, today=timezone.localdate()),
        "birth_date": p.parse_date,
        "identified_on": p.parse_date,
        "ethnicity": p.parse_ethnicity,
        "months_worked": lambda v: p.parse_int(v, low=0, high=12, label="务工时间(月)"),
        "dibao": p.parse_bool,
        "tekun": p.parse_bool,
        "phone": p.parse_phone,
        "year": lambda v: p.parse_int(v, low=FIRST_INCOME_YEAR, high=this_year, label="收入年度"),
        **dict.fromkeys(NAME_FIELDS, parse_place_name),
    }
    for name in dictionaries.DICTIONARIES:  # every coded column of a national dictionary (民族 has its own)
        parsers.setdefault(name, _choice(name))
    for name in (*MONEY, *EXTRA_MONEY):
        parsers[name] = p.parse_amount
    # A household's net income may be negative (production costs above income: docs/domain.md §2).
    parsers[DECLARED_NET] = import_income.parse_signed_amount
    return parsers


_FAILED = object()
# Columns with a vectorised first pass (parsing.Fast): mostly distinct values, where parsing once per
# distinct value saves nothing (docs/benchmarks.md "Issue 13, sixth try").
FAST_COLUMNS: dict[str, p.Fast] = {
    "household_no": p.fast_code(24),
    "name": p.FAST_NAME,
    "phone": p.FAST_PHONE,
    "address": p.fast_text(200),
}
FAST_MIN_ROWS = 1_000  # below this the plain path is as quick
FAST_DATES = ("birth_date",)  # 识别时间 is mostly empty: the plain path is quicker there


def _parse_column(
    values: list[Any], parser: Callable[[Any], Any], fast: p.Fast | None = None
) -> tuple[list[Any], dict[int, str]]:
    """Parse a column once per distinct value; empty cells become None. Returns (values, {index: reason}).

    With `fast`, the text cells it accepts are taken as they are (the parser would return them unchanged)
    and only the others are parsed; the outcome is the same (tests/test_parsing_fast_paths.py)."""
    if fast is not None and len(values) >= FAST_MIN_ROWS:
        accepted = _fast_accepted(values, fast)
        if accepted is not None:
            rest = [i for i, ok in enumerate(accepted) if not ok]
            parsed = list(values)
            if not rest:
                return parsed, {}
            slow, bad = _parse_column([values[i] for i in rest], parser)
            for k, i in enumerate(rest):
                parsed[i] = slow[k]
            return parsed, {rest[k]: reason for k, reason in bad.items()}
    outcomes: dict[Any, Any] = {}
    reasons: dict[Any, str] = {}
    for raw in dict.fromkeys(values):
        if raw is None or raw == "" or (isinstance(raw, str) and not raw.strip()):
            outcomes[raw] = None
            continue
        try:
            outcomes[raw] = parser(raw)
        except p.ParseError as exc:
            outcomes[raw] = _FAILED
            reasons[raw] = str(exc)
    parsed = list(map(outcomes.__getitem__, values))
    errors = {i: reasons[v] for i, v in enumerate(values) if v in reasons} if reasons else {}
    if errors:
        parsed = [None if v is _FAILED else v for v in parsed]
    return parsed, errors


def _text_series(values: list[Any]) -> pl.Series | None:
    """The column as a polars text series when every cell is text (else None: the plain path)."""
    if not all(type(v) is str for v in values):
        return None
    try:
        return pl.Series(values, dtype=pl.String)
    except Exception:  # noqa: BLE001 - text polars cannot hold (a lone surrogate): the plain path
        return None


def _fast_accepted(values: list[Any], fast: p.Fast) -> list[bool] | None:
    """Per cell, whether `fast` takes it as it is; None when the column is not all text."""
    s = _text_series(values)
    if s is None:
        return None
    ok = s.str.contains(fast.accept)
    if fast.reject is not None:
        ok = ok & ~s.str.contains(fast.reject)
    return ok.to_list()


def _parse_dates(values: list[Any], parser: Callable[[Any], Any]) -> tuple[list[Any], dict[int, str]]:
    """`_parse_column` for a date column: the text cells shaped 1980-01-01 that name a real date are read in
    one vectorised pass (as `parse_date` reads them, `date.fromisoformat`); the parser takes the rest."""
    s = _text_series(values) if len(values) >= FAST_MIN_ROWS else None
    if s is None:
        return _parse_column(values, parser)
    day = pl.col("s").str.to_date("%Y-%m-%d", strict=False)
    days = (
        pl.DataFrame({"s": s})
        # Year 0000 is a date to polars, not to Python (parse_date refuses it with its message).
        .select(
            pl.when(pl.col("s").str.contains(p.FAST_ISO_DATE) & (day.dt.year() >= 1)).then(day).alias("d")
        )
        .to_series()
    )
    parsed = days.to_list()
    rest = [i for i, d in enumerate(parsed) if d is None]
    if rest:
        slow, bad = _parse_column([values[i] for i in rest], parser)
        for k, i in enumerate(rest):
            parsed[i] = slow[k]
        return parsed, {rest[k]: reason for k, reason in bad.items()}
    return parsed, {}


def _parse_ids(
    values: list[Any], parser: Callable[[Any], Any]
) -> tuple[list[Any], list[Any], list[Any], dict[int, str]]:
    """ID numbers → (number, sex, birth date) columns: vectorised for clean cells, the parser for the rest."""
    numbers, sexes, births = p.parse_id_numbers_fast(values, today=timezone.localdate())
    rest = [i for i, v in enumerate(numbers) if v is None]
    if not rest:
        return numbers, sexes, births, {}
    slow, bad = _parse_column([values[i] for i in rest], parser)
    for k, i in enumerate(rest):
        if slow[k] is not None:
            numbers[i], sexes[i], births[i] = slow[k].number, slow[k].sex, slow[k].birth_date
    return numbers, sexes, births, {rest[k]: reason for k, reason in bad.items()}


@dataclass
class Parsed:
    rows: list[int]  # Excel row numbers of the data rows
    raw: list[list[Any]]  # the data rows' cells as read, padded to the mapped columns
    values: dict[str, list[Any]]  # field → parsed value per data row (None when empty or invalid)
    errors: list[RowError]
    income: import_income.IncomeBlock | None = None  # set by build_frames


def parse_sheet(sheet: Sheet, *, tick: Callable[[float], None] | None = None) -> Parsed:
    rows = [sheet.rows[i] for i in sheet.data_index]
    width = max(sheet.columns.values()) + 1
    rows = [r if len(r) >= width else [*r, *([None] * (width - len(r)))] for r in rows]
    excel_rows = [i + 1 for i in sheet.data_index]
    parsers = _parsers()
    values: dict[str, list[Any]] = {}
    errors: list[RowError] = []
    fields = list(sheet.columns)
    by_column = list(zip(*rows, strict=True))
    for n, name in enumerate(fields):
        j = sheet.columns[name]
        column = list(by_column[j])
        if name == "id_number":
            parsed, values["_id_sex"], values["_id_birth"], bad = _parse_ids(column, parsers[name])
        elif name in FAST_DATES:
            parsed, bad = _parse_dates(column, parsers[name])
        else:
            parsed, bad = _parse_column(column, parsers[name], FAST_COLUMNS.get(name))
        values[name] = parsed
        header = sheet.headers[j]
        errors.extend(RowError(excel_rows[i], header, reason, j) for i, reason in bad.items())
        if tick:
            tick((n + 1) / len(fields))
    return Parsed(rows=excel_rows, raw=rows, values=values, errors=errors)


# ---- checks across cells and rows ------------------------------------------------------------------------


def _check_rows(sheet: Sheet, parsed: Parsed, *, region: Region) -> list[RowError]:
    """Required cells, ID facts, per-person rules, household consistency, duplicates, regions."""
    v, rows, cols, headers = parsed.values, parsed.rows, sheet.columns, sheet.headers
    errors: list[RowError] = places_resolve(sheet, parsed, scope=region)  # names → v["region_code"]
    raw_rows = parsed.raw
    invalid = {(e.row, e.col_index) for e in parsed.errors}

    def add(i: int, name: str | None, reason: str) -> None:
        j = cols.get(name) if name else None
        header = headers[j] if j is not None else (BY_FIELD[name].header if name else "")
        errors.append(RowError(rows[i], header, reason, j))

    def empty(i: int, name: str) -> bool:
        j = cols.get(name)
        return j is None or _is_empty(raw_rows[i][j])

    def failed(i: int, name: str) -> bool:
        return (rows[i], cols.get(name)) in invalid

    for name in ("household_no", "name", "id_number", "relation", "labour_skill"):
        column = list(map(operator.itemgetter(cols[name]), raw_rows))
        # The blank values among the column's distinct ones first: most columns have none.
        blank = {x for x in dict.fromkeys(column) if x is None or x == "" or (type(x) is str and x.isspace())}
        if blank:
            for i, x in enumerate(column):
                if x in blank:
                    add(i, name, f"{BY_FIELD[name].header}为必填项,请填写")

    ids, id_sex, id_birth = v["id_number"], v["_id_sex"], v["_id_birth"]
    if "sex" in v:
        for i, (given, derived) in enumerate(zip(v["sex"], id_sex, strict=True)):
            if given is not None and derived is not None and given != derived:
                add(
                    i,
                    "sex",
                    f"性别与证件号码不一致(证件号码显示为{c.Sex(derived).label}),性别可不填,由证件号码得出",
                )
    if "birth_date" in v:
        for i, (given, derived) in enumerate(zip(v["birth_date"], id_birth, strict=True)):
            if given is not None and derived is not None and given != derived:
                add(
                    i,
                    "birth_date",
                    f"出生日期与证件号码不一致(证件号码显示为 {derived.isoformat()}),出生日期可不填",
                )
    # The person rules are findings, not errors (registry.findings, docs/domain.md §14).

    # Duplicate ID numbers within the file.
    seen: dict[str, int] = {}
    for i, number in enumerate(ids):
        if number is None:
            continue
        first = seen.setdefault(number, i)
        if first != i:
            add(i, "id_number", f"证件号码与第 {rows[first]} 行重复(同一人只能出现一次),请删除其中一行")
            add(first, "id_number", f"证件号码与第 {rows[i]} 行重复(同一人只能出现一次),请删除其中一行")

    # Households: exactly one head, household-level cells agree with the head's row.
    members: dict[str, list[int]] = defaultdict(list)
    for i, no in enumerate(v["household_no"]):
        if no:
            members[no].append(i)
    relation = v["relation"]
    household_fields = [f for f in (*HOUSEHOLD_FIELDS, *INCOME_FIELDS) if f in cols and f != "household_no"]
    differing = _differing_households(v, members, relation, household_fields)
    heads_by_no: dict[str, int] = {}
    for no, idx in members.items():
        heads = [i for i in idx if relation[i] == c.Relation.HEAD]
        if not heads:
            if not any(failed(i, "relation") or empty(i, "relation") for i in idx):
                add(idx[0], "relation", f"户编号「{no}」没有户主:请在该户一名成员的“与户主关系”中填写“户主”")
            continue
        if len(heads) > 1:
            listed = "、".join(str(rows[i]) for i in heads)
            for i in heads[1:]:
                add(i, "relation", f"户编号「{no}」有多名户主(第 {listed} 行),每户只能有一名户主")
        head = heads[0]
        for name in HEAD_REQUIRED:
            if empty(head, name) and not failed(head, name):
                if name == "region_code" and not empty(head, "village_name"):
                    continue  # placed by name (import_places)
                if name == "region_code" and "region_code" not in cols:
                    add(head, "village_name", "户主所在行的行政村为必填项(或填写行政区划代码),请填写")
                    continue
                add(head, name, f"户主所在行的{BY_FIELD[name].header}为必填项,请填写")
        if len(idx) > 1 and no in differing.get("", ()):
            for name in household_fields:
                values = v[name]
                ref = values[head]
                if no in differing.get(name, ()) and not failed(head, name):
                    for i in idx:
                        if i == head or values[i] is None or values[i] == ref:
                            continue
                        shown = p.text(raw_rows[i][cols[name]])
                        add(
                            i,
                            name,
                            f"「{shown}」与本户户主所在行(第 {rows[head]} 行)不一致;同一户的户级信息应相同,或只在户主行填写",
                        )
        _household_rules(v, head, add, failed)
        heads_by_no[no] = head

    _check_regions(v, members, relation, add, region)
    _check_monitoring(v, heads_by_no, add)
    return errors


def _differing_households(
    v: dict[str, list[Any]], members: dict[str, list[int]], relation: list[Any], fields: list[str]
) -> dict[str, set[str]]:
    """{field: household numbers where some member's value is filled and differs from the first head's};
    the household numbers of every field together under the key "" (absent when none differs).

    The per-household check above compares only these households, member by member, so that its
    messages come from one place. Here the comparison runs over whole columns with C-level `map`
    (`operator.ne`, `operator.is_not`) instead of one Python generator per household and field: 0.8 s
    less for the county (docs/benchmarks.md, "Issue 13, fourth try")."""
    heads_of: list[int] = []  # per member row other than the head, in multi-member households with a head
    others: list[int] = []
    for idx in members.values():
        if len(idx) > 1:
            head = next((i for i in idx if relation[i] == c.Relation.HEAD), None)
            if head is not None:
                for i in idx:
                    if i != head:
                        others.append(i)
                        heads_of.append(head)
    household_no = v["household_no"]
    differing: dict[str, set[str]] = {}
    for name in fields:
        get = v[name].__getitem__
        values = list(map(get, others))
        if values.count(None) == len(values):  # members leave it to the head's row
            continue
        refs = list(map(get, heads_of))
        if refs == values:  # every member repeats the head's value (list equality tries identity first)
            continue
        filled = map(operator.is_not, values, itertools.repeat(None))
        rows = itertools.compress(others, map(operator.and_, filled, map(operator.ne, values, refs)))
        found = {household_no[i] for i in rows}
        if found:
            differing[name] = found
    if differing:
        differing[""] = set().union(*differing.values())
    return differing


def _check_monitoring(
    v: dict[str, list[Any]], heads: dict[str, int], add: Callable[[int, str | None, str], None]
) -> None:
    """监测对象类别 is the monitoring case's (docs/domain.md §20): an import may not change it on a household
    already registered, except as the national system's record of a household it monitors (with 识别时间,
    which makes the household a case in 监测帮扶中). 识别时间 needs a category, and may not be in the future."""
    if "monitoring_category" not in v and "identified_on" not in v:
        return
    categories = v.get("monitoring_category") or [None] * len(v["household_no"])
    identified = v.get("identified_on") or [None] * len(v["household_no"])
    today = timezone.localdate()
    for head in heads.values():
        on = identified[head]
        if on is not None and not categories[head]:
            add(head, "identified_on", "填写了识别时间的农户,请同时填写监测对象类别")
        if on is not None and on > today:
            add(head, "identified_on", "识别时间不能晚于今天")
    numbers = list(heads) if Household.objects.exists() else []  # none stored: a first import
    stored: dict[str, str] = {}
    for i in range(0, len(numbers), LOOKUP_CHUNK):
        stored.update(
            Household.objects.filter(household_no__in=numbers[i : i + LOOKUP_CHUNK]).values_list(
                "household_no", "monitoring_category"
            )
        )
    for no, head in heads.items():
        if no not in stored or "monitoring_category" not in v:
            continue
        new = categories[head] or ""
        if new != stored[no] and not (new and identified[head] is not None):
            add(
                head,
                "monitoring_category",
                "已登记农户的监测对象类别只能随监测帮扶档案(识别纳入、风险消除)变更,不能通过导入修改;"
                "全国系统已识别的监测对象请同时填写识别时间",
            )


def _household_rules(
    v: dict[str, list[Any]],
    head: int,
    add: Callable[[int, str | None, str], None],
    failed: Callable[[int, str], bool],
) -> None:
    """The household rules (domain.household_rules, as the household form), on the head row. (An income
    without 收入年度 is of the previous year: import_income.)"""
    get = lambda name: v[name][head] if name in v else None  # noqa: E731
    for name, message in household_rules.household_problems(
        get("kind"), get("year_out_of_poverty"), get("monitoring_category")
    ):
        add(head, name, message)


def _check_regions(
    v: dict[str, list[Any]],
    members: dict[str, list[int]],
    relation: list[Any],
    add: Callable[[int, str | None, str], None],
    scope: Region,
) -> None:
    codes = {code for code in v["region_code"] if code}
    found = {r.code: r for r in Region.objects.filter(code__in=codes)} if codes else {}
    # A retired unit keeps the households it has and takes no new one (docs/domain.md §19): a household
    # already registered there may stay in the book unchanged; one new to it is refused.
    retired = {code for code, r in found.items() if r.retired_on is not None}
    staying: set[tuple[str, str]] = set()
    if retired:
        # In chunks, as the other look-ups: a county's numbers may exceed a statement's parameter limit
        # (SQLite's upstream default is 32,766, https://www.sqlite.org/limits.html; builds vary).
        numbers = list(members)
        for i in range(0, len(numbers), LOOKUP_CHUNK):
            staying.update(
                Household.objects.filter(
                    region__code__in=retired, household_no__in=numbers[i : i + LOOKUP_CHUNK]
                ).values_list("household_no", "region__code")
            )
    for no, idx in members.items():
        heads = [i for i in idx if relation[i] == c.Relation.HEAD]
        i = heads[0] if heads else idx[0]
        code = v["region_code"][i]
        if not code:
            continue
        region = found.get(code)
        if not scope.contains(code):
            add(
                i,
                "region_code",
                f"行政区划代码「{code}」不在您的管辖范围内({scope.full_name or scope.name}),"
                "请删除该户或由上级账号导入",
            )
        elif region is None:
            add(
                i,
                "region_code",
                f"行政区划代码「{code}」在系统中不存在,请核对;如确为新设村(组),请联系管理员添加",
            )
        elif region.level not in (Region.Level.VILLAGE, Region.Level.GROUP):
            add(
                i,
                "region_code",
                f"行政区划代码「{code}」是{region.get_level_display()}级,请填写农户所在村或村民小组的代码",
            )
        elif code in retired and (no, code) not in staying:
            add(
                i,
                "region_code",
                f"{region.full_name or region.name}({code})已于 {region.retired_on} 撤销,不能再登记新的农户,"
                "请填写农户现在所在的村(组)",
            )


# ---- frames for the bulk writer ---------------------------------------------------------------------------


def build_frames(sheet: Sheet, parsed: Parsed) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    v, cols = parsed.values, sheet.columns
    relation = v["relation"]
    heads = [i for i, r in enumerate(relation) if r == c.Relation.HEAD]
    h_fields = [
        "household_no",
        *[f for f in HOUSEHOLD_FIELDS if f in v and f not in ("household_no", *NAME_FIELDS, *NOT_STORED)],
    ]
    households = pl.DataFrame({f: [v[f][i] for i in heads] for f in h_fields}, strict=False)
    if "phone" in cols:
        households = households.with_columns(
            pl.Series("phone", [v["phone"][i] or "" for i in heads], pl.String)
        )
    person_fields = [
        col.field
        for col in COLUMNS
        if col.level == "person" and col.field in cols and col.field not in ("id_number", "sex", "birth_date")
    ]
    persons = pl.DataFrame(
        {
            "household_no": v["household_no"],
            "id_number": v["id_number"],
            "sex": v["_id_sex"],
            "birth_date": pl.Series(v["_id_birth"], dtype=pl.Date),
            **{f: v[f] for f in person_fields},
        },
        strict=False,
    )
    if "disability_grade" in persons.columns:
        persons = persons.with_columns(pl.col("disability_grade").cast(pl.Int64))
    # Whichever income columns the book carries (import_income); kept on `parsed` for the report.
    members = persons.group_by("household_no").agg(pl.len().cast(pl.Int64).alias("members"))
    parsed.income = import_income.income_block(v, list(cols), heads, members, today=timezone.localdate())
    return households, persons, parsed.income.bulk


# ---- the report workbook ------------------------------------------------------------------------------


def write_report(sheet: Sheet, errors: list[RowError], out: Path) -> None:
    """The uploaded sheet, row for row, plus 错误行号 / 错误列 / 错误原因; cells in error shaded."""
    by_row: dict[int, list[RowError]] = defaultdict(list)
    for e in errors:
        by_row[e.row].append(e)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = ErrorReport(out)
    width = len(sheet.headers)
    report.sheet(sheet.name or "农户信息", width)
    id_col = sheet.columns.get("id_number")
    if id_col is not None:
        report.text_column(id_col, 22)
    for i, row in enumerate(sheet.rows):
        excel_row = i + 1
        row_errors = by_row.get(excel_row, [])
        shaded = {e.col_index for e in row_errors if e.col_index is not None}
        if i == sheet.header_index:
            report.header(i, [row[j] if j < len(row) else None for j in range(width)])
            continue
        for j in range(width):
            report.cell(i, j, row[j] if j < len(row) else None, bad=j in shaded)
        if row_errors:
            reasons = [f"{e.column}:{e.reason}" if e.column else e.reason for e in row_errors]
            report.errors(i, excel_row, (e.column for e in row_errors), reasons)
    report.freeze(sheet.header_index + 1)
    report.close()


# ---- the service ---------------------------------------------------------------------------------------


def imports_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


class _Stages:
    """Maps the stages onto one row count: reading 0–30 %, checking 30–50 %, writing 50–100 %."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.total = 0

    def __call__(self, fraction: float) -> None:
        if self.progress is not None:
            self.progress(min(int(self.total * fraction), self.total), self.total)


def registry_import(
    *,
    path: Path | str,
    actor: User | None,
    region: Region,
    progress: Progress | None = None,
    batch: ImportBatch | None = None,
    file_name: str | None = None,
) -> ImportBatch:
    """Import one workbook into `region`'s subtree; returns the ImportBatch with the outcome.

    Never raises for a bad file: the batch is `failed` (unreadable, with the reason in `message`) or
    `rejected` (row errors; `report_file` holds the workbook with the error columns).
    """
    path = Path(path)
    if batch is None:
        batch = ImportBatch.objects.create(
            file_name=(file_name or path.name)[:255],
            stored_file=str(path)[:500],
            checksum="",
            uploaded_by=actor if actor is not None and actor.is_authenticated else None,
            region=region,
        )
    batch.status = ImportBatch.Status.RUNNING
    batch.save(update_fields=["status", "updated_at"])
    stages = _Stages(progress)
    # The sheet is millions of live Python objects (one per cell) and the import allocates little that
    # is cyclic: the collector's full passes over that heap cost about a second per county and free
    # nothing. Off for the duration, back on afterwards (if it was on).
    collecting = gc.isenabled()
    gc.disable()
    try:
        _run(batch, path, actor, region, stages)
    except ImportFileError as exc:
        _finish(batch, ImportBatch.Status.FAILED, str(exc))
    except Exception:
        # The caller logs the traceback (the job runner to the log; the command only with -v 2).
        _finish(
            batch, ImportBatch.Status.FAILED, "导入时出现意外错误,未导入任何数据。错误已记录,请联系管理员。"
        )
        raise
    finally:
        if collecting:
            gc.enable()
    return batch


def _finish(batch: ImportBatch, status: str, message: str, **values: Any) -> None:
    batch.status = status
    batch.message = message[:500]
    for name, value in values.items():
        setattr(batch, name, value)
    batch.save()


def _run(batch: ImportBatch, path: Path, actor: User | None, region: Region, stages: _Stages) -> None:
    try:
        batch.checksum = sha256_file(path)
    except OSError:
        raise ImportFileError("找不到要导入的文件,请重新上传") from None
    stages(0)
    sheet = read_sheet(path)
    stages.total = len(sheet.data_index)
    batch.rows_total = stages.total
    batch.save(update_fields=["checksum", "rows_total", "updated_at"])
    stages(0.3)
    parsed = parse_sheet(sheet, tick=lambda f: stages(0.3 + 0.15 * f))
    row_errors = _check_rows(sheet, parsed, region=region)
    errors = parsed.errors + row_errors
    stages(0.5)
    note = f"已忽略无法识别的列:{'、'.join(sheet.unknown)}。" if sheet.unknown else ""
    if not errors:
        households, persons, incomes = build_frames(sheet, parsed)
        income = parsed.income
        try:
            # The findings are brought in line in the transaction of the write (registry.findings).
            with transaction.atomic():
                result = registry_bulk_upsert(
                    households=households,
                    persons=persons,
                    incomes=incomes,
                    actor=actor,
                    source=ChangeLog.Source.IMPORT,
                    reference=f"import:{batch.pk}",
                    progress=lambda done, total: stages(0.5 + 0.5 * done / max(total, 1)),
                    scope_prefix=region.prefix,
                )
                # Households the national system already monitors become cases in 监测帮扶中 with their
                # 识别时间 (monitoring connects to this, in this transaction: docs/architecture.md).
                monitored = monitored_on_import(
                    parsed.values,
                    [i for i, r in enumerate(parsed.values["relation"]) if r == c.Relation.HEAD],
                )
                if monitored:
                    numbers = list(monitored)
                    pks: dict[str, int] = {}
                    for i in range(0, len(numbers), LOOKUP_CHUNK):
                        pks.update(
                            Household.objects.filter(
                                household_no__in=numbers[i : i + LOOKUP_CHUNK]
                            ).values_list("household_no", "pk")
                        )
                    households_imported_monitored.send(
                        sender=Household,
                        households={pks[no]: value for no, value in monitored.items()},
                        actor=actor,
                    )
                checked = findings.findings_check(
                    persons=findings.completed(persons, persons=True, scope_prefix=region.prefix),
                    households=findings.completed(households, persons=False, scope_prefix=region.prefix),
                    incomes=income.check if income is not None and income.check.height else None,
                )
                findings.findings_apply(
                    checked,
                    open_findings=Finding.objects.filter(household__region_code__startswith=region.prefix),
                    actor=actor,
                    source=Finding.Source.IMPORT,
                    batch=batch,
                )
        except BulkError as exc:
            errors = _bulk_errors(exc, sheet, parsed)
        else:
            message = (
                f"已导入 {len(sheet.data_index)} 行:新增 {result.households_created} 户、{result.persons_created} 人,"
                f"更新 {result.households_updated} 户、{result.persons_updated} 人"
                + (f"(其中迁移 {result.persons_moved} 人)" if result.persons_moved else "")
                + (
                    "。"
                    if result.households_updated
                    or result.persons_updated
                    or result.households_created
                    or result.persons_created
                    else ",与系统中的数据相同,没有变化。"
                )
                + note
            )
            warnings = income.warnings if income is not None else []
            found = _findings_report(batch, sheet, parsed, checked)
            if checked.findings.height:
                # Counted, not named: a rule's name may tell of health (shown per viewer on the page).
                message += (
                    f"发现疑点 {checked.findings.height} 处,已照常导入,请查看疑点清单或在农户页面核实。"
                )
            message += "".join(f"{w}。" for w in warnings)
            _finish(
                batch,
                ImportBatch.Status.IMPORTED,
                message,
                warnings=warnings,
                finding_count=checked.findings.height,
                **found,
                rows_done=len(sheet.data_index),
                error_count=0,
                households_created=result.households_created,
                households_updated=result.households_updated,
                persons_created=result.persons_created,
                persons_updated=result.persons_updated,
                errors=[],
            )
            stages(1)
            return
    errors.sort()
    report = imports_dir() / f"{batch.pk}-错误报告.xlsx"
    write_report(sheet, errors, report)
    bad_rows = len({e.row for e in errors})
    message = (
        f"发现 {len(errors)} 处错误(涉及 {bad_rows} 行),未导入任何数据。"
        "请下载错误报告,按“错误原因”列修改后重新导入。" + note
    )
    _finish(
        batch,
        ImportBatch.Status.REJECTED,
        message,
        error_count=len(errors),
        rows_done=0,
        report_file=str(report.relative_to(Path(settings.DATA_DIR))),
        errors=[e.as_dict() for e in errors[:ERROR_SAMPLE]],
    )
    stages(1)


def _findings_report(
    batch: ImportBatch, sheet: Sheet, parsed: Parsed, checked: findings.Checked
) -> dict[str, Any]:
    """The findings' summary for the result page and the sheet listing every one with its row."""
    if not checked.findings.height:
        return {"findings": {}, "findings_file": ""}
    v, rows, cols = parsed.values, parsed.rows, sheet.columns
    flagged = set(checked.findings.get_column("id_number").drop_nulls().to_list())
    by_person: dict[str, int] = {}
    names: dict[str, str] = {}
    for i, number in enumerate(v["id_number"]):
        if number in flagged:
            by_person[number] = rows[i]
            names[number] = v["name"][i] or ""
    by_household: dict[str, int] = {}
    for i, (no, relation) in enumerate(zip(v["household_no"], v["relation"], strict=True)):
        if no and (relation == c.Relation.HEAD or no not in by_household):
            by_household[no] = rows[i]
    headers = {
        **{name: column.header for name, column in BY_FIELD.items()},
        **{name: sheet.headers[j] for name, j in cols.items()},
    }
    # The income findings name the stored figure; the book's column is the declared one.
    headers["net_income"] = headers[DECLARED_NET]
    headers["net_income_per_capita"] = headers[DECLARED_PER_CAPITA]
    located = findings.findings_with_rows(checked, by_person, by_household)
    out = imports_dir() / f"{batch.pk}-疑点清单.xlsx"
    findings.write_findings_report(located, out, headers=headers, names=names)
    return {
        "findings": findings.findings_summary(located, headers, checked.counts()),
        "findings_file": str(out.relative_to(Path(settings.DATA_DIR))),
    }


def _bulk_errors(exc: BulkError, sheet: Sheet, parsed: Parsed) -> list[RowError]:
    """Problems found against the database (scope, unknown household), placed on their rows."""
    v, rows, cols, headers = parsed.values, parsed.rows, sheet.columns, sheet.headers
    by_person = {number: i for i, number in enumerate(v["id_number"]) if number is not None}
    by_household: dict[str, int] = {}
    for i, no in enumerate(v["household_no"]):
        if no and (no not in by_household or v["relation"][i] == c.Relation.HEAD):
            by_household.setdefault(no, i)
    errors = []
    for problem in exc.problems:
        if problem.entity == "person" and problem.key in by_person:
            i, name = by_person[problem.key], "id_number"
        else:
            i, name = by_household.get(problem.key.split("/")[0], 0), "household_no"
        errors.append(RowError(rows[i], headers[cols[name]], problem.message, cols[name]))
    return errors


# ---- background job and template download ---------------------------------------------------------------


def registry_import_job(job: Any, progress: Progress) -> None:
    """The `registry_import` job: run the import of an uploaded workbook recorded on an ImportBatch."""
    from dixian.common.jobs import JobError

    batch = ImportBatch.objects.select_related("region").get(pk=job.params["batch_id"])
    path = Path(settings.DATA_DIR) / batch.stored_file
    registry_import(path=path, actor=job.owner, region=batch.region, progress=progress, batch=batch)
    if batch.status == ImportBatch.Status.FAILED:
        raise JobError(batch.message)
    job.message = batch.message[:500]


def _example_id(body17: str) -> str:
    return body17 + idnumber.check_digit(body17)


# Obviously fake: household number 示例…, people born on 1900-01-01 in 北京东城 (110101).
TEMPLATE_EXAMPLES: tuple[dict[str, Any], ...] = (
    {
        "household_no": "示例0000000001",
        "region_code": "360424100201",
        "kind": "脱贫户",
        "year_out_of_poverty": 2018,
        "monitoring_category": "",
        "housing_grade": "B",
        "water_ok": "是",
        "address": "示例村一组",
        "name": "示例户主",
        "id_number": _example_id("11010119000101100"),
        "relation": "户主",
        "ethnicity": "汉族",
        "education": "初中",
        "health_status": "健康",
        "labour_skill": "普通劳动力",
        "work_place": "县内",
        "months_worked": 10,
        "medical_insurance": "城乡居民基本医疗保险",
        "pension_insurance": "城乡居民基本养老保险",
        "dibao": "否",
        "tekun": "否",
        "phone": "13800000000",
        "year": 2025,
        "wages": 24000,
        "business": 3000,
        "property": 0,
        "transfers": 1200,
        "production_costs": 800,
    },
    {
        "household_no": "示例0000000001",
        "name": "示例配偶",
        "id_number": _example_id("11010119000101102"),
        "relation": "配偶",
        "ethnicity": "汉族",
        "education": "小学",
        "health_status": "长期慢性病",
        "labour_skill": "普通劳动力",
        "medical_insurance": "城乡居民基本医疗保险",
        "dibao": "否",
        "tekun": "否",
    },
)


def template_workbook(out: Any) -> None:
    """The downloadable template: the headers of template.py with notes, the ID column as text, and a
    separate sheet of example rows (obviously fake) so that the import sheet itself stays empty."""
    book = TemplateBook(out)
    columns = [
        TemplateColumn(
            header=col.header,
            width=24
            if col.field in ("id_number", "address", "household_no")
            else max(10, len(col.header) * 2 + 2),
            required=col.required,
            note=("必填。" if col.required else "")
            + (f"也可写作:{'、'.join(col.aliases)}。" if col.aliases else "")
            + col.note,
            kind="text" if col.field in ("id_number", "household_no", "region_code", "phone") else None,
        )
        for col in COLUMNS
    ]
    book.input_sheet("农户信息", columns)
    book.input_sheet(
        "填写示例", columns, [[row.get(col.field) for col in COLUMNS] for row in TEMPLATE_EXAMPLES]
    )
    lines = [
        ("用法", "在“农户信息”表中每人填一行,同一户的成员用相同的户编号;“填写示例”表只作参考,不会被导入。"),
        (
            "户级信息",
            "户编号、行政区划代码、户类型等户级信息以户主所在行为准;其他成员行可留空,若填写必须与户主行相同。",
        ),
        (
            "所在村",
            "填写行政区划代码,或填写县(市、区)、乡(镇)、行政村(及组)的名称;村名在本辖区重名时,"
            "请同时填写乡镇名称。名称可写全称或简称(如 义宁镇 或 义宁、良塘村委会 或 良塘村)。",
        ),
        (
            "证件号码",
            "请先把该列设为“文本”格式再粘贴,否则 Excel 会把18位号码存成数字并丢失末尾数字。"
            "老的15位号码会自动升级为18位;性别和出生日期由证件号码得出,可不填。",
        ),
        ("日期", "可填 1980-01-01、1980/1/1、1980年1月1日 或 19800101,也可以是 Excel 日期格式。"),
        (
            "收入",
            "单位为元,最多两位小数;有收入的户,未填的分项按 0 计,人均纯收入由系统计算。收入年度不填时按上一年度导入。"
            "也可只填家庭年纯收入或人均纯收入(国家系统导出表的列名均可识别)。",
        ),
        ("重复导入", "同一文件可以重复导入:已登记的户和人按户编号、证件号码更新,不会重复新增。"),
        (
            "错误处理",
            "只要有一行有错误,整份文件都不会导入,系统会返回带“错误原因”列的同一份表格,改正后重新导入即可。"
            "前后不一致但可以保存的信息(如填了务工时间未填务工所在地)照常导入,列为疑点,导入结果和农户页面会列出。",
        ),
    ]
    book.notes_sheet(
        "填写说明",
        [("项目", 22), ("说明", 90)],
        lines,
        then=[
            (
                col.header + ("(必填)" if col.required else ""),
                "、".join(filter(None, [col.note, "别名:" + "、".join(col.aliases) if col.aliases else ""])),
            )
            for col in COLUMNS
        ],
        wrap_from=1,
    )
    book.close()
