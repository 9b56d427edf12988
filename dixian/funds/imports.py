"""The finance office's workbook (docs/domain.md §22): allocations, projects, arrangements and payments.

One .xlsx with any of the sheets 资金下达 / 项目 / 资金安排 / 资金支付 (read with python-calamine; headers in any
order, with the finance offices' spellings; a money column headed …(万元) is converted exactly to 元). Every
row is parsed and checked against the book and the database first, set-based (a handful of queries whatever
the number of rows); then either everything is written in one transaction, in bulk, or nothing is, and the
rows come back in an error report (错误行号 / 错误列 / 错误原因 per sheet).

Keys (a re-imported book changes nothing):
- allocation: 下达文号 + receiving unit + 资金级次 (the model's `allocation_unique`);
- project: 项目编号;
- arrangement: the allocation + the project (`arrangement_unique`);
- payment: 项目编号 + 凭证号 + 支付日期 + 金额. A payment already recorded under its key is skipped; two rows of
  one book with the same key are refused (give each its 凭证号 to tell them apart).
A row whose key exists with other values is refused (correct the record on its page): an import never
overwrites what someone recorded.

Projects of the book enter the year's implementation plan directly (已纳入年度实施计划), with a history row
"import" naming the batch: the county's finance office imports its decided plan. Payments are checked by
`fd.payment_problems` (start date, cumulative budget over the database and the book, the negative list in
force on the payment's date, looked up once for the book's date range).
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, transaction
from django.utils import timezone

from dixian.common import uploads
from dixian.common.access import region_range_q
from dixian.common.spreadsheets import REPORT_COLUMNS, ErrorReport, TemplateBook, TemplateColumn
from dixian.domain import funds as fd
from dixian.domain import placenames
from dixian.regions.models import Region
from dixian.regions.names import PlaceIndex
from dixian.registry import parsing as rp
from dixian.registry.imports import sha256_file

from . import parsing as fp
from .allocations import ARRANGEABLE_STATES
from .models import (
    Allocation,
    Arrangement,
    FundsImportBatch,
    Payment,
    Project,
    ProjectBudget,
    ProjectTransition,
)
from .negative_list import negative_lists_between

if TYPE_CHECKING:
    from dixian.accounts.models import User

logger = logging.getLogger("dixian.import")

HEADER_SCAN_ROWS = 10
ERROR_SAMPLE = 50
BATCH = 5_000  # rows per bulk INSERT and per IN list
YEAR_MIN, YEAR_MAX = 2012, 2100  # assets from poverty funds since 2012 (docs/domain.md §9)


class FundsImportError(Exception):
    """The file cannot be read as the finance office's workbook at all; the message says why, in Chinese."""


class _Refused(Exception):
    """Row errors found inside the transaction: roll back everything."""


# ---- the layout ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # the template's header
    aliases: tuple[str, ...] = ()
    parser: str = "text"  # text, code, date, money, year, level, kind, use, payee, bool
    required: bool = False
    note: str = ""


@dataclass(frozen=True)
class Layout:
    key: str
    name: str  # the sheet's name in the template
    names: tuple[str, ...]  # names a finance office gives the sheet
    columns: tuple[Column, ...]


MONEY_NOTE = "单位为元;表头写成“…(万元)”时按万元填写,导入时精确换算为元"
LEVEL_NOTE = "中央、省级、市级或县级"
REGION_CODE_NOTE = "12位行政区划代码;也可只填名称列"

ALLOCATIONS = Layout(
    "allocations",
    "资金下达",
    ("资金下达", "下达", "资金下达表", "指标下达", "资金分配"),
    (
        Column("year", "资金年度", ("年度", "预算年度", "指标年度"), "year", note="留空时取下达日期的年份"),
        Column("level", "资金级次", ("级次", "资金级别", "资金来源"), "level", True, LEVEL_NOTE),
        Column(
            "doc_no",
            "下达文号",
            ("文号", "指标文号", "文件文号", "发文文号", "下达文件", "文件号"),
            required=True,
        ),
        Column("doc_date", "下达日期", ("文件日期", "发文日期", "指标下达日期", "下达时间"), "date", True),
        Column("region_code", "接收单位代码", ("区划代码", "行政区划代码", "接收单位区划代码"), "code"),
        Column("region_name", "接收单位", ("接收单位名称", "下达地区", "下达单位", "地区", "县(市、区)")),
        Column("amount", "下达金额", ("金额", "下达资金", "资金金额", "指标金额"), "money", True, MONEY_NOTE),
        Column("purpose", "资金用途", ("用途", "摘要", "资金名称", "项目类别")),
        Column("direct", "直达资金", ("是否直达资金", "是否直达"), "bool", note="是/否"),
    ),
)
BUDGET_FIELDS = {
    fd.CENTRAL: "budget_central",
    fd.PROVINCE: "budget_province",
    fd.CITY: "budget_city",
    fd.COUNTY: "budget_county",
}
PROJECTS = Layout(
    "projects",
    "项目",
    ("项目", "项目库", "年度实施项目", "项目计划", "项目表", "年度项目"),
    (
        Column("code", "项目编号", ("项目代码", "项目库编号", "项目编码"), "code", True),
        Column("name", "项目名称", (), required=True),
        Column("year", "计划年度", ("年度", "项目年度", "实施年度"), "year", True),
        Column("kind", "项目类型", ("项目类别", "类型"), "kind", True, "、".join(fd.PROJECT_TYPES.values())),
        Column("region_code", "行政区划代码", ("区划代码", "项目地点代码"), "code", note=REGION_CODE_NOTE),
        Column("county_name", "县(市、区)", ("县", "县区", "县(区)")),
        Column("township_name", "乡(镇)", ("乡镇", "乡镇(街道)", "镇")),
        Column("village_name", "行政村", ("村", "村名", "项目地点"), note="跨村项目可只填乡镇"),
        Column("owner_unit", "实施单位", ("项目实施单位", "责任单位", "项目主管单位"), required=True),
        Column("content", "建设内容及规模", ("建设内容", "建设规模")),
        Column("budget_central", "中央资金", ("中央衔接资金", "中央财政资金"), "money", note=MONEY_NOTE),
        Column("budget_province", "省级资金", ("省级衔接资金", "省级财政资金"), "money", note=MONEY_NOTE),
        Column("budget_city", "市级资金", ("市级衔接资金", "市级财政资金"), "money", note=MONEY_NOTE),
        Column("budget_county", "县级资金", ("县级衔接资金", "县级财政资金"), "money", note=MONEY_NOTE),
        Column("planned_start", "计划开工日期", ("计划开工时间",), "date"),
        Column("planned_completion", "计划完工日期", ("计划完工时间",), "date"),
        Column("started_on", "实际开工日期", ("开工日期", "开工时间"), "date"),
        Column("completed_on", "实际完工日期", ("完工日期", "完工时间"), "date"),
        Column("accepted_on", "验收日期", ("验收时间",), "date"),
    ),
)
ARRANGEMENTS = Layout(
    "arrangements",
    "资金安排",
    ("资金安排", "安排", "资金安排表", "资金分配到项目"),
    (
        Column("doc_no", "下达文号", ("文号", "指标文号", "文件文号"), required=True),
        Column("level", "资金级次", ("级次", "资金级别", "资金来源"), "level", True, LEVEL_NOTE),
        Column("region_code", "接收单位代码", ("区划代码",), "code", note="同一文号下达给多个单位时填写"),
        Column("region_name", "接收单位", ("接收单位名称",)),
        Column("project_code", "项目编号", ("项目代码", "项目编码"), "code", True),
        Column("amount", "安排金额", ("金额", "安排资金"), "money", True, MONEY_NOTE),
        Column("arranged_on", "安排日期", ("日期", "安排时间"), "date", True),
    ),
)
PAYMENTS = Layout(
    "payments",
    "资金支付",
    ("资金支付", "支付", "支出", "资金支出", "支付明细", "资金支付表"),
    (
        Column("project_code", "项目编号", ("项目代码", "项目编码"), "code", True),
        Column("paid_on", "支付日期", ("日期", "支出日期", "支付时间"), "date", True),
        Column("amount", "支付金额", ("金额", "支出金额"), "money", True, MONEY_NOTE),
        Column("level", "资金来源", ("资金级次", "级次"), "level", note=LEVEL_NOTE),
        Column("use_category", "资金用途", ("用途", "支出用途", "支出类别"), "use", True),
        Column("payee_category", "收款方类别", ("收款人类别", "收款单位类别"), "payee", note="留空为“其他”"),
        Column("payee", "收款方", ("收款人", "收款单位", "收款方名称")),
        Column("voucher_no", "凭证号", ("支付凭证号", "记账凭证号", "凭证编号"), "code"),
    ),
)
LAYOUTS = (ALLOCATIONS, PROJECTS, ARRANGEMENTS, PAYMENTS)


