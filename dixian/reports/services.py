"""Keeping the facts current (docs/domain.md §21).

`facts_refresh` recomputes the facts of some months (and, optionally, only some villages and some
producers) and sums them up the tree in one transaction: a reader sees the old figures or the new ones,
never a half. The screening run, the case workflow and the registry import mark what they touched
(`facts_mark_stale`); `facts_refresh_stale` (run by the job worker, the nightly command and before the
dashboard reads when little is pending) brings those villages up to date.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain

from django.db import DatabaseError, transaction
from django.db.models import Sum
from django.utils import timezone

from .models import Fact, FactRefresh, StaleVillage
from .periods import Period
from .producers import PRODUCERS, Producer, Row, ancestors_of, level_of, parent_of, village_of

BATCH = 5_000
LEVELS_UP = ("township", "county", "city")


@dataclass
class RefreshStats:
    periods: list[str]
    villages: int
    rows: int
    seconds: float


def _selected(names: Sequence[str] | None) -> list[Producer]:
    if names is None:
        return list(PRODUCERS.values())
    unknown = [n for n in names if n not in PRODUCERS]
    if unknown:
        raise ValueError(f"unknown producers: {', '.join(unknown)}")
    return [PRODUCERS[n] for n in names]


def _fact(period: str, code: str, dim: str, region_code: str, value: Decimal) -> Fact:
    return Fact(
        period=period,
        code=code,
        dim=dim,
        region_code=region_code,
        level=level_of(region_code),
        parent_code=parent_of(region_code),
        value=value,
    )


def _write_village_rows(
    producer: Producer, period: Period, villages: Sequence[str] | None, rows: Iterable[Row]
) -> tuple[int, set[str]]:
    """Replace the producer's village-level facts of `period` (of `villages`, or all) by `rows`."""
    p = str(period)
    old = Fact.objects.filter(period=p, code__in=producer.codes, level="village")
    if villages is not None:
        old = old.filter(region_code__in=villages)
    touched = set(old.values_list("region_code", flat=True).distinct()) if villages is None else set()
    old.delete()
    sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for region_code, code, dim, value in rows:
        if code not in producer.codes:
            raise ValueError(f"producer {producer.name} wrote {code!r}, which it does not declare")
        sums[village_of(region_code), code, dim] += Decimal(value)
    facts = [_fact(p, code, dim, v, value) for (v, code, dim), value in sums.items() if value]
    Fact.objects.bulk_create(facts, batch_size=BATCH)
    touched |= {f.region_code for f in facts}
    return len(facts), touched


def _roll_up(producer: Producer, period: Period, villages: set[str] | None) -> int:
    """Sum the producer's facts of `period` level by level, for the ancestors of `villages` (None: all)."""
    p = str(period)
    written = 0
    targets: set[str] | None = None
    if villages is not None:
        targets = {a for v in villages for a in ancestors_of(v)}
    for level in LEVELS_UP:
        old = Fact.objects.filter(period=p, code__in=producer.codes, level=level)
        children = Fact.objects.filter(period=p, code__in=producer.codes, level=_below(level))
        if targets is not None:
            mine = sorted(t for t in targets if level_of(t) == level)
            old = old.filter(region_code__in=mine)
            children = children.filter(parent_code__in=mine)
        old.delete()
        sums = children.values_list("parent_code", "code", "dim").annotate(total=Sum("value"))
        facts = [_fact(p, code, dim, parent, total) for parent, code, dim, total in sums if parent and total]
        Fact.objects.bulk_create(facts, batch_size=BATCH)
        written += len(facts)
    return written


def _below(level: str) -> str:
    return {"township": "village", "county": "township", "city": "county"}[level]


def _write_final_rows(producer: Producer, period: Period, rows: Iterable[Row]) -> int:
    """A producer without roll-up returns the figures of every level itself: replace them all."""
    p = str(period)
    Fact.objects.filter(period=p, code__in=producer.codes).delete()
    sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for region_code, code, dim, value in rows:
        if code not in producer.codes:
            raise ValueError(f"producer {producer.name} wrote {code!r}, which it does not declare")
        sums[region_code, code, dim] += Decimal(value)
    facts = [_fact(p, code, dim, r, value) for (r, code, dim), value in sums.items() if value]
    Fact.objects.bulk_create(facts, batch_size=BATCH)
    return len(facts)


