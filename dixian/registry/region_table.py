"""Loading the statistical division code table (统计用区划代码表) as published: reading the file,
keeping the city's part, and applying it with its change log and the households it leaves on retired
units (docs/domain.md §19).

Read through dixian.common.uploads (bounded: docs/security.md §2). A country table has about 700,000
rows: each row costs a prefix test of its code before anything else is done with it, and only the city's
few thousand rows are kept. The comparison with the tree and the writes are in dixian.regions.loading;
this module adds what only an upper layer knows: households (registry) and the change log (common).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from dixian.common.audit import change_record
from dixian.common.models import ChangeLog
from dixian.common.uploads import (
    OLE_SIGNATURE,
    XLSX_SIGNATURE,
    UploadRefused,
    check_csv,
    decode_csv,
    is_calamine_panic,
    open_workbook,
    upload_limits,
)
from dixian.regions.loading import (
    RegionTablePlan,
    Retired,
    TableRow,
    platform_city_prefix,
    region_table_apply,
    region_table_plan,
)
from dixian.regions.models import Region

from .models import Household

if TYPE_CHECKING:
    from dixian.accounts.models import User

# Header spellings of the published table and its common re-publications, after `_header` (spaces and a
# bracketed note such as "(12位)" removed).
CODE_HEADERS = frozenset({"统计用区划代码", "区划代码", "代码", "行政区划代码", "统计用代码", "code"})
NAME_HEADERS = frozenset({"名称", "单位名称", "区划名称", "行政区划名称", "地区名称", "name"})
URBAN_RURAL_HEADERS = frozenset({"城乡分类代码", "城乡分类", "城乡划分代码", "urban_rural_code"})
DAMAGED = "工作簿已损坏,无法读取。请用 Excel 或 WPS 另存为新的 .xlsx 文件后再上传。"
HEADER_SEARCH_ROWS = 10  # a title line or two may stand above the header
MAX_ERRORS = 200
COLUMNS_HELP = "代码表需要「统计用区划代码」(或「区划代码」「代码」)和「名称」(或「单位名称」)两列,城乡分类代码列可有可无。"


class RegionTablePlanChanged(Exception):
    """The tree or the file changed between the dry run shown and the confirmation."""


def _header(value: Any) -> str:
    text = re.sub(r"\s+", "", str(value if value is not None else ""))
    return re.split(r"[((]", text, maxsplit=1)[0].lower()


def _code_text(value: Any) -> str:
    """A code cell as digits: Excel keeps 12-digit codes as numbers (floats through calamine)."""
    if isinstance(value, str):
        return value.strip().lstrip("'")
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class RegionTableRead:
    rows: list[TableRow] = field(default_factory=list)  # the city's part
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    others: int = 0  # rows of the province, the country and other cities, skipped
    total: int = 0


def _columns(header: list[Any]) -> tuple[int, int, int | None] | None:
    names = [_header(h) for h in header]
    code = next((i for i, h in enumerate(names) if h in CODE_HEADERS), None)
    name = next((i for i, h in enumerate(names) if h in NAME_HEADERS), None)
    if code is None or name is None:
        return None
    urban_rural = next((i for i, h in enumerate(names) if h in URBAN_RURAL_HEADERS), None)
    return code, name, urban_rural


def _read_rows(rows: Iterator[list[Any]], *, city_prefix: str) -> RegionTableRead:
    """The city's rows of a table given as rows of cells, its header among the first rows."""
    columns = None
    line = 0
    for line, header in enumerate(rows, start=1):  # noqa: B007  # line is the header's after the loop
        columns = _columns(header)
        if columns is not None or line >= HEADER_SEARCH_ROWS:
            break
    if columns is None:
        raise UploadRefused(f"找不到代码表的表头。{COLUMNS_HELP}")
    code_at, name_at, ur_at = columns
    width = max(code_at, name_at, ur_at or 0) + 1
    read = RegionTableRead()

    def error(message: str) -> None:
        read.error_count += 1
        if len(read.errors) < MAX_ERRORS:
            read.errors.append(message)

    for line, cells in enumerate(rows, start=line + 1):  # noqa: B020  # numbering goes on after the header
        if len(cells) < width:
            if not any(c not in (None, "") for c in cells):
                continue
            cells = [*cells, *([None] * (width - len(cells)))]
        code = _code_text(cells[code_at])
        if not code.startswith(city_prefix):  # the cheap test every row of a country table pays
            if code or _cell_text(cells[name_at]):
                read.others += 1
            continue
        read.total += 1
        name = _cell_text(cells[name_at])
        if len(code) != 12 or not code.isdigit():
            error(f"第 {line} 行:区划代码「{code}」应为 12 位数字。")
            continue
        if not name:
            error(f"第 {line} 行:区划代码 {code} 没有名称。")
            continue
        if len(name) > Region._meta.get_field("name").max_length:  # type: ignore[operator]  # CharField
            error(f"第 {line} 行:名称「{name}」过长。")
            continue
        urban_rural = _cell_text(cells[ur_at]) if ur_at is not None else ""
        read.rows.append(TableRow(line, code, name, urban_rural))
    read.total += read.others
    return read


