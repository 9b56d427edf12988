"""The registry import's place step: 县 / 乡 / 村 / 组 names → the household's region code.

A county's own workbook codes each household's village (行政区划代码); the national system's export names
it instead (docs/domain.md §14.1). After the cells are parsed, `places_resolve` resolves every distinct
(县, 乡, 村, 组) tuple once against the importing account's part of the tree (regions/names.py: nothing
outside the scope is loaded, so a name of another county reads "not found in your scope"), then maps
the codes back onto the rows: 200,000 rows name a few hundred villages. The resolved code takes the
place of the code column, so every later check (scope, level, one value per household) and the writer
see a code whichever way the book gave it. Where both are given they must agree; a group name that is
not a group of the village is an error naming the village's groups (an import never creates regions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dixian.domain import placenames
from dixian.regions.names import PlaceIndex, Resolution

from . import choices as c
from . import parsing as p
from .template import BY_FIELD

if TYPE_CHECKING:
    from dixian.regions.models import Region

    from .imports import Parsed, RowError, Sheet

NAME_FIELDS = ("county_name", "township_name", "village_name", "group_name")
LEVEL_FIELD = {
    placenames.COUNTY: "county_name",
    placenames.TOWNSHIP: "township_name",
    placenames.VILLAGE: "village_name",
    placenames.GROUP: "group_name",
}


def parse_place_name(value: Any) -> str:
    """A name cell, kept as written but in its clean form (so "义宁 镇" and "义宁镇" are one value)."""
    name = placenames.clean(p.text(value))
    if len(name) > 60:
        raise p.ParseError("名称超过60个字,请只填写名称")
    return name


def place_columns_problem(sheet_name: str, columns: dict[str, int]) -> str | None:
    """Why a sheet cannot place its households: neither a code column nor a village-name column."""
    if "region_code" in columns or "village_name" in columns:
        return None
    return (
        f"工作表「{sheet_name}」缺少农户所在村:请加上“行政区划代码”列,"
        "或“县(市、区)”“乡(镇)”“行政村”名称列(组可选)。请使用导入模板,或把表头改成模板中的名称"
    )


def places_resolve(sheet: Sheet, parsed: Parsed, *, scope: Region) -> list[RowError]:
    """Fill `parsed.values["region_code"]` from the name columns; the errors of names that do not resolve
    (or disagree with the row's code). A row whose place failed gets no code, so that no later check
    repeats the complaint."""
    from .imports import RowError

    v, cols, rows, headers = parsed.values, sheet.columns, parsed.rows, sheet.headers
    n = len(rows)
    codes: list[str | None] = list(v.get("region_code") or [None] * n)
    v["region_code"] = codes
    present = [f for f in NAME_FIELDS if f in cols]
    if not present or not any(any(v[f]) for f in present):
        return []
    none: list[Any] = [None] * n
    names = list(zip(*(v.get(f, none) for f in NAME_FIELDS), strict=True))
    wanted = {t for t in names if t[2]}
    index = PlaceIndex.for_scope(scope)  # groups too: a village cell may end with one (良塘村三组)
    outcomes: dict[tuple[Any, ...], Resolution] = {
        t: index.resolve(county=t[0] or "", township=t[1] or "", village=t[2], group=t[3] or "")
        for t in wanted
    }
    errors: list[RowError] = []
    told: set[tuple[Any, ...]] = set()  # one complaint per household and name, not one per member

    def add(i: int, name: str, reason: str) -> None:
        key = (v["household_no"][i], name, reason)
        if key in told:
            return
        told.add(key)
        j = cols.get(name)
        errors.append(RowError(rows[i], headers[j] if j is not None else BY_FIELD[name].header, reason, j))

    for i, t in enumerate(names):
        code = codes[i]
        if not t[2]:
            if code is None and any(t):
                codes[i] = None
                field = "group_name" if t[3] else next(f for f, x in zip(NAME_FIELDS, t, strict=True) if x)
                add(i, field, "填写了所在地名称,但没有填写行政村名称:请填写行政村,或填写行政区划代码")
            continue
        outcome = outcomes[t]
        if outcome.place is None:
            codes[i] = None
            field = LEVEL_FIELD.get(outcome.level, "village_name")
            add(i, field if field in cols else "village_name", outcome.message)
        elif code is None:
            codes[i] = outcome.place.code
        elif code.startswith(outcome.place.code) or outcome.place.code.startswith(code):
            codes[i] = max(
                code, outcome.place.code, key=len
            )  # the finer of the two (a group over its village)
        else:
            codes[i] = None
            shown = "".join(x for x in t if x)
            add(
                i,
                "region_code",
                f"行政区划代码「{code}」与所填名称「{shown}」不一致(名称对应 {outcome.place.shown}),"
                "请核对后只保留正确的一项",
            )
    _agree_with_head(v, names, codes, present)
    return errors


def _agree_with_head(
    v: dict[str, list[Any]], names: list[tuple[Any, ...]], codes: list[str | None], present: list[str]
) -> None:
    """A member row that spells the place otherwise than the head's row ("义宁" for "义宁镇") but names the
    same unit takes the head's spelling, so that the one-value-per-household check does not refuse it."""
    heads: dict[Any, int] = {}
    for i, (no, relation) in enumerate(zip(v["household_no"], v["relation"], strict=True)):
        if relation == c.Relation.HEAD:
            heads.setdefault(no, i)
    for i, no in enumerate(v["household_no"]):
        head = heads.get(no)
        if head is None or head == i or names[i] == names[head] or not names[i][2]:
            continue
        if codes[i] is not None and codes[i] == codes[head]:
            for name in present:
                v[name][i] = v[name][head]