def facts_refresh(
    *,
    periods: Sequence[Period],
    villages: Sequence[str] | None = None,
    producers: Sequence[str] | None = None,
    scope: str = "",
) -> RefreshStats:
    """Recompute the facts of `periods` for `villages` (12-digit codes; None: every village) from
    `producers` (names; None: all), and their sums up to the city, in one transaction.

    A producer without history is computed for the current month only: its past months keep the
    figures written while they were current (reports/producers.py)."""
    started = timezone.now()
    clock = time.perf_counter()
    current = Period.current()
    village_list = sorted({village_of(v) for v in villages}) if villages is not None else None
    claimed = _stale_claim(periods, village_list, producers)
    rows = 0
    seen: set[str] = set()
    try:
        with transaction.atomic():
            for period in periods:
                for producer in _selected(producers):
                    if not producer.history and period != current:
                        continue
                    computed = _compute(producer, period, village_list)
                    if not producer.rollup:
                        rows += _write_final_rows(producer, period, computed)
                        continue
                    written, touched = _write_village_rows(producer, period, village_list, computed)
                    seen |= touched
                    rows += written
                    rows += _roll_up(
                        producer, period, set(village_list) if village_list is not None else None
                    )
            seconds = time.perf_counter() - clock
            FactRefresh.objects.create(
                started_at=started,
                finished_at=timezone.now(),
                scope=(scope or ("全部" if village_list is None else f"{len(village_list)} 个村"))[:200],
                periods=",".join(str(p) for p in periods)[:200],
                villages=len(village_list) if village_list is not None else len(seen),
                rows=rows,
                seconds=seconds,
            )
    except BaseException:
        # The marks this refresh took are its to answer: put them back for the next one (unless the
        # connection's transaction is broken, which then takes the claim back with it).
        with suppress(DatabaseError):
            for month, codes in claimed.items():
                facts_mark_stale(codes, periods=[Period.parse(month)])
        raise
    return RefreshStats([str(p) for p in periods], len(village_list or seen), rows, seconds)


def _compute(producer: Producer, period: Period, villages: list[str] | None) -> Iterable[Row]:
    """The producer's rows for every village, or for the listed ones one village at a time: a producer
    reads a village as one range of region codes, which the region-code indexes serve, while a list of
    ranges ORed together is read by a scan of the whole table on SQLite (50 villages of the city cost 40 s
    that way, docs/benchmarks.md "Leaders' figures")."""
    if villages is None:
        return producer.compute(period, None)
    return chain.from_iterable(producer.compute(period, [v]) for v in villages)


def _stale_claim(
    periods: Sequence[Period], villages: Sequence[str] | None, producers: Sequence[str] | None
) -> dict[str, list[str]]:
    """Take (delete, before reading anything) the stale marks this refresh answers: those of its villages
    and months (every mark of its months when it recomputes every village), when it runs every producer.

    Taken first and outside the refresh's transaction (when there is no outer one), so that a change marked
    while the refresh reads stays marked for the next refresh (its data may not have been read), and so
    that a marking transaction never waits on a long refresh for the row lock of its mark (PostgreSQL)."""
    if producers is not None:  # a mark stands for every producer: a partial refresh answers none
        return {}
    marks_forget()
    marks = StaleVillage.objects.filter(period__in=[str(p) for p in periods])
    wanted = set(villages) if villages is not None else None
    taken: dict[str, list[str]] = defaultdict(list)
    pks: list[int] = []
    for pk, code, period in marks.values_list("pk", "region_code", "period"):
        if wanted is None or code in wanted:
            taken[period].append(code)
            pks.append(pk)
    for i in range(0, len(pks), BATCH):
        StaleVillage.objects.filter(pk__in=pks[i : i + BATCH]).delete()
    return dict(taken)


# Where reports/triggers.py keeps the marks its receivers wrote in the current transaction (on the connection).
MARKS_HELD = "_reports_marks_held"


def marks_forget() -> None:
    """Forget the marks the triggers wrote in the current transaction: their rows are being deleted (a
    refresh takes them, a test clears them), so the next change must write its mark again."""
    transaction.get_connection().__dict__.pop(MARKS_HELD, None)


def facts_mark_stale(region_codes: Iterable[str], *, periods: Iterable[Period] | None = None) -> int:
    """Note that the villages of `region_codes` changed in `periods` (default: this month)."""
    months = sorted({str(p) for p in (periods or [Period.current()])})
    pairs = {(village_of(code), m) for code in region_codes if len(code) >= 12 for m in months}
    StaleVillage.objects.bulk_create(
        [StaleVillage(region_code=v, period=m) for v, m in sorted(pairs)],
        ignore_conflicts=True,
        batch_size=BATCH,
    )
    return len(pairs)


# Above this many stale villages in a month, every village is recomputed: the producers read a list of
# villages as one range condition each, which stops paying (and SQLite stops parsing) long before the city.
STALE_ALL_VILLAGES = 200


def facts_refresh_stale(*, limit: int | None = None) -> RefreshStats | None:
    """Refresh the villages marked stale (at most `limit` of them; None: all), month by month; a month with
    more than STALE_ALL_VILLAGES of them (a county's import) is recomputed for every village."""
    pending = list(
        StaleVillage.objects.order_by("period", "region_code").values_list("period", "region_code")
    )
    if not pending:
        return None
    by_period: dict[str, list[str]] = defaultdict(list)
    for period, code in pending[:limit] if limit else pending:
        by_period[period].append(code)
    last: RefreshStats | None = None
    for period, codes in sorted(by_period.items()):
        if len(codes) > STALE_ALL_VILLAGES:
            last = facts_refresh(periods=[Period.parse(period)], scope=f"全部(变动 {len(codes)} 个村)")
        else:
            last = facts_refresh(
                periods=[Period.parse(period)], villages=codes, scope=f"{len(codes)} 个村(变动)"
            )
    return last