def normalise_header(value: object) -> tuple[str, Decimal]:
    """A header cell as a lookup key and the unit its money is in: "金额(万元)" → ("金额", 10000)."""
    s = "".join(rp.text(value).split()).replace("(", "(").replace(")", ")").lstrip("*")
    unit = fp.YUAN
    for suffix, u in (("(万元)", fp.WAN), ("(元)", fp.YUAN), ("万元", fp.WAN)):
        if s.endswith(suffix) and len(s) > len(suffix):
            s, unit = s[: -len(suffix)], u
            break
    return s, unit


def _lookup(layout: Layout) -> dict[str, Column]:
    table: dict[str, Column] = {}
    for col in layout.columns:
        for name in (col.header, *col.aliases):
            table.setdefault(normalise_header(name)[0], col)
    return table


# ---- reading -------------------------------------------------------------------------------------------


@dataclass
class RowError:
    sheet: str
    row: int  # as Excel shows it
    column: str  # the header as written ("" for the whole row)
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class SheetData:
    layout: Layout
    name: str
    rows: list[list[Any]]  # every row from A1, as calamine read them
    header_index: int
    columns: dict[str, int]  # field → column index
    units: dict[str, Decimal]  # money field → unit of its column
    headers: list[str]
    records: list[dict[str, Any]] = field(default_factory=list)  # parsed, one per data row
    numbers: list[int] = field(default_factory=list)  # each record's row number
    index: list[int] = field(default_factory=list)  # each record's index in `rows`

    def header_of(self, name: str) -> str:
        j = self.columns.get(name)
        if j is not None:
            return self.headers[j]
        return next((c.header for c in self.layout.columns if c.field == name), name)


def _layout_of(sheet_name: str) -> Layout | None:
    clean = "".join(rp.text(sheet_name).split())
    for layout in LAYOUTS:
        if clean in layout.names:
            return layout
    return None


def read_book(path: Path) -> list[SheetData]:
    try:
        size = path.stat().st_size
    except OSError:
        raise FundsImportError("找不到要导入的文件,请重新选择文件") from None
    if size == 0:
        raise FundsImportError("文件是空的(0 字节),请重新选择要导入的 Excel 文件")
    try:
        book = uploads.open_workbook(path)
        names = list(book.sheet_names)
    except uploads.UploadRefused as exc:
        raise FundsImportError(exc.message) from None
    except Exception:  # noqa: BLE001 - calamine raises many kinds for a file that is not a workbook
        raise FundsImportError(
            "无法读取该文件:它不是 Excel 工作簿(.xlsx)。请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"
        ) from None
    sheets: list[SheetData] = []
    seen: dict[str, str] = {}
    for index, name in enumerate(names):
        layout = _layout_of(name)
        if layout is None:
            continue
        if layout.key in seen:
            raise FundsImportError(
                f"工作表「{seen[layout.key]}」和「{name}」都是{layout.name}表,请合并为一张"
            )
        seen[layout.key] = name
        try:
            rows = uploads.sheet_rows(book, index)
        except Exception:  # noqa: BLE001 - a damaged sheet
            raise FundsImportError(f"工作表「{name}」已损坏,无法读取。请另存为新的 .xlsx 后再导入") from None
        sheets.append(_sheet(layout, name, rows))
    if not sheets:
        listed = "、".join(f"「{n}」" for n in names) or "(无)"
        wanted = "、".join(f"「{layout.name}」" for layout in LAYOUTS)
        raise FundsImportError(
            f"工作簿中没有可导入的工作表(现有 {listed})。工作表应命名为 {wanted} 之一,请使用导入模板"
        )
    order = {layout.key: i for i, layout in enumerate(LAYOUTS)}
    return sorted(sheets, key=lambda s: order[s.layout.key])


def _sheet(layout: Layout, name: str, rows: list[list[Any]]) -> SheetData:
    lookup = _lookup(layout)
    best: tuple[int, int] | None = None
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = sum(1 for cell in row if normalise_header(cell)[0] in lookup)
        if hits >= 2 and (best is None or hits > best[0]):
            best = (hits, r)
    if best is None:
        raise FundsImportError(
            f"工作表「{name}」的前{HEADER_SCAN_ROWS}行没有找到表头(如“{layout.columns[0].header}”"
            f"“{layout.columns[1].header}”)。请使用导入模板"
        )
    header_index = best[1]
    headers = ["" if h is None else str(h).strip() for h in rows[header_index]]
    columns: dict[str, int] = {}
    units: dict[str, Decimal] = {}
    for j, header in enumerate(headers):
        key, unit = normalise_header(header)
        if not key or key in REPORT_COLUMNS:
            continue
        col = lookup.get(key)
        if col is None:
            continue
        if col.field in columns:
            raise FundsImportError(
                f"工作表「{name}」的表头「{headers[columns[col.field]]}」和「{header}」是同一列({col.header}),"
                "请删除其中一列后重新导入"
            )
        columns[col.field] = j
        units[col.field] = unit
    missing = [c.header for c in layout.columns if c.required and c.field not in columns]
    if missing:
        raise FundsImportError(
            f"工作表「{name}」缺少必填列:{'、'.join(missing)}。请使用导入模板,或把表头改成模板中的名称"
        )
    if layout in (ALLOCATIONS,) and not ({"region_code", "region_name"} & set(columns)):
        raise FundsImportError(f"工作表「{name}」缺少接收单位:请加上“接收单位”(名称)或“接收单位代码”列")
    if layout is PROJECTS and not ({"region_code", "village_name", "township_name"} & set(columns)):
        raise FundsImportError(
            f"工作表「{name}」缺少项目地点:请加上“行政区划代码”列,或“乡(镇)”“行政村”名称列"
        )
    return SheetData(layout, name, rows, header_index, columns, units, headers)


