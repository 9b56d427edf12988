"""A name index of the region tree: 县 / 乡 / 村 / 组 names → one Region of an account's scope.

Workbooks of the national system name a household's place instead of coding it (docs/domain.md §14.1).
`PlaceIndex.for_scope(scope)` loads the scope's subtree (and the names of the units above it, which the
account sees anyway) once; `resolve(county=…, township=…, village=…, group=…)` answers exactly one unit
or a Chinese message naming the candidates. How names compare is dixian/domain/placenames.py:

- per level, a name matches a unit whose clean name equals it, or else (only when no unit has that very
  name) a unit whose short name equals its short name: "义宁" and "义宁街道" find "义宁镇", but "新村" finds
  the village called 新村 and not 新村村;
- every name given narrows the next level; the village is required, the others only when the village's
  name alone is not unique in the scope;
- a cell may hold a whole path ("九江市修水县义宁镇良塘村三组"): the names of the scope's cities, counties
  and townships are peeled off its front, a trailing group off its end;
- a 县 or 乡 name of a unit above the scope (a township account's own county) narrows nothing;
- a group name must be a group of the village, unless the tree holds no groups under that village (the
  statistical code table stops at villages): then the household is placed at the village;
- nothing outside the scope is loaded, so a name of another county is "not found in your scope", and
  candidates are only ever units of the scope.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from dixian.domain import placenames as pn

from .models import Region

LEVELS = ("city", pn.COUNTY, pn.TOWNSHIP, pn.VILLAGE, pn.GROUP)
LABELS = {"city": "市", pn.COUNTY: "县(市、区)", pn.TOWNSHIP: "乡镇", pn.VILLAGE: "村", pn.GROUP: "村民小组"}
MAX_LISTED = 10


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str
    parent: str | None  # the parent's code
    path: str = ""  # names from the county down ("修水县义宁镇良塘村"), as shown in messages
    retired: bool = False  # retired from the code table (docs/domain.md §19)

    @property
    def prefix(self) -> str:
        return self.code[: Region.PREFIX_LENGTH[self.level]]

    @property
    def shown(self) -> str:
        return f"{self.path or self.name}({self.code})"


@dataclass(frozen=True)
class Resolution:
    place: Place | None
    message: str = ""  # why not, in Chinese, when place is None
    level: str = ""  # the level whose name failed (which column to blame)
    candidates: tuple[Place, ...] = ()

    @property
    def code(self) -> str | None:
        return self.place.code if self.place else None


def with_paths(places: Iterable[Place]) -> list[Place]:
    """The places with `path` filled: the names from the county level down (a city's is its name)."""
    ordered = sorted(places, key=lambda p: (LEVELS.index(p.level), p.code))
    paths: dict[str, str] = {}
    out = []
    for place in ordered:
        above = paths.get(place.parent or "", "")
        path = place.name if place.level == "city" else above + place.name
        paths[place.code] = "" if place.level == "city" else path
        out.append(Place(place.code, place.name, place.level, place.parent, path, place.retired))
    return out


def _current(found: list[Place]) -> list[Place]:
    """A retired unit's name still finds it (its households stay there until moved), but a unit in use of
    the same name wins (a merged village often keeps the old name; docs/domain.md §19). Whether a household
    may be placed on a retired unit is the importer's check, as for a code."""
    current = [p for p in found if not p.retired]
    return current or found


class PlaceIndex:
    def __init__(self, scope: Place, places: Iterable[Place], ancestors: Iterable[Place] = ()) -> None:
        """`places`: the scope's subtree, the scope included; `ancestors`: the units above it."""
        everything = with_paths([*ancestors, *places])
        above = {p.code for p in ancestors}
        self.scope = next((p for p in everything if p.code == scope.code), scope)
        self.ancestors = [p for p in everything if p.code in above]
        self.full: dict[str, dict[str, list[Place]]] = {level: defaultdict(list) for level in LEVELS}
        self.short: dict[str, dict[str, list[Place]]] = {level: defaultdict(list) for level in LEVELS}
        self.children: dict[str, list[Place]] = defaultdict(list)
        # Names peeled off the front of a path cell: every city, county and township of scope and above.
        self.peel: dict[str, set[str]] = {level: set() for level in LEVELS}
        self.longest = 0
        self.number: dict[str, int | None] = {}  # a group's number, read from its name once
        self._villages: dict[tuple[str, str, str], tuple[Resolution, list[str]]] = {}
        for place in everything:
            if place.level == pn.GROUP:
                self.number[place.code] = pn.group_number(place.name)
            key = pn.clean(place.name)
            if place.code not in above:
                self.full[place.level][key].append(place)
                for short in pn.short_names(key, place.level):
                    self.short[place.level][short].append(place)
                if place.parent:
                    self.children[place.parent].append(place)
            if place.level in ("city", pn.COUNTY, pn.TOWNSHIP):
                self.peel[place.level].add(key)
                self.longest = max(self.longest, len(key))

    @classmethod
    def for_scope(cls, scope: Region, *, groups: bool = True) -> PlaceIndex:
        """The index of `scope`'s subtree (村民小组 only with `groups`): one query, plus one per unit above."""
        rows = Region.objects.filter(code__gte=scope.prefix, code__lt=scope.upper_bound)
        if not groups:
            rows = rows.exclude(level=Region.Level.GROUP)
        ids: dict[int, str] = {}
        raw = []
        for pk, code, name, level, parent_id, retired_on in rows.values_list(
            "id", "code", "name", "level", "parent_id", "retired_on"
        ):
            ids[pk] = code
            raw.append((code, name, level, parent_id, retired_on is not None))
        ancestors = []
        node = scope.parent
        while node is not None:
            ancestors.append(
                Place(node.code, node.name, node.level, node.parent.code if node.parent else None)
            )
            node = node.parent
        parent_code = scope.parent.code if scope.parent else None
        places = [
            Place(
                code, name, level, parent_code if code == scope.code else ids.get(parent_id or 0), "", retired
            )
            for code, name, level, parent_id, retired in raw
        ]
        return cls(Place(scope.code, scope.name, scope.level, parent_code), places, ancestors)

    # ---- matching ------------------------------------------------------------------------------------

    def match(self, level: str, text: str, within: list[Place] | None = None) -> list[Place]:
        """The units of `level` in scope named `text` (the very name first, else a short name), under
        one of `within` when given."""
        key = pn.clean(text)
        if within is None:
            found = list(self.full[level].get(key, []))
            if found:
                return _current(found)
            for short in pn.short_names(key, level):
                found.extend(self.short[level].get(short, []))
            return _current(list(dict.fromkeys(found)))
        prefixes = tuple(p.prefix for p in within)
        found = [p for p in self.full[level].get(key, []) if p.code.startswith(prefixes)]
        if found:
            return _current(found)
        for short in pn.short_names(key, level):
            found.extend(p for p in self.short[level].get(short, []) if p.code.startswith(prefixes))
        return _current(list(dict.fromkeys(found)))

    def _above(self, level: str, text: str) -> bool:
        """`text` names a unit above the scope (or the scope itself) at `level`."""
        key = pn.clean(text)
        shorts = set(pn.short_names(key, level))
        return any(
            p.level == level and (pn.clean(p.name) == key or shorts & set(pn.short_names(p.name, level)))
            for p in [*self.ancestors, self.scope]
        )

    def _known(self, level: str, text: str) -> bool:
        return bool(self.match(level, text)) or self._above(level, text)

    def _parts(self, level: str, text: str) -> list[tuple[str, str]]:
        """A cell's text as (level, name) pairs: itself, or a path peeled into its units."""
        if not text or level == pn.GROUP or self._known(level, text):
            return [(level, text)] if text else []  # a group cell is never a path
        parts: list[tuple[str, str]] = []
        rest = pn.strip_province(text)
        for above in LEVELS[: LEVELS.index(level)]:
            for k in range(min(len(rest) - 1, self.longest), 1, -1):
                if rest[:k] in self.peel[above]:
                    parts.append((above, rest[:k]))
                    rest = rest[k:]
                    break
        if level == pn.VILLAGE and not self._known(level, rest):
            rest, group = pn.split_group(rest)
            if group:
                parts.append((pn.GROUP, group))
        parts.append((level, rest))
        return parts

    # ---- resolving -----------------------------------------------------------------------------------

    def resolve(
        self, *, county: object = "", township: object = "", village: object = "", group: object = ""
    ) -> Resolution:
        """The village (or its group) of scope these names designate, or why there is none."""
        key = (pn.clean(county), pn.clean(township), pn.clean(village))
        if key not in self._villages:
            self._villages[key] = self._village(*key)
        found, groups = self._villages[key]
        if found.place is None:
            return found
        village_place = found.place
        for _, written in self._parts(pn.GROUP, pn.clean(group)):
            if written not in groups:
                groups = [*groups, written]
        if not any(g.level == pn.GROUP for g in self.children.get(village_place.code, [])):
            # The tree stops at this village (the statistical code table has no groups): the group
            # names only what the tree does not hold, and the village is right (docs/domain.md §14.1).
            return Resolution(village_place)
        chosen: Place | None = None
        for name in groups:
            candidates = self._groups(village_place, name)
            if len(candidates) != 1 or (chosen is not None and candidates[0] != chosen):
                return self._group_problem(village_place, name, candidates)
            chosen = candidates[0]
        return Resolution(chosen or village_place)

    def _village(self, county: str, township: str, village: str) -> tuple[Resolution, list[str]]:
        """The village the names designate (once per distinct triple: a book repeats them on every row),
        and the group names its cells carried (a path ending in 三组)."""
        given: dict[str, list[str]] = defaultdict(list)
        for level, cell in ((pn.COUNTY, county), (pn.TOWNSHIP, township), (pn.VILLAGE, village)):
            for part_level, name in self._parts(level, cell):
                if name and name not in given[part_level]:
                    given[part_level].append(name)
        groups = given[pn.GROUP]
        if not given[pn.VILLAGE]:
            return Resolution(None, "请填写行政村名称", pn.VILLAGE), groups
        within: list[Place] | None = None
        for level in ("city", pn.COUNTY, pn.TOWNSHIP, pn.VILLAGE):
            for name in given[level]:
                if level != pn.VILLAGE and self._above(level, name):
                    continue  # the scope lies under it: it narrows nothing
                found = self.match(level, name, within)
                if not found:
                    return self._not_found(level, name, within), groups
                within = found
        assert within is not None  # noqa: S101 - the village level always sets it
        if len(within) > 1:
            narrow = (
                "乡镇名称" if not given[pn.TOWNSHIP] else "县(市、区)名称" if not given[pn.COUNTY] else ""
            )
            return self._ambiguous(given[pn.VILLAGE][-1], within, narrow), groups
        return Resolution(within[0]), groups

    def _groups(self, village: Place, text: str) -> list[Place]:
        number = pn.group_number(text)
        children = self.children.get(village.code, [])
        if number is not None:
            numbers = self.number
            by_number = [
                g
                for g in children
                if numbers.get(g.code) == number
                or (numbers.get(g.code) is None and g.code[12:] == f"{number:02d}")
            ]
            if by_number:
                return by_number
        return self.match(pn.GROUP, text, [village])

    def _group_problem(self, village: Place, text: str, found: list[Place]) -> Resolution:
        label = LABELS[pn.GROUP]
        if found:
            listed = "、".join(g.shown for g in found[:MAX_LISTED])
            return Resolution(
                None,
                f"「{text}」在{village.path}有 {len(found)} 个{label}:{listed},请填写行政区划代码",
                pn.GROUP,
                tuple(found),
            )
        groups = self.children.get(village.code, [])
        hint = f"该村的{label}有:{self._listing(groups)}"
        return Resolution(
            None,
            f"{village.path}没有名为「{text}」的{label}({hint}),请核对组名,或填写行政区划代码;"
            "新设的组请联系管理员添加",
            pn.GROUP,
        )

    def _not_found(self, level: str, text: str, within: list[Place] | None) -> Resolution:
        label = LABELS[level]
        if within is not None and len(within) == 1:
            parent = within[0]
            listed = [p for p in self.children.get(parent.code, []) if p.level == level]
            hint = f"(该{LABELS[parent.level]}的{label}有:{self._listing(listed)})" if listed else ""
            return Resolution(
                None,
                f"{parent.path or parent.name}没有名为「{text}」的{label}{hint},请核对名称,或填写行政区划代码",
                level,
            )
        where = self.scope.path or self.scope.name
        return Resolution(
            None,
            f"在您的管辖范围({where})内找不到名为「{text}」的{label},请核对名称,或填写行政区划代码",
            level,
        )

    def _ambiguous(self, text: str, found: list[Place], narrow: str) -> Resolution:
        listed = "、".join(p.shown for p in found[:MAX_LISTED]) + ("等" if len(found) > MAX_LISTED else "")
        ask = f"请填写{narrow}或行政区划代码" if narrow else "请填写行政区划代码"
        return Resolution(
            None, f"「{text}」在本辖区有 {len(found)} 个:{listed},{ask}", pn.VILLAGE, tuple(found)
        )

    @staticmethod
    def _listing(places: list[Place]) -> str:
        names = "、".join(p.name for p in places[:MAX_LISTED])
        return names + ("等" if len(places) > MAX_LISTED else "")
