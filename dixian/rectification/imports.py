"""The findings list (问题清单) as an assessment or an inspection delivers it (docs/domain.md §25 "Workbook
import"): one .xlsx (bounded first by dixian/common/uploads.py, read with python-calamine), one row per problem:
序号, 问题来源, 问题类别, 问题, 问题描述, 县(市、区) / 乡(镇) / 村 names or 区划代码, 发现日期, 整改时限, 责任单位, 责任人,
整改措施, 佐证材料要求. Headers in any order, in the first rows of the first sheet, with the spellings lists use.

All or nothing: every row is checked (source and category known, the place inside the importer's subtree, the
dates, a deadline not before the date found); one error refuses the whole book and every row's reasons are
listed. A row with 责任单位 or 整改措施 becomes a finding with one task owned by its place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dixian.common import uploads
from dixian.common.spreadsheets import TemplateBook, TemplateColumn
from dixian.domain import placenames as pn
from dixian.domain.dictionaries import ParseError
from dixian.regions.models import Region
from dixian.regions.names import PlaceIndex
from dixian.registry import parsing as rp

from . import services
from .models import Finding

if TYPE_CHECKING:
    from dixian.accounts.models import User

HEADER_SCAN_ROWS = 10
MAX_ROWS = 5000
ERRORS_SHOWN = 200


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    note: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("plan_no", "序号", ("编号", "问题序号")),
    Column(
        "source",
        "问题来源",
        ("来源", "反馈来源", "问题出处"),
        True,
        "国考、省考、后评估、督导、暗访、审计、信访、资金绩效评价、平台核查",
    ),
    Column("category", "问题类别", ("类别", "问题类型", "问题分类"), True, "、".join(services.CATEGORIES)),
    Column("title", "问题", ("问题名称", "问题标题", "存在问题")),
    Column("description", "问题描述", ("具体问题", "问题表现", "问题详情", "主要问题"), True),
    Column("county", "县(市、区)", ("县", "县区", "县(区)", "县(市)")),
    Column("township", "乡(镇)", ("乡镇", "乡镇(街道)", "镇", "乡")),
    Column("village", "村", ("行政村", "村(社区)", "村名")),
    Column("code", "区划代码", ("行政区划代码", "所在地代码"), note="可代替县/乡/村名称:4 至 12 位代码"),
    Column("found_on", "发现日期", ("反馈日期", "发现时间", "反馈时间"), True),
    Column("deadline", "整改时限", ("完成时限", "整改期限", "整改完成时限")),
    Column("owner_unit", "责任单位", ("牵头单位", "责任部门")),
    Column("owner_name", "责任人", ("责任领导", "联系人")),
    Column("measures", "整改措施", ("整改举措", "整改要求")),
    Column("evidence_required", "佐证材料要求", ("佐证材料", "佐证要求")),
)
BY_HEADER = {pn.clean(name): c for c in COLUMNS for name in (c.header, *c.aliases)}

SOURCES: dict[str, str] = {
    **{label: value for value, label in Finding.Source.choices},
    "国考": Finding.Source.NATIONAL,
    "国家考核": Finding.Source.NATIONAL,
    "国家成效考核": Finding.Source.NATIONAL,
    "省考": Finding.Source.PROVINCIAL,
    "省级考核": Finding.Source.PROVINCIAL,
    "省级成效考核": Finding.Source.PROVINCIAL,
    "市级督导": Finding.Source.SUPERVISION,
    "市督导": Finding.Source.SUPERVISION,
    "绩效评价": Finding.Source.FUND_REVIEW,
    "第三方评估": Finding.Source.FUND_REVIEW,
}


class FindingsImportError(Exception):
    """The file cannot be read as a findings list at all; the message says why, in Chinese."""


@dataclass(frozen=True)
class RowError:
    row: int  # the row's number in the sheet (1-based, as Excel shows it)
    column: str  # the header, or "" for the whole row
    reason: str


@dataclass
class ImportResult:
    ok: bool
    message: str
    errors: list[RowError] = field(default_factory=list)
    findings: list[int] = field(default_factory=list)


def parse_source(value: object) -> str:
    text = pn.clean(rp.text(value))
    for key in (text, text.removesuffix("反馈"), text.removesuffix("反馈问题"), text.removesuffix("发现")):
        if key in SOURCES:
            return SOURCES[key]
    raise ParseError(
        f"问题来源「{text}」无法识别,可填:国考、省考、后评估、督导、暗访、审计、信访、资金绩效评价、平台核查"
    )


def parse_category(value: object) -> str:
    text = pn.clean(rp.text(value))
    for category in services.CATEGORIES:
        if text and (text == category or text.startswith(category) or text == category[:2]):
            return category
    raise ParseError(f"问题类别「{text}」无法识别,可填:{'、'.join(services.CATEGORIES)}")


def _header(rows: list[list[Any]]) -> tuple[int, dict[int, Column]]:
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        found = {
            j: BY_HEADER[pn.clean(rp.text(cell))]
            for j, cell in enumerate(row)
            if pn.clean(rp.text(cell)) in BY_HEADER
        }
        if sum(1 for c in found.values() if c.required) >= 2:
            missing = [c.header for c in COLUMNS if c.required and c not in found.values()]
            if missing:
                raise FindingsImportError(
                    f"表头缺少必填列:{'、'.join(missing)}。请下载导入模板对照表头后再导入。"
                )
            return i, found
    raise FindingsImportError(
        "在工作表前 10 行找不到表头(问题来源、问题类别、问题描述、发现日期 …)。请下载导入模板对照后再导入。"
    )


class _Places:
    def __init__(self, scope: Region) -> None:
        self.scope = scope
        self.index = PlaceIndex.for_scope(scope, groups=False)
        self.cache: dict[tuple[str, ...], tuple[Region | None, str, str]] = {}

    def find(self, code: str, county: str, township: str, village: str) -> tuple[Region | None, str, str]:
        """(region, column to blame, reason)."""
        key = (code, county, township, village)
        if key not in self.cache:
            self.cache[key] = self._find(*key)
        return self.cache[key]

    def _find(self, code: str, county: str, township: str, village: str) -> tuple[Region | None, str, str]:
        if code:
            if not (code.isascii() and code.isdigit() and 4 <= len(code) <= 12):
                return None, "区划代码", f"区划代码「{code}」应为 4 至 12 位数字"
            region = Region.objects.filter(code=code.ljust(12, "0")).exclude(level=Region.Level.GROUP).first()
            if region is None or not region.code.startswith(self.scope.prefix):
                return (
                    None,
                    "区划代码",
                    f"区划代码「{code}」不存在或不在您的管辖范围({self.scope.name})内,请核对",
                )
            return region, "", ""
        found_code: str | None = None
        if village:
            resolved = self.index.resolve(county=county, township=township, village=village)
            if resolved.place is None:
                return None, "村", resolved.message
            found_code = resolved.place.code
        elif township:
            within = self.index.match(pn.COUNTY, county) if county else None
            hits = self.index.match(pn.TOWNSHIP, township, within or None)
            if len(hits) != 1:
                why = (
                    "有多个同名乡镇,请填写县(市、区)或区划代码"
                    if hits
                    else "在您的管辖范围内找不到该乡镇,请核对名称或填写区划代码"
                )
                return None, "乡(镇)", f"「{township}」{why}"
            found_code = hits[0].code
        elif county:
            hits = self.index.match(pn.COUNTY, county)
            if len(hits) != 1:
                return (
                    None,
                    "县(市、区)",
                    f"在您的管辖范围内找不到县(市、区)「{county}」,请核对名称或填写区划代码",
                )
            found_code = hits[0].code
        else:
            return None, "", "请填写问题所在地:县(市、区)、乡(镇)、村名称,或区划代码"
        return Region.objects.get(code=found_code), "", ""


def read_rows(path: Path) -> tuple[int, dict[int, Column], list[list[Any]]]:
    try:
        book = uploads.open_workbook(path)
        rows = uploads.sheet_rows(book, 0)
    except uploads.UploadRefused as exc:
        raise FindingsImportError(exc.message) from None
    except (ValueError, OSError) as exc:
        raise FindingsImportError(
            f"无法读取该工作簿:{exc}。请用 Excel 或 WPS 另存为 .xlsx 后再导入。"
        ) from None
    head, columns = _header(rows)
    body = [r for r in rows[head + 1 :]]
    if len(body) > MAX_ROWS:
        raise FindingsImportError(f"一次最多导入 {MAX_ROWS} 个问题,请分成几个文件")
    return head, columns, body


def findings_import(*, path: Path, actor: User | None, scope: Region) -> ImportResult:
    """Check every row, then file them all in one transaction, or none (see the module)."""
    try:
        head, columns, body = read_rows(path)
    except FindingsImportError as exc:
        return ImportResult(False, str(exc))
    places = _Places(scope)
    today = timezone.localdate()
    errors: list[RowError] = []
    parsed: list[tuple[int, dict[str, Any], Region]] = []
    for offset, raw in enumerate(body):
        number = head + 2 + offset
        cells = {c.field: raw[j] if j < len(raw) else None for j, c in columns.items()}
        if all(rp.text(v) == "" for v in cells.values()):
            continue
        row: dict[str, Any] = {}
        bad: list[RowError] = []

        def parse(
            name: str,
            header: str,
            fn: Any,
            _cells: dict[str, Any] = cells,
            _row: dict[str, Any] = row,
            _bad: list[RowError] = bad,
            _n: int = number,
        ) -> None:
            try:
                _row[name] = fn(_cells.get(name))
            except ParseError as exc:
                _bad.append(RowError(_n, header, str(exc)))

        parse("source", "问题来源", parse_source)
        parse("category", "问题类别", parse_category)
        parse("found_on", "发现日期", rp.parse_date)
        parse("deadline", "整改时限", rp.parse_date)
        for name in (
            "plan_no",
            "title",
            "description",
            "owner_unit",
            "owner_name",
            "measures",
            "evidence_required",
        ):
            row[name] = rp.text(cells.get(name)).strip()
        if not row["description"] and not row["title"]:
            bad.append(RowError(number, "问题描述", "请填写问题描述"))
        if "found_on" in row and row["found_on"] is None:
            bad.append(RowError(number, "发现日期", "请填写发现日期"))
        found_on, deadline = row.get("found_on"), row.get("deadline")
        if found_on and found_on > today:
            bad.append(RowError(number, "发现日期", "发现日期不能晚于今天,请核对"))
        if found_on and deadline and deadline < found_on:
            bad.append(RowError(number, "整改时限", f"整改时限不能早于发现日期({found_on:%Y-%m-%d}),请核对"))
        region, column, reason = places.find(
            *(pn.clean(rp.text(cells.get(n))) for n in ("code", "county", "township", "village"))
        )
        if region is None:
            bad.append(RowError(number, column, reason))
        if bad:
            errors += bad
            continue
        assert region is not None  # noqa: S101 - checked above
        parsed.append((number, row, region))
    if not parsed and not errors:
        return ImportResult(False, "工作表中没有问题行。")
    if errors:
        rows_bad = len({e.row for e in errors})
        return ImportResult(
            False,
            f"有 {rows_bad} 行共 {len(errors)} 处错误,整个文件未导入。请按错误原因修改后重新导入。",
            errors[:ERRORS_SHOWN],
        )
    filed: list[int] = []
    try:
        with transaction.atomic():
            for _number, row, region in parsed:
                title = row["title"] or row["description"][:60]
                finding, _ = services.finding_raise(
                    actor=actor,
                    source=row["source"],
                    category=row["category"],
                    title=title,
                    description=row["description"],
                    region=region,
                    found_on=row["found_on"],
                    deadline=row["deadline"],
                    measures=row["measures"],
                    plan_no=row["plan_no"],
                    imported=True,
                )
                filed.append(finding.pk)
                if row["owner_unit"] or row["measures"]:
                    services.task_add(
                        actor=actor,
                        finding=finding,
                        title=(row["measures"] or title)[:200],
                        owner_region=region,
                        owner_unit=row["owner_unit"],
                        owner_name=row["owner_name"],
                        deadline=row["deadline"] or row["found_on"] + dt.timedelta(days=90),
                        evidence_required=row["evidence_required"],
                        check=False,
                    )
    except ValidationError as exc:
        return ImportResult(False, f"导入失败,未导入任何问题:{' '.join(exc.messages)}")
    return ImportResult(True, f"已导入 {len(filed)} 个问题。", findings=filed)


def template_workbook(out: Any) -> None:
    book = TemplateBook(out)
    cols = [
        TemplateColumn(
            c.header,
            14 if c.field not in ("description", "measures", "title") else 36,
            c.required,
            c.note,
            kind="date" if c.field in ("found_on", "deadline") else "text",
        )
        for c in COLUMNS
    ]
    example = [
        "1",
        "国考",
        "政策落实",
        "监测对象帮扶措施不精准",
        "部分监测户帮扶措施与风险类型不匹配",
        "修水县",
        "义宁镇",
        "良塘村",
        "",
        "2023-01-15",
        "2023-06-30",
        "县乡村振兴局",
        "张三",
        "逐户核实风险类型,调整帮扶措施",
        "帮扶手册照片",
    ]
    book.input_sheet("问题清单", cols, [example])
    book.notes_sheet(
        "填写说明",
        [("列", 14), ("说明", 80)],
        [[c.header, ("必填。" if c.required else "可不填。") + c.note] for c in COLUMNS],
        then=[
            ["所在地", "填写县(市、区)、乡(镇)、村名称之一或几项,或填写区划代码;须在您的管辖范围内。"],
            ["全部或全不", "任何一行有错误时整个文件都不导入,页面列出每行的错误原因。"],
        ],
        wrap_from=1,
    )
    book.close()