# ---- parsing ---------------------------------------------------------------------------------------------


def _year(value: object) -> int | None:
    return rp.parse_int(value, low=YEAR_MIN, high=YEAR_MAX, label="年度")


def _code(value: object) -> str:
    return rp.parse_code(value, label="编号", max_length=60)


def _text(value: object) -> str:
    return rp.text(value)


def _parser(col: Column, unit: Decimal) -> Callable[[Any], Any]:
    if col.parser == "money":
        return lambda v: fp.parse_money(v, unit=unit)
    return {
        "text": _text,
        "code": _code,
        "date": rp.parse_date,
        "year": _year,
        "level": fp.parse_level,
        "kind": fp.parse_kind,
        "use": fp.parse_use,
        "payee": fp.parse_payee,
        "bool": rp.parse_bool,
    }[col.parser]


# A text column's limit is its model field's max_length (PostgreSQL refuses a longer value, SQLite would keep
# it); a column that names a record of another sheet takes that record's limit; anything else 500.
MODELS = {"allocations": Allocation, "projects": Project, "arrangements": Arrangement, "payments": Payment}
MAX_TEXT_DEFAULT = 500


def max_length(layout: Layout, name: str) -> int:
    if name == "project_code":
        return Project._meta.get_field("code").max_length or MAX_TEXT_DEFAULT
    model = MODELS[layout.key]
    if name == "doc_no" and model is Arrangement:
        model = Allocation
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return MAX_TEXT_DEFAULT
    return getattr(model_field, "max_length", None) or MAX_TEXT_DEFAULT


def _fast(col: Column, unit: Decimal) -> Callable[[Any], Any] | None:
    """A parser's answer for the cells it needs no work for (None: ask the parser): a book of 100,000
    payments is mostly clean codes, date cells, number cells and the template's labels."""
    if col.parser == "code":
        return lambda v: v if type(v) is str and v.isascii() and v.isalnum() else None
    if col.parser == "date":
        # Any datetime reads as its date, as rp.parse_date does (a time is never falsy: midnight was skipped).
        return lambda v: v.date() if type(v) is dt.datetime else None
    if col.parser == "text":
        return lambda v: v if type(v) is str and v and v.isascii() and v == " ".join(v.split()) else None
    tables = {"use": fp.use_table(), "payee": fp.payee_table(), "level": fp.level_table()}
    if col.parser in tables:
        table = tables[col.parser]
        return lambda v: table.get(v) if type(v) is str else None
    return None


def parse_sheet(sheet: SheetData, errors: list[RowError]) -> None:
    """Fill `sheet.records`; a cell that does not parse is an error and its field is None. Column by column:
    each cell goes to its column's fast path first (`_fast`), to the full parser only when that declines."""
    width = max(sheet.columns.values()) + 1
    blank = (None, "")
    rows: list[list[Any]] = []
    for i in range(sheet.header_index + 1, len(sheet.rows)):
        raw = sheet.rows[i]
        if len(raw) < width:
            raw = raw + [None] * (width - len(raw))
        if all(
            raw[j] in blank or (type(raw[j]) is str and not raw[j].strip()) for j in sheet.columns.values()
        ):
            continue  # a blank row
        rows.append(raw)
        sheet.numbers.append(i + 1)
        sheet.index.append(i)
    numbers = sheet.numbers
    names: list[str] = []
    columns: list[list[Any]] = []
    failed: dict[int, set[str]] = defaultdict(set)
    for col in sheet.layout.columns:
        j = sheet.columns.get(col.field)
        if j is None:
            continue
        unit = sheet.units.get(col.field, fp.YUAN)
        parse, fast = _parser(col, unit), _fast(col, unit)
        limit = max_length(sheet.layout, col.field)
        header = sheet.headers[j]
        values: list[Any] = []
        for k, raw in enumerate(rows):
            cell = raw[j]
            value = fast(cell) if fast is not None else None
            if value is None:
                try:
                    value = parse(cell)
                except rp.ParseError as exc:
                    errors.append(RowError(sheet.name, numbers[k], header, str(exc)))
                    failed[k].add(col.field)
                    values.append(None)
                    continue
                if col.required and (value is None or value == ""):
                    errors.append(RowError(sheet.name, numbers[k], header, f"{col.header}为必填项,请填写"))
                    failed[k].add(col.field)
            # After both paths: a fast-read cell is as bound by the column's length as a parsed one.
            if type(value) is str and len(value) > limit:
                reason = f"{col.header}最多{limit}个字,此处有{len(value)}个字,请精简"
                errors.append(RowError(sheet.name, numbers[k], header, reason))
                failed[k].add(col.field)
                value = None
            values.append(value)
        names.append(col.field)
        columns.append(values)
    sheet.records = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    for k, fields in failed.items():
        sheet.records[k]["_failed"] = fields


# ---- places ----------------------------------------------------------------------------------------------


class Places:
    """Receiving units and project places: a 12-digit code or names, always inside the importing account's
    scope (regions/names.py: nothing outside it is loaded, so another county's name is "not found")."""

    def __init__(self, scope: Region) -> None:
        self.scope = scope
        self._index: PlaceIndex | None = None
        self.by_code: dict[str, Region] = {}

    def load_codes(self, codes: Iterable[str]) -> None:
        wanted = sorted({c for c in codes if c} - set(self.by_code))
        for k in range(0, len(wanted), BATCH):
            for region in Region.objects.filter(code__in=wanted[k : k + BATCH]):
                self.by_code[region.code] = region

    @property
    def index(self) -> PlaceIndex:
        if self._index is None:
            self._index = PlaceIndex.for_scope(self.scope, groups=False)
        return self._index

    def by_code_problem(self, code: str) -> tuple[Region | None, str]:
        region = self.by_code.get(code)
        if region is None or not code.startswith(self.scope.prefix):
            return None, f"区划代码「{code}」不存在或不在您的管辖范围({self.scope.name})内,请核对"
        return region, ""

    def unit(self, name: str) -> tuple[str | None, str]:
        """A unit (the scope itself, a county, township or village of it) by its name or path."""
        key = placenames.clean(name)
        scope = self.index.scope
        if key in (
            placenames.clean(scope.name),
            *placenames.short_names(placenames.clean(scope.name), scope.level),
        ):
            return scope.code, ""
        for level in (placenames.COUNTY, placenames.TOWNSHIP, placenames.VILLAGE):
            found = self.index.match(level, key)
            if len(found) == 1:
                return found[0].code, ""
            if len(found) > 1:
                listed = "、".join(p.shown for p in found[:10])
                return None, f"「{name}」在本辖区有 {len(found)} 个:{listed},请填写区划代码"
        # A path in one cell (修水县义宁镇良塘村): the village resolver peels it.
        resolved = self.index.resolve(village=key)
        if resolved.place is not None:
            return resolved.place.code, ""
        where = scope.path or scope.name
        return None, f"在您的管辖范围({where})内找不到名为「{name}」的单位,请核对名称,或填写12位区划代码"

    def place(self, county: str, township: str, village: str) -> tuple[str | None, str]:
        """A project's place: its village, or its township when no village is named."""
        if village:
            resolved = self.index.resolve(county=county, township=township, village=village)
            return resolved.code, resolved.message
        if township:
            within = self.index.match(placenames.COUNTY, county) if county else None
            found = self.index.match(placenames.TOWNSHIP, township, within or None)
            if len(found) == 1:
                return found[0].code, ""
            if found:
                return None, f"「{township}」在本辖区有 {len(found)} 个乡镇,请填写县(市、区)或区划代码"
            return None, f"在您的管辖范围内找不到名为「{township}」的乡镇,请核对名称,或填写区划代码"
        return None, "请填写项目地点:行政区划代码,或乡(镇)、行政村名称"


