"""Producers: the functions that compute facts from the source tables (docs/domain.md §21).

A producer returns village-level rows `(village_code, code, dim, value)` for one month; the refresh
(reports/services.py) writes them and sums them up the tree. A producer that knows its figures only above
the village (a department's delivery is to a county or the city) sets `rollup=False` and returns a row for
every level itself.

`history`: whether the producer can compute a past month from dated records (alerts raised in March,
cases identified in March). A producer of the registry's present state (how many 脱贫户 there are) cannot:
its past months keep the figures written while they were current (the month-end snapshot).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.db.models import Q

from dixian.common.access import region_range_q

from .periods import Period

Row = tuple[str, str, str, int | float | Decimal]  # (region_code, fact code, dim, value)
Compute = Callable[[Period, Sequence[str] | None], Iterable[Row]]


@dataclass(frozen=True)
class Producer:
    name: str
    codes: tuple[str, ...]  # every fact code it writes (the refresh deletes exactly these)
    compute: Compute
    history: bool = True
    rollup: bool = True
    # A producer without roll-up that is cheap enough to recompute whole when a few villages changed (the
    # funds figures, reports/producers_funds.py), instead of leaving its figures to the nightly refresh.
    whole_on_change: bool = False


PRODUCERS: dict[str, Producer] = {}


def producer_register(
    name: str,
    *,
    codes: Sequence[str],
    history: bool = True,
    rollup: bool = True,
    whole_on_change: bool = False,
) -> Callable[[Compute], Compute]:
    def decorator(compute: Compute) -> Compute:
        PRODUCERS[name] = Producer(
            name=name,
            codes=tuple(codes),
            compute=compute,
            history=history,
            rollup=rollup,
            whole_on_change=whole_on_change,
        )
        return compute

    return decorator


# What a producer reads once for the whole city and would otherwise read again for every village of a
# partial refresh (the registry's latest income year: a MAX over every income row, ~0.1 s at city scale).
# facts_refresh opens a memo for its duration; outside one, `refresh_memo` just computes.
_MEMO: ContextVar[dict[Hashable, Any] | None] = ContextVar("reports_refresh_memo", default=None)


def refresh_memo[T](key: Hashable, compute: Callable[[], T]) -> T:
    memo = _MEMO.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return cast(T, memo[key])


@contextmanager
def refresh_memo_open() -> Iterator[None]:
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def villages_q(villages: Sequence[str] | None, field: str = "region_code") -> Q:
    """The rows of `villages` (None: all): one range of codes each, so a village group's rows are its
    village's (common/access.py)."""
    q = Q()
    for v in villages or ():
        q |= region_range_q(v, field)
    return q


# --- region codes -------------------------------------------------------------------------------------
# Statistical division codes (docs/domain.md §19): city 4 significant digits, county 6, township 9, village
# 12; a village group adds 2. A unit's ancestors follow from its code alone.


def village_of(code: str) -> str:
    return code[:12]


def level_of(code: str) -> str:
    if code[4:12] == "00000000":
        return "city"
    if code[6:12] == "000000":
        return "county"
    if code[9:12] == "000":
        return "township"
    return "village"


def parent_of(code: str) -> str:
    level = level_of(code)
    if level == "village":
        return code[:9] + "000"
    if level == "township":
        return code[:6] + "000000"
    if level == "county":
        return code[:4] + "00000000"
    return ""


def ancestors_of(code: str) -> list[str]:
    """The units above `code`, nearest first."""
    found = []
    parent = parent_of(code)
    while parent:
        found.append(parent)
        parent = parent_of(parent)
    return found


# The producers, one module per source (imported here so that loading this module registers them all).
from . import (  # noqa: E402, F401
    producers_alerts,
    producers_employment,
    producers_funds,
    producers_monitoring,
    producers_registry,
    producers_relocation,
)
