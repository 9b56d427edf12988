"""What is due, offered by each work ledger to the dispatch page (docs/domain.md §29).

The dispatch page (dixian.dispatch, layer 12) lists, for an account's unit and a week, everything due across
the ledgers: rectification tasks and joint reviews, the living-environment weekly reports, supervision
visits, governance records. The ledgers sit beside each other and are built apart, so instead of the
dispatch app importing each one, a ledger registers a provider in its AppConfig.ready(); the page asks every
provider for the account's items of the week and shows them together.

A provider is given the account, the region prefix to list (already checked to lie in the account's
subtree) and the week (Monday to Sunday). It returns the items due in that week and those overdue before it
that are still open, scoped to the prefix. It must make a bounded number of queries (the dispatch page's
query-count test counts them) and show no personal data beyond what its own list pages show the account.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dixian.accounts.models import User


@dataclass(frozen=True)
class DueItem:
    ledger: str  # the ledger's Chinese name, e.g. 问题整改
    kind: str  # what is due, e.g. 整改任务到期, 联审待签, 周报未报
    title: str  # one line naming the thing, in plain Chinese
    region_code: str  # the unit it concerns (12 digits for a village, shorter above)
    due_on: dt.date
    url: str  # the page where it is done
    owner: str = ""  # the unit or person responsible, as the ledger names it
    done: bool = False  # done this week (shown struck through); open items are done=False

    def overdue(self, today: dt.date) -> bool:
        return not self.done and self.due_on < today


DueProvider = Callable[["User", str, dt.date, dt.date], list[DueItem]]


@dataclass(frozen=True)
class DueSource:
    name: str
    order: int  # ledgers are shown by ascending order
    capability: (
        str  # the account needs it to see this ledger's items (accounts.capabilities.Capability value)
    )
    provider: DueProvider


_sources: dict[str, DueSource] = {}


def due_register(*, name: str, order: int, capability: str, provider: DueProvider) -> None:
    """Add (or replace, when AppConfig.ready() runs again) the provider called `name`."""
    _sources[name] = DueSource(name=name, order=order, capability=capability, provider=provider)


def due_unregister(name: str) -> None:
    """Remove the provider called `name` (nothing happens when there is none)."""
    _sources.pop(name, None)


@contextmanager
def due_registered(*, name: str, order: int, capability: str, provider: DueProvider) -> Iterator[None]:
    """A provider registered for the block only (tests, the benchmark): whatever was registered under `name`
    before comes back afterwards."""
    before = _sources.get(name)
    due_register(name=name, order=order, capability=capability, provider=provider)
    try:
        yield
    finally:
        if before is None:
            _sources.pop(name, None)
        else:
            _sources[name] = before


@contextmanager
def due_registry_isolated() -> Iterator[None]:
    """No provider registered for the block (tests that register their own), the registry restored after."""
    saved = dict(_sources)
    _sources.clear()
    try:
        yield
    finally:
        _sources.clear()
        _sources.update(saved)


def due_sources() -> list[DueSource]:
    return sorted(_sources.values(), key=lambda s: (s.order, s.name))


_MARKER = "9876543210123"


def url_for_each(viewname: str) -> Callable[[int | str], str]:
    """A function giving `reverse(viewname, args=[arg])` for many args of one URL, reversing once: a provider
    lists hundreds of items, and reverse() per item was a quarter of the city's dispatch page (docs/
    benchmarks.md "Dispatch (issue 19)"). Args made of digits (primary keys, region codes) are put in place
    of a digit marker; any other arg goes through reverse() itself, so the URL is always reverse()'s."""
    from django.urls import reverse

    head, _, tail = reverse(viewname, args=[_MARKER]).partition(_MARKER)

    def url(arg: int | str) -> str:
        text = str(arg)
        if text.isascii() and text.isdigit():
            return f"{head}{text}{tail}"
        return reverse(viewname, args=[arg])

    return url


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The Monday and the Sunday of the week holding `day` (the dispatch week, 一周一调度)."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


# ---- asking for a week (docs/domain.md §29 "The week") ---------------------------------------------------

WEEK_YEARS = (2000, 2100)
_ISO_WEEK = re.compile(r"(\d{4})-?[Ww](\d{1,2})", re.ASCII)
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
WEEK_HINT = "请按“年-W周次”填写周次,例如 2026-W49,或填写该周内的任一日期,例如 2026-12-03"


class WeekError(ValueError):
    """A week that cannot be read; the message is Chinese and says what to type."""


def week_parse(text: str) -> dt.date:
    """The Monday of the week asked as `2026-W49` (`2026W49`, `2026-w49`) or as a date of it (`2026-12-03`).

    WeekError for anything else: not a week nor a date, a week the year does not have, a date that does not
    exist, a year outside WEEK_YEARS.
    """
    raw = (text or "").strip()
    if not raw:
        raise WeekError(f"没有填写周次。{WEEK_HINT}。")
    shown = raw[:20]
    if m := _ISO_WEEK.fullmatch(raw):
        year, week = int(m[1]), int(m[2])
        _check_year(year, shown)
        weeks = dt.date(year, 12, 28).isocalendar().week  # 28 December is always in the year's last week
        if not 1 <= week <= weeks:
            raise WeekError(f"“{shown}”不是有效的周次:{year} 年只有第 1 至第 {weeks} 周。")
        return dt.date.fromisocalendar(year, week, 1)
    if m := _DATE.fullmatch(raw):
        year = int(m[1])
        _check_year(year, shown)
        try:
            day = dt.date(year, int(m[2]), int(m[3]))
        except ValueError:
            raise WeekError(f"“{shown}”不是有效的日期。{WEEK_HINT}。") from None
        return week_of(day)[0]
    raise WeekError(f"“{shown}”不是周次。{WEEK_HINT}。")


def _check_year(year: int, shown: str) -> None:
    low, high = WEEK_YEARS
    if not low <= year <= high:
        raise WeekError(f"“{shown}”的年份超出范围:只能查看 {low} 年至 {high} 年的周次。")


def week_key(monday: dt.date) -> str:
    """`2026-W49`: the ISO week holding `monday` (what the page's links and the file names carry)."""
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def week_label(monday: dt.date) -> str:
    """`2026年第49周(2026-11-30 至 2026-12-06)`."""
    iso = monday.isocalendar()
    start, end = week_of(monday)
    return f"{iso.year}年第{iso.week}周({start:%Y-%m-%d} 至 {end:%Y-%m-%d})"