def _resolve_regions(
    sheet: SheetData, places: Places, errors: list[RowError], *, code_field: str, kind: str
) -> None:
    """Put each record's unit code in `_region` (None on error), resolving each distinct name once."""
    places.load_codes(r.get(code_field) or "" for r in sheet.records)
    cache: dict[tuple[str, ...], tuple[str | None, str]] = {}
    for record, number in zip(sheet.records, sheet.numbers, strict=True):
        code = record.get(code_field) or ""
        if kind == "unit":
            names: tuple[str, ...] = (record.get("region_name") or "",)
        else:
            names = tuple(record.get(f) or "" for f in ("county_name", "township_name", "village_name"))
        record["_region"] = None
        if "region_code" in record.get("_failed", ()):
            continue
        by_name: str | None = None
        if any(names):
            if names not in cache:
                cache[names] = places.unit(names[0]) if kind == "unit" else places.place(*names)
            by_name, problem = cache[names]
            if by_name is None:
                column = (
                    "region_name" if kind == "unit" else ("village_name" if names[2] else "township_name")
                )
                errors.append(RowError(sheet.name, number, sheet.header_of(column), problem))
                continue
        if code:
            region, problem = places.by_code_problem(code)
            if region is None:
                errors.append(RowError(sheet.name, number, sheet.header_of(code_field), problem))
                continue
            if by_name is not None and by_name not in places.by_code:
                places.load_codes([by_name])
            if by_name is not None and not (
                by_name.startswith(region.prefix) or code.startswith(places.by_code[by_name].prefix)
            ):
                errors.append(
                    RowError(
                        sheet.name,
                        number,
                        sheet.header_of(code_field),
                        f"区划代码「{code}」与所填名称「{''.join(names)}」不一致,请核对后只保留正确的一项",
                    )
                )
                continue
            record["_region"] = code
        elif by_name is not None:
            record["_region"] = by_name
        elif sheet.layout is not ARRANGEMENTS:  # an arrangement names its allocation's unit only if needed
            what = "接收单位" if kind == "unit" else "项目地点"
            errors.append(RowError(sheet.name, number, "", f"请填写{what}(区划代码或名称)"))
    places.load_codes(r["_region"] for r in sheet.records if r.get("_region"))


# ---- checking ----------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What the book will write, once every check has passed."""

    allocations: list[Allocation] = field(default_factory=list)
    projects: list[tuple[Project, dict[str, Decimal]]] = field(default_factory=list)
    # (the allocation, new or existing; the project's code; the arrangement): keys are set when written.
    arrangements: list[tuple[Allocation, str, Arrangement]] = field(default_factory=list)
    # (project code, paid_on, amount, level, use, payee category, payee, voucher, region code)
    payments: list[tuple[Any, ...]] = field(default_factory=list)
    unchanged: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for k in range(0, len(values), BATCH):
        yield values[k : k + BATCH]


def _differs(pairs: Iterable[tuple[str, object, object]]) -> list[str]:
    return [label for label, a, b in pairs if a != b]


def check_allocations(
    sheet: SheetData, plan: Plan, errors: list[RowError], places: Places
) -> dict[tuple, Any]:
    """{(doc_no, region_code, level): Allocation (new or existing)} of the sheet's rows."""
    keys: dict[tuple[str, str, str], int] = {}
    records = []
    for record, number in zip(sheet.records, sheet.numbers, strict=True):
        if record.get("_failed") or not record.get("_region"):
            continue
        key = (record["doc_no"], record["_region"], record["level"])
        if key in keys:
            errors.append(
                RowError(
                    sheet.name,
                    number,
                    sheet.header_of("doc_no"),
                    f"与第 {keys[key]} 行重复:同一文号、接收单位和资金级次只能有一行",
                )
            )
            continue
        keys[key] = number
        if record.get("year") is None:
            record["year"] = record["doc_date"].year
        if record["amount"] <= 0:
            errors.append(RowError(sheet.name, number, sheet.header_of("amount"), "下达金额必须大于0"))
            continue
        records.append((record, number, key))
    existing = _existing_allocations({k for _, _, k in records})
    out: dict[tuple, Any] = dict(existing)
    for record, number, key in records:
        found = existing.get(key)
        if found is not None:
            differs = _differs(
                (
                    ("资金年度", found.year, record["year"]),
                    ("下达日期", found.doc_date, record["doc_date"]),
                    ("下达金额", found.amount, record["amount"]),
                    ("资金用途", found.purpose, record.get("purpose") or found.purpose),
                    ("直达资金", found.direct, bool(record.get("direct"))),
                )
            )
            if differs:
                errors.append(
                    RowError(
                        sheet.name,
                        number,
                        sheet.header_of("doc_no"),
                        f"该文号已登记,但{'、'.join(differs)}与系统中的不同;如需更正请在资金下达页面修改",
                    )
                )
            else:
                plan.unchanged["allocations"] += 1
            continue
        region = places.by_code[key[1]]
        allocation = Allocation(
            year=record["year"],
            level=key[2],
            doc_no=key[0],
            doc_date=record["doc_date"],
            region=region,
            region_code=region.code,
            amount=record["amount"],
            purpose=record.get("purpose") or "",
            direct=bool(record.get("direct")),
        )
        plan.allocations.append(allocation)
        out[key] = allocation
    return out


def _existing_allocations(keys: set[tuple[str, str, str]]) -> dict[tuple[str, str, str], Allocation]:
    """The saved allocations of these keys, locked (the book's arrangements are checked against them)."""
    found: dict[tuple[str, str, str], Allocation] = {}
    docs = sorted({k[0] for k in keys})
    units = sorted({k[1] for k in keys})  # in the importer's scope (Places): lock nothing of another county
    for chunk in _chunks(docs):
        qs = Allocation.objects.filter(doc_no__in=chunk, region_code__in=units)
        for a in qs.order_by("pk").select_for_update():
            key = (a.doc_no, a.region_code, a.level)
            if key in keys or not keys:
                found[key] = a
    return found


