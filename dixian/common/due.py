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
from collections.abc import Callable
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


def due_sources() -> list[DueSource]:
    return sorted(_sources.values(), key=lambda s: (s.order, s.name))


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The Monday and the Sunday of the week holding `day` (the dispatch week, 一周一调度)."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)
