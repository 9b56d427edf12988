"""The city's part of the statistical division code table, compared with the tree in the database and
written into it (docs/domain.md §19).

This module takes rows already read from the file (reading uploads is the job of a higher layer:
`dixian.registry.region_table`) and knows nothing of households or the change log: `region_table_plan`
says what would change, `region_table_apply` writes it. The level and the parent of a unit come from its
code alone, so a unit that moves to another parent arrives with a new code, and a table can never make a
village hang under the wrong township.

Village groups (组, 14 digits) are not in the national table: they are left as they are, except that a
group of a retired village is retired with it, and a renamed ancestor changes their full name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings

from .models import Region

TABLE_LEVELS = ("city", "county", "township", "village")
# 市辖区 rows of older tables stand for a city's urban districts as a whole and have no unit below them.
CITY_DISTRICTS = "市辖区"
DEFAULT_CITY_CODE = "3604"  # 九江市, the demo city (docs/domain.md §16)


class RegionTableError(ValueError):
    """The table cannot be loaded at all (a Chinese message saying why and what to do)."""


@dataclass(frozen=True)
class TableRow:
    line: int  # row number in the file, for messages
    code: str  # 12 digits
    name: str
    urban_rural: str = ""  # 城乡分类代码, villages only


def code_level(code: str) -> str:
    """province / city / county / township / village, from a 12-digit code (docs/domain.md §19)."""
    if code[2:] == "0" * 10:
        return "province"
    if code[4:] == "0" * 8:
        return "city"
    if code[6:] == "0" * 6:
        return "county"
    if code[9:] == "000":
        return "township"
    return "village"


def code_parent(code: str) -> str | None:
    """The code of the unit above (None for a province): the code with its own digits zeroed."""
    level = code_level(code)
    if level == "province":
        return None
    keep = {"city": 2, "county": 4, "township": 6, "village": 9}[level]
    return code[:keep].ljust(12, "0")


def city_prefix_setting() -> str:
    """The platform's city as the 4 leading digits of its code (DIXIAN_CITY_CODE, 4 or 12 digits)."""
    raw = str(getattr(settings, "DIXIAN_CITY_CODE", "") or DEFAULT_CITY_CODE).strip()
    return raw[:4]


def platform_city_prefix() -> str:
    """The city whose part of a table is loaded: the city at the root of the tree in the database, or,
    before any tree is loaded, the city of DIXIAN_CITY_CODE."""
    root = Region.objects.filter(parent__isnull=True, level=Region.Level.CITY).order_by("code").first()
    return root.prefix if root is not None else city_prefix_setting()


@dataclass(frozen=True)
class Added:
    code: str
    name: str
    level: str
    full_name: str
    urban_rural: str


@dataclass(frozen=True)
class Renamed:
    region_id: int
    code: str
    level: str
    old_name: str
    new_name: str


@dataclass(frozen=True)
class Retired:
    region_id: int
    code: str
    name: str
    level: str
    full_name: str


@dataclass(frozen=True)
class Updated:
    """A unit kept under its code whose class, parent or state changes."""

    region_id: int
    code: str
    name: str
    what: str  # Chinese, for the report
    old: str
    new: str


@dataclass
class RegionTablePlan:
    city_code: str
    city_name: str
    rows: int  # units of the table under the city
    errors: list[str] = field(default_factory=list)
    added: list[Added] = field(default_factory=list)
    renamed: list[Renamed] = field(default_factory=list)
    retired: list[Retired] = field(default_factory=list)  # table levels only
    retired_groups: list[Retired] = field(default_factory=list)  # groups of retired villages
    reactivated: list[Updated] = field(default_factory=list)
    reclassified: list[Updated] = field(default_factory=list)  # 城乡分类 changed
    moved: list[Updated] = field(default_factory=list)  # parent in the database not the code's
    skipped_city_districts: int = 0
    # Internal: what apply writes to units kept.
    full_names: dict[int, str] = field(default_factory=dict)
    parents: dict[int, str] = field(default_factory=dict)  # region id → parent code

    @property
    def changes(self) -> int:
        return (
            len(self.added)
            + len(self.renamed)
            + len(self.retired)
            + len(self.retired_groups)
            + len(self.reactivated)
            + len(self.reclassified)
            + len(self.moved)
            + len(self.full_names)
        )

    def fingerprint(self) -> str:
        """A digest of every change: the page applies a plan only if it is still the one shown."""
        h = hashlib.sha256(self.city_code.encode())
        for item in (
            *self.added,
            *self.renamed,
            *self.retired,
            *self.retired_groups,
            *self.reactivated,
            *self.reclassified,
            *self.moved,
        ):
            h.update(repr(item).encode())
        h.update(repr(sorted(self.full_names.items())).encode())
        return h.hexdigest()