def check_projects(
    sheet: SheetData, plan: Plan, errors: list[RowError], places: Places
) -> dict[str, Project]:
    """{code: Project} of the sheet's rows (new ones unsaved)."""
    seen: dict[str, int] = {}
    records = []
    today = timezone.localdate()
    for record, number in zip(sheet.records, sheet.numbers, strict=True):
        if record.get("_failed") or not record.get("_region"):
            continue
        code = record["code"]
        if code in seen:
            errors.append(
                RowError(sheet.name, number, sheet.header_of("code"), f"项目编号与第 {seen[code]} 行重复")
            )
            continue
        seen[code] = number
        budgets: dict[str, Decimal] = {lv: record[f] for lv, f in BUDGET_FIELDS.items() if record.get(f)}
        if not budgets:
            errors.append(
                RowError(
                    sheet.name,
                    number,
                    "",
                    "请至少填写一项资金来源的预算(中央资金、省级资金、市级资金或县级资金)",
                )
            )
            continue
        order = [
            ("started_on", "completed_on", "实际完工日期不能早于实际开工日期"),
            ("completed_on", "accepted_on", "验收日期不能早于实际完工日期"),
            ("planned_start", "planned_completion", "计划完工日期不能早于计划开工日期"),
        ]
        bad = False
        # As the progress form (funds/projects.py progress_problems): an actual date is never in the future.
        for f, label in (("started_on", "开工"), ("completed_on", "完工"), ("accepted_on", "验收")):
            day = record.get(f)
            if day and day > today:
                reason = f"实际{label}日期 {day:%Y-%m-%d} 晚于今天,请在{label}后再登记"
                errors.append(RowError(sheet.name, number, sheet.header_of(f), reason))
                bad = True
        for first, then, message in order:
            if record.get(first) and record.get(then) and record[then] < record[first]:
                errors.append(RowError(sheet.name, number, sheet.header_of(then), message))
                bad = True
        if (record.get("completed_on") or record.get("accepted_on")) and not record.get("started_on"):
            errors.append(
                RowError(
                    sheet.name,
                    number,
                    sheet.header_of("started_on"),
                    "已完工或已验收的项目请填写实际开工日期",
                )
            )
            bad = True
        if bad:
            continue
        records.append((record, number, budgets))
    existing = _existing_projects(list(seen))
    out: dict[str, Project] = {}
    now = timezone.now()
    for record, number, budgets in records:
        code = record["code"]
        found = existing.get(code)
        if found is not None:
            if not found.region_code.startswith(places.scope.prefix):
                errors.append(
                    RowError(
                        sheet.name,
                        number,
                        sheet.header_of("code"),
                        f"项目编号「{code}」已被使用,请换一个编号",
                    )
                )
                continue
            have = {b.level: b.amount for b in found.budgets.all()}
            differs = _differs(
                (
                    ("项目名称", found.name, record["name"]),
                    ("计划年度", found.year, record["year"]),
                    ("项目类型", found.kind, record["kind"]),
                    ("项目地点", found.region_code, record["_region"]),
                    ("实施单位", found.owner_unit, record["owner_unit"]),
                    ("预算", have, budgets),
                    *(
                        (sheet.header_of(f), getattr(found, f), record.get(f))
                        for f in (
                            "planned_start",
                            "planned_completion",
                            "started_on",
                            "completed_on",
                            "accepted_on",
                        )
                        if f in sheet.columns
                    ),
                )
            )
            if found.state != fd.IN_PLAN:
                errors.append(
                    RowError(
                        sheet.name,
                        number,
                        sheet.header_of("code"),
                        f"项目「{code}」已在项目库中,状态为“{fd.PROJECT_STATES[found.state]}”;"
                        "导入只能登记新的年度实施项目,请在项目页面办理",
                    )
                )
            elif differs:
                errors.append(
                    RowError(
                        sheet.name,
                        number,
                        sheet.header_of("code"),
                        f"项目「{code}」已登记,但{'、'.join(differs)}与系统中的不同;如需更正请在项目页面修改",
                    )
                )
            else:
                plan.unchanged["projects"] += 1
                out[code] = found
            continue
        region = places.by_code[record["_region"]]
        project = Project(
            code=code,
            name=record["name"],
            year=record["year"],
            kind=record["kind"],
            region=region,
            region_code=region.code,
            owner_unit=record["owner_unit"],
            content=record.get("content") or "",
            state=fd.IN_PLAN,
            state_since=now,
            planned_on=timezone.localdate(now),
            budget_total=sum(budgets.values(), Decimal(0)),
            planned_start=record.get("planned_start"),
            planned_completion=record.get("planned_completion"),
            started_on=record.get("started_on"),
            completed_on=record.get("completed_on"),
            accepted_on=record.get("accepted_on"),
        )
        plan.projects.append((project, budgets))
        out[code] = project
    return out


def _existing_projects(codes: list[str]) -> dict[str, Project]:
    """The book's projects already in the database, row-locked: the payments sheet checks its payments against
    their budgets, and a concurrent payment must wait (docs/domain.md §22: never paid past the budget). Locked
    in pk order, as every locker of projects does, so that two imports never deadlock."""
    pks: list[int] = []
    for chunk in _chunks(sorted(codes)):
        pks.extend(Project.objects.filter(code__in=chunk).values_list("pk", flat=True))
    found: dict[str, Project] = {}
    for chunk in _chunks(sorted(pks)):
        qs = Project.objects.filter(pk__in=chunk).order_by("pk").select_for_update()
        for project in qs.prefetch_related("budgets"):
            found[project.code] = project
    return found


def _projects_named(
    codes: Iterable[str], book: dict[str, Project], *, lock: bool = False
) -> dict[str, Project]:
    """The projects a sheet names: the book's, then the database's (one query per 5,000 codes)."""
    out = dict(book)
    wanted = sorted({c for c in codes if c and c not in out})
    for chunk in _chunks(wanted):
        qs = Project.objects.filter(code__in=chunk)
        if lock:
            qs = qs.order_by("pk").select_for_update()
        for project in qs:
            out[project.code] = project
    return out


