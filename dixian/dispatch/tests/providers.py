"""Test providers for the dispatch page (docs/domain.md §29): ledgers made of a list of items, each call
recorded, each making one query (the registry's households of the prefix), as a real ledger would."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from dixian.common.access import region_range_q
from dixian.common.due import DueItem, due_registered, due_registry_isolated
from dixian.registry.models import Household

TODAY = dt.date(2026, 12, 2)  # a Wednesday of 2026-W49 (2026-11-30 … 2026-12-06)
MONDAY = dt.date(2026, 11, 30)


@dataclass
class FakeLedger:
    name: str
    order: int
    capability: str
    items: list[DueItem] = field(default_factory=list)
    calls: list[tuple[str, str, dt.date, dt.date]] = field(default_factory=list)
    keeps_to_prefix: bool = True  # False: a faulty ledger returning items of any unit

    def provider(self, user, prefix: str, start: dt.date, end: dt.date) -> list[DueItem]:
        self.calls.append((user.username, prefix, start, end))
        list(Household.objects.filter(region_range_q(prefix)).values_list("pk")[:1])  # the one query
        # Like a real ledger, it filters by the prefix; the page must not rely on it (keeps_to_prefix=False).
        return [i for i in self.items if i.region_code.startswith(prefix) or not self.keeps_to_prefix]

    def item(
        self, code: str, due_on: dt.date, *, title: str = "", done: bool = False, kind: str = "事项到期"
    ):
        made = DueItem(
            ledger=self.name,
            kind=kind,
            title=title or f"{self.name}事项{len(self.items) + 1}",
            region_code=code,
            due_on=due_on,
            url=f"/{self.name}/{len(self.items) + 1}/",
            owner="责任单位",
            done=done,
        )
        self.items.append(made)
        return made


@contextmanager
def ledgers_registered(*ledgers: FakeLedger) -> Iterator[None]:
    """Only these ledgers registered (whatever the real ledgers registered comes back after)."""
    with ExitStack() as stack:
        stack.enter_context(due_registry_isolated())
        for ledger in ledgers:
            stack.enter_context(
                due_registered(
                    name=ledger.name,
                    order=ledger.order,
                    capability=ledger.capability,
                    provider=ledger.provider,
                )
            )
        yield