def _table(rows: Iterable[TableRow], city_code: str, errors: list[str]) -> tuple[dict[str, TableRow], int]:
    """code → row of the city's part; duplicates with one name are one unit, with two names an error."""
    table: dict[str, TableRow] = {}
    districts: list[TableRow] = []
    for row in rows:
        if not row.code.startswith(city_code[:4]):
            continue
        level = code_level(row.code)
        if level == "county" and row.name == CITY_DISTRICTS:
            districts.append(row)
            continue
        if level == "village" and row.urban_rural and row.urban_rural not in Region.UrbanRural.values:
            errors.append(
                f"第 {row.line} 行:{row.code}({row.name})的城乡分类代码「{row.urban_rural}」无效,"
                "应为 111、112、121、122、123、210 或 220。"
            )
        seen = table.get(row.code)
        if seen is not None and seen.name != row.name:
            errors.append(
                f"第 {row.line} 行:区划代码 {row.code} 在第 {seen.line} 行已出现,名称却不同"
                f"(「{seen.name}」和「{row.name}」)。请核对后只保留一行。"
            )
            continue
        table.setdefault(row.code, row)
    skipped = 0
    for row in districts:  # kept only when the table lists units under it
        if any(code.startswith(row.code[:6]) and code != row.code for code in table):
            table.setdefault(row.code, row)
        else:
            skipped += 1
    return table, skipped


def region_table_plan(rows: Iterable[TableRow], *, city_prefix: str) -> RegionTablePlan:
    """What loading `rows` (the whole table or its part under the city) would change in the tree.

    Raises RegionTableError when the table lacks the city's row: a table of one county, or of another
    province, would otherwise retire the rest of the city.
    """
    city_code = city_prefix[:4].ljust(12, "0")
    errors: list[str] = []
    table, skipped = _table(rows, city_code, errors)
    city_row = table.get(city_code)
    if city_row is None:
        raise RegionTableError(
            f"文件中没有本市的区划代码 {city_code}(本平台只导入本市的部分)。请上传包含本市那一行的"
            "全省或全国统计用区划代码表;只含一个县的表会让其他县被误判为撤销,所以不能导入。"
        )
    for code, row in table.items():
        if code == city_code:
            continue
        parent = code_parent(code)
        above = TABLE_LEVELS[TABLE_LEVELS.index(code_level(code)) - 1]
        if parent is None or code_level(parent) != above:  # e.g. a village whose township digits are 000
            errors.append(
                f"第 {row.line} 行:区划代码 {code}({row.name})不合规:上一级的代码段全为 0。请核对代码。"
            )
        elif parent not in table:
            errors.append(
                f"第 {row.line} 行:{code}({row.name})的上级区划 {parent} 不在表中。请上传完整的代码表。"
            )
    plan = RegionTablePlan(city_code=city_code, city_name=city_row.name, rows=len(table), errors=errors)
    plan.skipped_city_districts = skipped
    if errors:
        return plan

    existing = {
        r.code: r
        for r in Region.objects.filter(code__gte=city_code[:4], code__lt=city_code[:4] + "~").only(
            "id", "code", "name", "level", "parent_id", "full_name", "urban_rural_code", "retired_on"
        )
    }
    code_of_id = {r.pk: code for code, r in existing.items()}
    city_db = existing.get(city_code)
    base = ""
    if city_db is not None and city_db.parent_id is not None:
        upper = Region.objects.filter(pk=city_db.parent_id).values_list("full_name", flat=True).first()
        base = upper or ""

    full: dict[str, str] = {}
    for code in sorted(table, key=lambda c: (TABLE_LEVELS.index(code_level(c)), c)):
        row = table[code]
        parent = code_parent(code)
        full[code] = (base if code == city_code else full[parent or ""]) + row.name

    for code in sorted(table):
        row = table[code]
        level = code_level(code)
        urban_rural = row.urban_rural if level == "village" else ""
        region = existing.get(code)
        if region is None:
            plan.added.append(Added(code, row.name, level, full[code], urban_rural))
            continue
        if region.name != row.name:
            plan.renamed.append(Renamed(region.pk, code, level, region.name, row.name))
        if region.retired_on is not None:
            plan.reactivated.append(
                Updated(region.pk, code, row.name, "恢复使用", f"{region.retired_on:%Y-%m-%d} 撤销", "使用中")
            )
        if urban_rural and urban_rural != region.urban_rural_code:
            plan.reclassified.append(
                Updated(region.pk, code, row.name, "城乡分类", region.urban_rural_code, urban_rural)
            )
        parent = code_parent(code) if code != city_code else None
        db_parent = code_of_id.get(region.parent_id) if region.parent_id is not None else None
        if parent is not None and db_parent != parent:
            plan.moved.append(Updated(region.pk, code, row.name, "上级", db_parent or "", parent))
            plan.parents[region.pk] = parent
        if region.full_name != full[code]:
            plan.full_names[region.pk] = full[code]

    retired_villages: set[str] = set()
    for code in sorted(existing):
        region = existing[code]
        if region.level == Region.Level.GROUP:
            village = code[:12]
            if village in table:
                group_full = full[village] + region.name
                was_retired = existing.get(village) is not None and existing[village].retired_on is not None
                if region.retired_on is not None and was_retired:  # back with its village
                    plan.reactivated.append(
                        Updated(
                            region.pk,
                            code,
                            region.name,
                            "恢复使用",
                            f"{region.retired_on:%Y-%m-%d} 撤销",
                            "使用中",
                        )
                    )
                if region.full_name != group_full and (region.retired_on is None or was_retired):
                    plan.full_names[region.pk] = group_full
            elif region.retired_on is None:
                retired_villages.add(village)
                plan.retired_groups.append(
                    Retired(region.pk, code, region.name, region.level, region.full_name)
                )
            continue
        if code not in table and region.retired_on is None:
            plan.retired.append(Retired(region.pk, code, region.name, region.level, region.full_name))
    return plan