def check_arrangements(
    sheet: SheetData,
    plan: Plan,
    errors: list[RowError],
    places: Places,
    allocations: dict[tuple, Any],
    projects: dict[str, Project],
) -> None:
    records = [(r, n) for r, n in zip(sheet.records, sheet.numbers, strict=True) if not r.get("_failed")]
    # The allocations the sheet names, by (doc_no, level): the book's and the database's, locked so that the
    # cumulative check below and the write are one step (docs/domain.md §22: never more than issued).
    by_doc: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for key, allocation in allocations.items():
        by_doc[(key[0], key[2])].append(allocation)
    docs = sorted({r["doc_no"] for r, _ in records})
    # Only the importer's area: another county's allocation does not exist for this account, so it is neither
    # locked nor named (its row reads "not found", as a page outside the scope answers 404).
    in_scope = region_range_q(places.scope.prefix)
    for chunk in _chunks(docs):
        for a in Allocation.objects.filter(in_scope, doc_no__in=chunk).order_by("pk").select_for_update():
            if (a.doc_no, a.region_code, a.level) not in allocations:  # the book's own are there already
                by_doc[(a.doc_no, a.level)].append(a)
    projects = _projects_named((r["project_code"] for r, _ in records), projects)
    places.load_codes(a.region_code for group in by_doc.values() for a in group)
    saved = [a.pk for group in by_doc.values() for a in group if a.pk]
    arranged: dict[Any, Decimal] = defaultdict(Decimal)
    existing: dict[tuple[int, int], Arrangement] = {}
    for chunk in _chunks(saved):
        for arrangement in Arrangement.objects.filter(allocation_id__in=chunk):
            arranged[arrangement.allocation_id] += arrangement.amount
            existing[(arrangement.allocation_id, arrangement.project_id)] = arrangement
    seen: dict[tuple[int, str], int] = {}
    for record, number in records:
        candidates = by_doc.get((record["doc_no"], record["level"]), [])
        code = record.get("_region")
        if code:
            candidates = [a for a in candidates if a.region_code == code]
        where = sheet.header_of("doc_no")
        if not candidates:
            errors.append(
                RowError(
                    sheet.name,
                    number,
                    where,
                    f"找不到文号「{record['doc_no']}」的{fd.FUND_LEVELS[record['level']]}资金下达"
                    "(请先在“资金下达”表或资金下达页面登记)",
                )
            )
            continue
        if len(candidates) > 1:
            errors.append(
                RowError(
                    sheet.name, number, where, f"文号「{record['doc_no']}」下达给了多个单位,请填写接收单位"
                )
            )
            continue
        allocation = candidates[0]
        project = projects.get(record["project_code"])
        if project is None or not project.region_code.startswith(places.scope.prefix):
            errors.append(
                RowError(
                    sheet.name,
                    number,
                    sheet.header_of("project_code"),
                    f"找不到项目编号「{record['project_code']}」(请先在“项目”表中登记,或核对编号)",
                )
            )
            continue
        receiving = places.by_code.get(allocation.region_code)
        prefix = receiving.prefix if receiving is not None else allocation.region_code
        if project.state not in ARRANGEABLE_STATES:
            errors.append(
                RowError(
                    sheet.name,
                    number,
                    sheet.header_of("project_code"),
                    f"项目「{project.code}」当前为“{fd.PROJECT_STATES[project.state]}”,"
                    "只有已纳入年度实施计划或县级审定公示中的项目才能安排资金",
                )
            )
            continue
        if not project.region_code.startswith(prefix):
            errors.append(
                RowError(
                    sheet.name,
                    number,
                    sheet.header_of("project_code"),
                    f"项目「{project.code}」不在该笔资金的接收单位范围内,只能安排给接收单位辖区内的项目",
                )
            )
            continue
        if record["arranged_on"] < allocation.doc_date:
            errors.append(
                RowError(
                    sheet.name,
                    number,
                    sheet.header_of("arranged_on"),
                    f"安排日期不能早于资金下达日期 {allocation.doc_date:%Y-%m-%d}",
                )
            )
            continue
        pair = (id(allocation), project.code)
        if pair in seen:
            errors.append(
                RowError(sheet.name, number, "", f"与第 {seen[pair]} 行重复:同一文号对同一项目只能有一行")
            )
            continue
        seen[pair] = number
        if allocation.pk and project.pk and (allocation.pk, project.pk) in existing:
            found = existing[(allocation.pk, project.pk)]
            if found.amount == record["amount"] and found.arranged_on == record["arranged_on"]:
                plan.unchanged["arrangements"] += 1
            else:
                errors.append(
                    RowError(
                        sheet.name,
                        number,
                        sheet.header_of("amount"),
                        f"该文号已向项目「{project.code}」安排 {found.amount:,.2f} 元({found.arranged_on:%Y-%m-%d}),"
                        "与本行不同;如需更正请在资金下达页面处理",
                    )
                )
            continue
        slot = allocation.pk or id(allocation)
        problems = fd.arrangement_problems(
            amount=record["amount"], issued=allocation.amount, arranged_before=arranged[slot]
        )
        if problems:
            errors.append(RowError(sheet.name, number, sheet.header_of("amount"), ";".join(problems)))
            continue
        arranged[slot] += record["amount"]
        arrangement = Arrangement(
            amount=record["amount"], arranged_on=record["arranged_on"], region_code=allocation.region_code
        )
        plan.arrangements.append((allocation, project.code, arrangement))


def check_payments(
    sheet: SheetData, plan: Plan, errors: list[RowError], places: Places, projects: dict[str, Project]
) -> None:
    records = [(r, n) for r, n in zip(sheet.records, sheet.numbers, strict=True) if not r.get("_failed")]
    if not records:
        return
    # Lock the projects paid: the cumulative budget check and the write are one step.
    projects = _projects_named((r["project_code"] for r, _ in records), projects, lock=True)
    saved = sorted({p.pk for p in projects.values() if p.pk})
    paid: dict[str, Decimal] = defaultdict(Decimal)
    keys: set[tuple[str, str, dt.date, Decimal]] = set()
    code_of = {p.pk: p.code for p in projects.values() if p.pk}
    for chunk in _chunks(saved):
        for pid, voucher, day, amount in Payment.objects.filter(project_id__in=chunk).values_list(
            "project_id", "voucher_no", "paid_on", "amount"
        ):
            paid[code_of[pid]] += amount
            keys.add((code_of[pid], voucher, day, amount))
    days = [r["paid_on"] for r, _ in records]
    lists = negative_lists_between(min(days), max(days))
    starts = [since for since, _ in lists]
    seen: dict[tuple[str, str, dt.date, Decimal], int] = {}
    scope = places.scope.prefix
    today = timezone.localdate()
    for record, number in records:
        code = record["project_code"]
        project = projects.get(code)
        if project is None or not project.region_code.startswith(scope):
            errors.append(
                RowError(
                    sheet.name,
                    number,
                    sheet.header_of("project_code"),
                    f"找不到项目编号「{code}」(请先在“项目”表中登记,或核对编号)",
                )
            )
            continue
        if project.state != fd.IN_PLAN:
            errors.append(
                RowError(
                    sheet.name,
                    number,
                    sheet.header_of("project_code"),
                    f"项目「{code}」尚未纳入年度实施计划(当前为“{fd.PROJECT_STATES[project.state]}”),不能支付",
                )
            )
            continue
        amount, day = record["amount"], record["paid_on"]
        if day > today:  # as the payment form (funds/payments.py): a payment is recorded once made
            reason = f"支付日期 {day:%Y-%m-%d} 晚于今天,不能登记尚未发生的支付"
            errors.append(RowError(sheet.name, number, sheet.header_of("paid_on"), reason))
            continue
        key = (code, record.get("voucher_no") or "", day, amount)
        if key in seen:
            errors.append(
                RowError(
                    sheet.name,
                    number,
                    "",
                    f"与第 {seen[key]} 行的项目、凭证号、日期和金额都相同;若确是两笔支付,请分别填写凭证号",
                )
            )
            continue
        seen[key] = number
        if key in keys:
            plan.unchanged["payments"] += 1  # recorded by an earlier import or by hand: not paid twice
            continue
        negative = lists[bisect.bisect_right(starts, day) - 1][1]
        problems = fd.payment_problems(
            paid_on=day,
            amount=amount,
            started_on=project.started_on,
            budget_total=project.budget_total,
            paid_before=paid[code],
            use_category=record["use_category"],
            negative_list=negative,
        )
        if problems:
            errors.append(RowError(sheet.name, number, _blame(sheet, problems), ";".join(problems)))
            continue
        paid[code] += amount
        # A tuple, not a model instance: 100,000 Payment objects cost more than the checks (docs/benchmarks.md).
        plan.payments.append(
            (
                code,
                day,
                amount,
                record.get("level") or "",
                record["use_category"],
                record.get("payee_category") or "other",
                record.get("payee") or "",
                record.get("voucher_no") or "",
                project.region_code,
            )
        )