def _sheet_rows(book: Any) -> Iterator[list[Any]]:
    """The rows of the first sheet that has the table's header (python-calamine, streamed)."""
    for index in range(len(book.sheet_names)):
        try:
            sheet = book.get_sheet_by_index(index)
            head = list(_take(sheet.iter_rows(), HEADER_SEARCH_ROWS))
        except BaseException as exc:
            if is_calamine_panic(exc):
                raise UploadRefused(DAMAGED) from None
            raise
        if any(_columns(r) is not None for r in head):
            return iter(sheet.iter_rows())
    raise UploadRefused(f"工作簿中没有一张工作表带有代码表的表头。{COLUMNS_HELP}")


def _take(rows: Iterable[list[Any]], n: int) -> Iterator[list[Any]]:
    for i, row in enumerate(rows):
        if i >= n:
            return
        yield row


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    check_csv(data, upload_limits())
    # No header test at decoding: a GBK file with unexpected headers is told which headers are missing.
    text = decode_csv(data)
    first = text[:4096].split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    return iter(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def region_table_read(path: Path | str, *, city_prefix: str) -> RegionTableRead:
    """Read an uploaded code table (.xlsx, .xls or .csv in UTF-8 or GBK) and keep the city's rows.

    Raises UploadRefused (Chinese message) for a file that cannot be read as a code table.
    """
    path = Path(path)
    limits = upload_limits()
    size = path.stat().st_size
    if size == 0:
        raise UploadRefused("文件是空的(0 字节),请重新选择文件。")
    if size > limits.max_bytes:
        raise UploadRefused(
            f"文件超过了 {limits.max_bytes // (1024 * 1024)} MB 的上限。请只保留本省的部分后再上传。"
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith((XLSX_SIGNATURE, OLE_SIGNATURE)):
        book = open_workbook(path, limits)
        rows = _sheet_rows(book)
    else:
        rows = _csv_rows(path.read_bytes())
    try:
        return _read_rows(rows, city_prefix=city_prefix)
    except csv.Error:
        raise UploadRefused(
            "CSV 文件格式有误(引号不成对等),无法逐行读取。请用 Excel 或 WPS 另存为 CSV 后再上传。"
        ) from None
    except BaseException as exc:
        if is_calamine_panic(exc):
            raise UploadRefused(DAMAGED) from None
        raise


@dataclass(frozen=True)
class RetiredWithHouseholds:
    unit: Retired
    households: int


@dataclass
class RegionImportReport:
    file_name: str
    read: RegionTableRead
    plan: RegionTablePlan
    with_households: list[RetiredWithHouseholds]  # retired by this table, households still on them
    still_holding: list[RetiredWithHouseholds]  # retired earlier, households still on them
    applied: bool = False

    @property
    def refused(self) -> bool:
        return bool(self.read.error_count or self.plan.errors)

    @property
    def errors(self) -> list[str]:
        return [*self.read.errors, *self.plan.errors]

    def summary(self) -> list[str]:
        """The report in a few Chinese lines (the command prints them; the page shows the same counts)."""
        p, r = self.plan, self.read
        lines = [
            f"文件 {self.file_name}:共 {r.total:,} 行,本市({p.city_name} {p.city_code}){p.rows:,} 个区划,"
            f"其他地区 {r.others:,} 行已跳过。",
            f"新增 {len(p.added):,} 个,更名 {len(p.renamed):,} 个,撤销 {len(p.retired):,} 个"
            f"(随村撤销的组 {len(p.retired_groups):,} 个),恢复 {len(p.reactivated):,} 个,"
            f"城乡分类变更 {len(p.reclassified):,} 个,调整上级 {len(p.moved):,} 个。",
        ]
        if self.with_households:
            lines.append(
                f"撤销的区划中有 {len(self.with_households):,} 个仍有农户(共 "
                f"{sum(w.households for w in self.with_households):,} 户),需要把这些农户迁到新的村(组)。"
            )
        if self.still_holding:
            lines.append(f"此前已撤销、仍有农户的区划 {len(self.still_holding):,} 个。")
        return lines


def _households_on(units: list[Retired], retired_groups: list[Retired]) -> list[RetiredWithHouseholds]:
    """Households recorded on each retired unit or on a retired group of it (one query). A group's
    households count for its village, so a village and its township never count the same household."""
    if not units:
        return []
    by_id = {u.region_id: u for u in units}
    owner = {g.region_id: g.code[:12] for g in retired_groups}
    id_of_code = {u.code: u.region_id for u in units}
    counts: dict[int, int] = {}
    for region_id, n in (
        Household.objects.filter(region_id__in=[*by_id, *owner])
        .values_list("region_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        target = region_id if region_id in by_id else id_of_code.get(owner[region_id])
        if target is not None:
            counts[target] = counts.get(target, 0) + n
    return [
        RetiredWithHouseholds(by_id[pk], n)
        for pk, n in sorted(counts.items(), key=lambda t: by_id[t[0]].code)
    ]


def _still_holding(city_code: str, exclude: set[int]) -> list[RetiredWithHouseholds]:
    earlier = Region.objects.filter(
        code__gte=city_code[:4], code__lt=city_code[:4] + "~", retired_on__isnull=False
    ).exclude(pk__in=exclude)
    rows = (
        Household.objects.filter(region__in=earlier)
        .values_list("region_id", "region__code", "region__name", "region__level", "region__full_name")
        .annotate(n=Count("id"))
        .order_by("region__code")
    )
    return [
        RetiredWithHouseholds(Retired(pk, code, name, level, full), n)
        for pk, code, name, level, full, n in rows
    ]


def _report(file_name: str, read: RegionTableRead, plan: RegionTablePlan) -> RegionImportReport:
    with_households = _households_on(plan.retired, plan.retired_groups) if not plan.errors else []
    retiring = {u.region_id for u in (*plan.retired, *plan.retired_groups)}
    return RegionImportReport(
        file_name=file_name,
        read=read,
        plan=plan,
        with_households=with_households,
        still_holding=_still_holding(plan.city_code, retiring) if not plan.errors else [],
    )


def regions_import(
    path: Path | str,
    *,
    file_name: str,
    actor: User | None,
    apply: bool,
    source: str = ChangeLog.Source.IMPORT,
    expected: str | None = None,
    today: dt.date | None = None,
) -> RegionImportReport:
    """Read a code table and report what it changes; with `apply`, make the changes in one transaction.

    Renames, retirements and restorations are written to the change log. A table with errors is reported
    and never applied. `expected` (the fingerprint of a dry run) makes apply refuse a plan that is no
    longer the one shown (RegionTablePlanChanged).
    Raises UploadRefused for an unreadable file and RegionTableError for a table without the city.
    """
    city_prefix = platform_city_prefix()
    read = region_table_read(path, city_prefix=city_prefix)
    if not apply:
        return _report(file_name, read, region_table_plan(read.rows, city_prefix=city_prefix))
    today = today or timezone.localdate()
    with transaction.atomic():
        # One import at a time: the city's row is the lock (absent only on the very first load).
        list(Region.objects.select_for_update().filter(code=city_prefix.ljust(12, "0")).values_list("pk"))
        plan = region_table_plan(read.rows, city_prefix=city_prefix)
        report = _report(file_name, read, plan)
        if report.refused:
            return report
        if expected is not None and plan.fingerprint() != expected:
            raise RegionTablePlanChanged
        region_table_apply(plan, today=today)
        reference = f"区划代码表 {file_name}"[:64]
        logged: list[tuple[int, dict[str, list[Any]], str]] = [
            *(
                (
                    r.region_id,
                    {"name": [r.old_name, r.new_name]},
                    f"区划更名:{r.code} {r.old_name} → {r.new_name}",
                )
                for r in plan.renamed
            ),
            *(
                (
                    gone.region_id,
                    {"retired_on": [None, today.isoformat()]},
                    f"区划撤销:{gone.code} {gone.full_name or gone.name}",
                )
                for gone in (*plan.retired, *plan.retired_groups)
            ),
            *(
                (
                    back.region_id,
                    {"retired_on": [back.old.split(" ")[0], None]},
                    f"区划恢复使用:{back.code} {back.name}",
                )
                for back in plan.reactivated
            ),
        ]
        for region_id, changes, summary in logged:
            change_record(
                actor=actor,
                source=source,
                entity="region",
                entity_id=region_id,
                household_id=None,
                action=ChangeLog.Action.UPDATE,
                changes=changes,
                summary=summary,
                reference=reference,
            )
        report.applied = True
        return report
