"""The week of a unit across the ledgers (docs/domain.md §29): what each provider offers the account, kept
inside the unit, sorted (overdue first) and counted per ledger and per child unit.

The ledgers' providers (dixian.common.due) do the reading; this module calls those the account may see
(their capability), with the unit's prefix (the unit lies in the account's subtree: `region_by_code`), drops
whatever a provider returned outside that prefix, and counts. It makes one query of its own: the unit's
children, for the table of who lags.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, overload

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import may_view_pii
from dixian.common.due import DueItem, DueSource, due_sources, week_of
from dixian.common.masking import text_shown
from dixian.domain import lifecycle as lc
from dixian.monitoring.rows import COLOUR_TEXT
from dixian.regions.models import Region

if TYPE_CHECKING:
    from dixian.accounts.models import User

OWN_LEVEL = "本级"  # items of the unit itself, not of one of its children


@dataclass
class Counts:
    listed: int = 0
    done: int = 0
    overdue: int = 0

    @property
    def open(self) -> int:
        return self.listed - self.done

    def add(self, n: int, *, done: bool, overdue: bool) -> None:
        self.listed += n
        self.done += n if done else 0
        self.overdue += n if overdue else 0


@dataclass(frozen=True)
class Row:
    """An item as the page and the workbook show it."""

    item: DueItem
    unit: str  # the child unit it falls in (its name), or 本级
    unit_code: str  # that child's code ("" for 本级)
    overdue: bool
    colour: str  # lc.GREEN / ORANGE / RED: the cases' deadline colours (docs/domain.md §20)
    text: str  # 已超期 2 天, 今天到期, 剩 3 天, 已完成

    @property
    def colour_text(self) -> str:
        return COLOUR_TEXT.get(self.colour, "")


class Rows(Sequence["Row"]):
    """A ledger's items in the page's order, made into Rows only when read: the city's page counts thousands
    of items but shows fifty (docs/benchmarks.md "Dispatch")."""

    def __init__(self, items: list[DueItem], row_of: Callable[[DueItem], Row]) -> None:
        self._items = items
        self._row_of = row_of

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...
    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, slice):
            return [self._row_of(i) for i in self._items[index]]
        return self._row_of(self._items[index])


@dataclass
class Ledger:
    name: str
    rows: Rows
    counts: Counts


@dataclass
class UnitRow:
    code: str  # "" for 本级
    name: str
    total: Counts
    by_ledger: dict[str, Counts]

    @property
    def lagging(self) -> bool:
        return self.total.overdue > 0


@dataclass
class Board:
    region: Region
    week_start: dt.date
    week_end: dt.date
    today: dt.date
    ledgers: list[Ledger]
    units: list[UnitRow]  # the children in code order, then 本级 when it has items; [] for a village
    total: Counts = field(default_factory=Counts)

    @property
    def ledger_names(self) -> list[str]:
        return [ledger.name for ledger in self.ledgers]

    @property
    def unit_table(self) -> list[tuple[UnitRow, list[Counts]]]:
        """Each unit with its counts per ledger, in the ledgers' order (a ledger without items: zeros)."""
        return [(u, [u.by_ledger.get(n, Counts()) for n in self.ledger_names]) for u in self.units]


def sources_for(user: User) -> list[DueSource]:
    """The registered ledgers whose capability the account holds, in their order."""
    return [s for s in due_sources() if user_can(user, Capability(s.capability))]


def children_of(region: Region) -> list[Region]:
    """The units one level down (a village's groups are no dispatch unit): one query."""
    if region.level in (Region.Level.VILLAGE, Region.Level.GROUP):
        return []
    return list(
        Region.objects.filter(parent=region)
        .exclude(level=Region.Level.GROUP)
        .only("id", "code", "name", "prefix", "level")
        .order_by("code")
    )


def _row(item: DueItem, children: dict[str, Region], child_len: int, today: dt.date) -> Row:
    child = children.get(item.region_code[:child_len]) if child_len else None
    return Row(
        item=item,
        unit=child.name if child is not None else OWN_LEVEL,
        unit_code=child.code if child is not None else "",
        overdue=item.overdue(today),
        colour=lc.deadline_colour(item.due_on, today, done=item.done),
        text="已完成" if item.done else lc.deadline_text(item.due_on, today),
    )


def board_build(user: User, region: Region, day: dt.date, *, today: dt.date) -> Board:
    """The week holding `day` for `region` (which the caller has checked lies in the account's subtree)."""
    start, end = week_of(day)
    children = children_of(region)
    child_len = len(children[0].prefix) if children else 0
    by_prefix = {c.prefix: c for c in children}
    units = {c.prefix: UnitRow(c.code, c.name, Counts(), {}) for c in children}
    own = UnitRow("", OWN_LEVEL, Counts(), {})
    board = Board(region, start, end, today, [], [])
    prefix = region.prefix
    pii = may_view_pii(user)

    def row_of(item: DueItem) -> Row:
        return _row(item, by_prefix, child_len, today)

    def order(i: DueItem) -> tuple[int, dt.date, str, str]:
        return (2 if i.done else (0 if i.due_on < today else 1), i.due_on, i.region_code, i.title)

    for source in sources_for(user):
        # A provider is trusted with nothing outside the unit (docs/domain.md §29): what it returns there is
        # dropped, never shown.
        # Titles are free text a ledger's own pages mask (a finding may quote an ID or phone number): masked
        # here as there, so neither the page nor the workbook undoes a mask (docs/security.md §1).
        items = [
            replace(i, title=text_shown(i.title, pii=pii))
            for i in source.provider(user, prefix, start, end)
            if i.region_code.startswith(prefix)
        ]
        items.sort(key=order)
        # Counted by (child unit, done, overdue): a few groups, however many items.
        groups = Counter(
            (i.region_code[:child_len] if child_len else "", i.done, not i.done and i.due_on < today)
            for i in items
        )
        counts = Counts()
        for (child_prefix, done, overdue), n in groups.items():
            unit = units.get(child_prefix, own)
            for c in (counts, board.total, unit.total, unit.by_ledger.setdefault(source.name, Counts())):
                c.add(n, done=done, overdue=overdue)
        board.ledgers.append(Ledger(source.name, Rows(items, row_of), counts))
    board.units = list(units.values()) + ([own] if own.total.listed and children else [])
    return board