def _blame(sheet: SheetData, problems: list[str]) -> str:
    first = problems[0]
    if "负面清单" in first or "用途" in first:
        return sheet.header_of("use_category")
    if "日期" in first or "开工" in first:
        return sheet.header_of("paid_on")
    return sheet.header_of("amount")


# ---- writing ---------------------------------------------------------------------------------------------


def write_plan(plan: Plan, *, actor: User | None, batch: FundsImportBatch) -> dict[str, int]:
    """Everything the book adds, in bulk (5,000 rows per INSERT); inside the caller's transaction."""
    now = timezone.now()
    for a in plan.allocations:
        a.created_by = actor
    Allocation.objects.bulk_create(plan.allocations, batch_size=BATCH)
    new_projects = [p for p, _ in plan.projects]
    fields = [f for f in Project._meta.concrete_fields if not f.primary_key]
    for p in new_projects:
        p.created_by, p.created_at, p.updated_at = actor, now, now
    insert_rows(
        Project,
        tuple(f.name for f in fields),
        [tuple(getattr(p, f.attname) for f in fields) for p in new_projects],
    )
    ids: dict[str, int] = {}
    for chunk in _chunks([p.code for p in new_projects]):
        ids.update(Project.objects.filter(code__in=chunk).values_list("code", "pk"))
    for p in new_projects:
        p.pk = ids[p.code]
        p._state.adding = False
    if any(a.pk is None for a in plan.allocations):
        found = _existing_allocations({(a.doc_no, a.region_code, a.level) for a in plan.allocations})
        for a in plan.allocations:
            a.pk = found[(a.doc_no, a.region_code, a.level)].pk
    insert_rows(
        ProjectBudget,
        ("project", "level", "amount"),
        [(p.pk, level, amount) for p, budgets in plan.projects for level, amount in budgets.items()],
    )
    name = (actor.get_full_name() or actor.username) if actor is not None else "系统"
    reason = f"资金导入批次 {batch.pk}:{batch.file_name}"[:500]
    creator = actor.pk if actor is not None else None
    insert_rows(
        ProjectTransition,
        ("project", "action", "from_state", "to_state", "reason", "actor", "actor_name", "at"),
        [(p.pk, "import", "", fd.IN_PLAN, reason, creator, name, now) for p in new_projects],
    )
    project_ids = {p.code: p.pk for p in new_projects}
    wanted = sorted(
        {c for _, c, _ in plan.arrangements} | {row[0] for row in plan.payments} - set(project_ids)
    )
    for chunk in _chunks(wanted):
        project_ids.update(Project.objects.filter(code__in=chunk).values_list("code", "pk"))
    arrangements = []
    for allocation, code, arrangement in plan.arrangements:
        arrangement.allocation = allocation
        arrangement.project_id = project_ids[code]
        arrangement.created_by = actor
        arrangements.append(arrangement)
    Arrangement.objects.bulk_create(arrangements, batch_size=BATCH)
    payments = [(now, now, project_ids[code], *rest, creator) for code, *rest in plan.payments]
    insert_rows(Payment, PAYMENT_FIELDS, payments)
    return {
        "allocations": len(plan.allocations),
        "projects": len(new_projects),
        "arrangements": len(arrangements),
        "payments": len(payments),
    }


PAYMENT_FIELDS = (
    "created_at",
    "updated_at",
    "project",
    "paid_on",
    "amount",
    "level",
    "use_category",
    "payee_category",
    "payee",
    "voucher_no",
    "region_code",
    "created_by",
)


