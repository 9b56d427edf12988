"""The week of a unit across the ledgers (docs/domain.md §29): what each provider offers the account, kept
inside the unit, sorted (overdue first) and counted per ledger and per child unit.

The ledgers' providers (dixian.common.due) do the reading; this module calls those the account may see
(their capability), with the unit's prefix (the unit lies in the account's subtree: `region_by_code`), drops
whatever a provider returned outside that prefix, and counts. It makes one query of its own: the unit's
children, for the table of who lags.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.due import DueItem, DueSource, due_sources, week_of
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

    def add(self, row: Row) -> None:
        self.listed += 1
        self.done += row.item.done
        self.overdue += row.overdue


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

    @property
    def sort_key(self) -> tuple[int, dt.date, str, str]:
        rank = 0 if self.overdue else (2 if self.item.done else 1)
        return (rank, self.item.due_on, self.item.region_code, self.item.title)


@dataclass
class Ledger:
    name: str
    rows: list[Row]
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
    overdue = item.overdue(today)
    colour = lc.deadline_colour(item.due_on, today, done=item.done)
    text = "已完成" if item.done else lc.deadline_text(item.due_on, today)
    return Row(
        item=item,
        unit=child.name if child is not None else OWN_LEVEL,
        unit_code=child.code if child is not None else "",
        overdue=overdue,
        colour=colour,
        text=text,
    )


def board_build(user: User, region: Region, day: dt.date, *, today: dt.date) -> Board:
    """The week holding `day` for `region` (which the caller has checked lies in the account's subtree)."""
    start, end = week_of(day)
    children = children_of(region)
    child_len = len(children[0].prefix) if children else 0
    by_prefix = {c.prefix: c for c in children}
    units = {c.code: UnitRow(c.code, c.name, Counts(), {}) for c in children}
    own = UnitRow("", OWN_LEVEL, Counts(), {})
    board = Board(region, start, end, today, [], [])
    for source in sources_for(user):
        items = source.provider(user, region.prefix, start, end)
        # A provider is trusted with nothing outside the unit (docs/domain.md §29): what it returns there is
        # dropped, never shown.
        rows = sorted(
            (_row(i, by_prefix, child_len, today) for i in items if i.region_code.startswith(region.prefix)),
            key=lambda r: r.sort_key,
        )
        counts = Counts()
        for row in rows:
            counts.add(row)
            board.total.add(row)
            unit = units.get(row.unit_code, own)
            unit.total.add(row)
            unit.by_ledger.setdefault(source.name, Counts()).add(row)
        board.ledgers.append(Ledger(source.name, rows, counts))
    board.units = list(units.values()) + ([own] if own.total.listed and children else [])
    return board