def region_table_apply(plan: RegionTablePlan, *, today: dt.date) -> None:
    """Write `plan` (made in the same transaction): add, rename, reclassify, re-parent, retire, restore.

    Retired units stay in the tree with their households; nothing is ever deleted.
    """
    if plan.errors:
        raise RegionTableError("代码表有错误,未做任何修改。")
    ids: dict[str, int] = dict(
        Region.objects.filter(code__gte=plan.city_code[:4], code__lt=plan.city_code[:4] + "~")
        .exclude(level=Region.Level.GROUP)
        .values_list("code", "id")
    )
    for level in TABLE_LEVELS:
        objects = [
            Region(
                code=a.code,
                name=a.name,
                level=level,
                parent_id=ids[parent] if (parent := code_parent(a.code)) in ids else None,
                prefix=a.code[: Region.PREFIX_LENGTH[level]],
                full_name=a.full_name,
                urban_rural_code=a.urban_rural,
            )
            for a in plan.added
            if a.level == level
        ]
        if not objects:
            continue
        Region.objects.bulk_create(objects, batch_size=2000)
        codes = [o.code for o in objects]
        for i in range(0, len(codes), 2000):
            ids.update(Region.objects.filter(code__in=codes[i : i + 2000]).values_list("code", "id"))

    touched: dict[int, dict[str, object]] = {}
    for r in plan.renamed:
        touched.setdefault(r.region_id, {})["name"] = r.new_name
    for u in plan.reactivated:
        touched.setdefault(u.region_id, {})["retired_on"] = None
    for u in plan.reclassified:
        touched.setdefault(u.region_id, {})["urban_rural_code"] = u.new
    for pk, parent in plan.parents.items():
        touched.setdefault(pk, {})["parent_id"] = ids[parent]
    for pk, name in plan.full_names.items():
        touched.setdefault(pk, {})["full_name"] = name
    for gone in (*plan.retired, *plan.retired_groups):
        touched.setdefault(gone.region_id, {})["retired_on"] = today
    if not touched:
        return
    regions = Region.objects.in_bulk(list(touched))
    fields: set[str] = set()
    for pk, values in touched.items():
        for name, value in values.items():
            setattr(regions[pk], name, value)
            fields.add(name)
    Region.objects.bulk_update(list(regions.values()), sorted(fields), batch_size=1000)