def insert_rows(model: Any, fields: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Rows straight into the model's table: COPY on PostgreSQL, executemany on SQLite. The values are
    checked already; Django's bulk_create would spend most of the import preparing each value."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(f).column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapt = connection.ops
        kinds = [model._meta.get_field(f).get_internal_type() for f in fields]
        converters: dict[str, Callable[[Any], Any]] = {
            "DateTimeField": adapt.adapt_datetimefield_value,
            "DateField": adapt.adapt_datefield_value,
            "DecimalField": str,
        }
        convert = [(j, converters[k]) for j, k in enumerate(kinds) if k in converters]
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608 - table and columns from the model
        cache: dict[Any, Any] = {}
        out = []
        for row in rows:
            values = list(row)
            for j, fn in convert:
                value = values[j]
                if value is not None:
                    key = (j, value)
                    if key not in cache:
                        cache[key] = fn(value)
                    values[j] = cache[key]
            out.append(values)
        for chunk in _chunks(out):
            cursor.executemany(sql, chunk)


# ---- the report --------------------------------------------------------------------------------------------


def write_report(sheets: list[SheetData], errors: list[RowError], out: Path) -> None:
    """Each sheet as it was uploaded, the cells in error shaded, with 错误行号 / 错误列 / 错误原因."""
    by_sheet: dict[str, dict[int, list[RowError]]] = defaultdict(lambda: defaultdict(list))
    for e in errors:
        by_sheet[e.sheet][e.row].append(e)
    report = ErrorReport(out)
    for sheet in sheets:
        rows = sheet.rows
        width = max((len(r) for r in rows), default=0)
        # An uploaded book may carry the report's columns from an earlier round: leave them out.
        keep = [j for j, h in enumerate(sheet.headers) if normalise_header(h)[0] not in REPORT_COLUMNS]
        keep += list(range(len(sheet.headers), width))
        report.sheet(sheet.name, len(keep), column_width=14)
        mine = by_sheet.get(sheet.name, {})
        for i, row in enumerate(rows):
            errs = mine.get(i + 1, [])
            bad_headers = {e.column for e in errs}
            for out_j, j in enumerate(keep):
                value = row[j] if j < len(row) else None
                if i == sheet.header_index:
                    report.cell(i, out_j, value, header=True)
                else:
                    header = sheet.headers[j] if j < len(sheet.headers) else ""
                    report.cell(i, out_j, value, bad=bool(header) and header in bad_headers)
            if i == sheet.header_index:
                report.header(i)
            elif errs:
                report.errors(i, i + 1, [e.column for e in errs], [e.reason for e in errs])
        report.freeze(sheet.header_index + 1)
    report.close()


# ---- the import ------------------------------------------------------------------------------------------


def imports_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports" / "funds"
    path.mkdir(parents=True, exist_ok=True)
    return path


LABELS = {"allocations": "资金下达", "projects": "项目", "arrangements": "资金安排", "payments": "资金支付"}


def funds_import(
    *,
    path: Path,
    actor: User | None,
    scope: Region,
    file_name: str = "",
    batch: FundsImportBatch | None = None,
) -> FundsImportBatch:
    """Import the workbook at `path` within `scope` (the importing account's region). Returns the batch:
    imported, rejected (row errors; the report's path in `report_file`, relative to DATA_DIR) or failed."""
    if batch is None:
        batch = FundsImportBatch.objects.create(
            file_name=(file_name or path.name)[:255],
            checksum=sha256_file(path) if path.exists() else "",
            region=scope,
            region_code=scope.code,
            uploaded_by=actor,
        )
    try:
        return _import(path=path, actor=actor, scope=scope, batch=batch)
    except Exception:  # noqa: BLE001 - never a 500 nor a batch left 待处理: the log keeps the traceback
        logger.exception("funds import %s failed unexpectedly", batch.pk)
        return _finish(
            batch,
            FundsImportBatch.Status.FAILED,
            f"导入时出现意外错误,未导入任何数据。请核对文件后重试;仍不成功请联系系统管理员(导入批次 {batch.pk})。",
        )


def _import(*, path: Path, actor: User | None, scope: Region, batch: FundsImportBatch) -> FundsImportBatch:
    try:
        sheets = read_book(path)
    except FundsImportError as exc:
        return _finish(batch, FundsImportBatch.Status.FAILED, str(exc))
    errors: list[RowError] = []
    for sheet in sheets:
        parse_sheet(sheet, errors)
    try:
        with transaction.atomic():
            counts, unchanged = _check_and_write(sheets, errors, actor=actor, scope=scope, batch=batch)
    except _Refused:
        errors.sort(key=lambda e: ([s.name for s in sheets].index(e.sheet), e.row))
        out = imports_dir() / f"{batch.pk}-错误报告.xlsx"
        write_report(sheets, errors, out)
        return _finish(
            batch,
            FundsImportBatch.Status.REJECTED,
            f"有 {len(errors)} 处错误,未导入任何数据。请下载错误报告,改正后重新导入整个文件。",
            errors=[e.as_dict() for e in errors[:ERROR_SAMPLE]],
            error_count=len(errors),
            report_file=str(out.relative_to(Path(settings.DATA_DIR))),
        )
    added = "、".join(f"{LABELS[k]} {n} 条" for k, n in counts.items() if n) or "无新增"
    same = sum(unchanged.values())
    message = f"已导入:{added}" + (f";{same} 条与系统中已有的相同,未重复登记" if same else "") + "。"
    return _finish(
        batch,
        FundsImportBatch.Status.IMPORTED,
        message,
        counts={"added": counts, "unchanged": dict(unchanged)},
    )


def _check_and_write(
    sheets: list[SheetData],
    errors: list[RowError],
    *,
    actor: User | None,
    scope: Region,
    batch: FundsImportBatch,
) -> tuple[dict[str, int], dict[str, int]]:
    by_key = {s.layout.key: s for s in sheets}
    places = Places(scope)
    plan = Plan()
    allocations: dict[tuple, Any] = {}
    projects: dict[str, Project] = {}
    if sheet := by_key.get("allocations"):
        _resolve_regions(sheet, places, errors, code_field="region_code", kind="unit")
        allocations = check_allocations(sheet, plan, errors, places)
    if sheet := by_key.get("projects"):
        _resolve_regions(sheet, places, errors, code_field="region_code", kind="place")
        projects = check_projects(sheet, plan, errors, places)
    if sheet := by_key.get("arrangements"):
        _resolve_regions(sheet, places, errors, code_field="region_code", kind="unit")
        check_arrangements(sheet, plan, errors, places, allocations, projects)
    if sheet := by_key.get("payments"):
        check_payments(sheet, plan, errors, places, projects)
    if errors:
        raise _Refused
    return write_plan(plan, actor=actor, batch=batch), plan.unchanged


def _finish(batch: FundsImportBatch, status: str, message: str, **values: Any) -> FundsImportBatch:
    batch.status = status
    batch.message = message[:500]
    batch.finished_at = timezone.now()
    for name, value in values.items():
        setattr(batch, name, value)
    batch.save()
    logger.info("funds import %s: %s %s", batch.pk, status, message)
    return batch


# ---- the template ----------------------------------------------------------------------------------------

EXAMPLES: dict[str, list[list[object]]] = {
    "allocations": [
        [
            2026,
            "中央",
            "赣财农指〔2026〕8号",
            "2026-02-15",
            "",
            "修水县",
            1250000,
            "衔接推进乡村振兴补助资金",
            "是",
        ]
    ],
    "projects": [
        [
            "XS2026001",
            "良塘村蔬菜大棚建设项目",
            2026,
            "产业发展",
            "",
            "修水县",
            "义宁镇",
            "良塘村",
            "义宁镇人民政府",
            "新建钢架大棚20亩",
            300000,
            100000,
            "",
            "",
            "2026-03-01",
            "2026-08-31",
            "2026-03-10",
            "",
            "",
        ]
    ],
    "arrangements": [["赣财农指〔2026〕8号", "中央", "", "修水县", "XS2026001", 300000, "2026-03-01"]],
    "payments": [
        ["XS2026001", "2026-04-10", 120000, "中央", "建筑安装工程", "施工企业", "某建设公司", "记-0042"]
    ],
}


def template_workbook(out: Any) -> None:
    """The blank workbook with the four sheets, each header's note, one example row each, and a help sheet."""
    book = TemplateBook(out)
    kinds = {"date": "date", "money": None, "year": None}
    choices = {
        "level": tuple(fd.FUND_LEVELS.values()),
        "kind": tuple(fd.PROJECT_TYPES.values()),
        "payee": tuple(fd.PAYEE_CATEGORIES.values()),
        "bool": ("是", "否"),
    }
    for layout in LAYOUTS:
        columns = [
            TemplateColumn(
                c.header + ("(元)" if c.parser == "money" else ""),
                max(12, len(c.header) * 2 + 6),
                c.required,
                c.note or ("别名:" + "、".join(c.aliases) if c.aliases else ""),
                kinds.get(c.parser, "text"),
                choices.get(c.parser, ()),
            )
            for c in layout.columns
        ]
        book.input_sheet(layout.name, columns, EXAMPLES[layout.key])
    book.notes_sheet(
        "填写说明",
        [("事项", 16), ("说明", 90)],
        [
            ("工作表", "资金下达、项目、资金安排、资金支付四张表,可只保留需要导入的几张;工作表名称不要改"),
            (
                "金额",
                "单位为元,最多两位小数;表头写成“下达金额(万元)”时按万元填写,最多六位小数,导入时精确换算为元",
            ),
            ("接收单位与地点", "填写12位行政区划代码,或填写名称(县、乡镇、村),只能是您管辖范围内的单位"),
            ("项目", "导入的项目直接纳入年度实施计划;已在项目库中的项目请勿重复填写"),
            ("资金安排", "按下达文号和资金级次找到资金下达;累计安排不得超过下达金额"),
            ("资金支付", "不得早于项目实际开工日期,累计支付不得超过项目总投资,负面清单所列用途不得支付"),
            ("资金用途", "、".join(u.label for u in fd.USE_CATEGORIES.values())),
            ("重复导入", "同一文件可重复导入,已导入的记录不会重复登记;任何一行有错误时整个文件都不导入"),
        ],
    )
    book.close()
