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
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from dixian.common.locks import transaction_lock

from .models import Fact, FactRefresh, StaleVillage
from .periods import Period
from .producers import (
    PRODUCERS,
    Producer,
    Row,
    ancestors_of,
    level_of,
    parent_of,
    refresh_memo_open,
    village_of,
)

BATCH = 5_000
REFRESH_LOCK = "reports.refresh"
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


TABLE = Fact._meta.db_table
COLUMNS = "period, code, dim, region_code, level, parent_code, value"
# The parent of a unit of each level, computed in SQL from the child's parent code (statistical division
# codes, reports/producers.py): a township's parent is its county, a county's the city.
PARENT_SQL = {
    "township": "SUBSTR(parent_code, 1, 6) || '000000'",
    "county": "SUBSTR(parent_code, 1, 4) || '00000000'",
    "city": "''",
}


def _insert(facts: list[tuple[str, str, str, str, Decimal]]) -> int:
    """Insert (period, code, dim, region_code, value) rows with one prepared statement: the ORM's
    bulk_create spent most of a refresh assembling SQL for hundreds of thousands of small rows."""
    with connection.cursor() as cursor:
        for start in range(0, len(facts), BATCH):
            cursor.executemany(
                f"INSERT INTO {TABLE} ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)",  # noqa: S608 - constants
                [
                    (period, code, dim, region, level_of(region), parent_of(region), value)
                    for period, code, dim, region, value in facts[start : start + BATCH]
                ],
            )
    return len(facts)


def _summed(
    producer: Producer, rows: Iterable[Row], region_of: Callable[[str], str]
) -> dict[tuple[str, str, str], Decimal]:
    sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for region_code, code, dim, value in rows:
        if code not in producer.codes:
            raise ValueError(f"producer {producer.name} wrote {code!r}, which it does not declare")
        sums[region_of(region_code), code, dim] += Decimal(value)
    return sums


def _write_village_rows(
    producer: Producer, period: Period, villages: Sequence[str] | None, rows: Iterable[Row]
) -> tuple[int, set[str]]:
    """Replace the producer's village-level facts of `period` (of `villages`, or all) by `rows`."""
    p = str(period)
    old = Fact.objects.filter(period=p, code__in=producer.codes, level="village")
    if villages is not None:
        old = old.filter(region_code__in=villages)
    touched = set(old.values_list("region_code", flat=True).distinct()) if villages is None else set()
    old._raw_delete(old.db)  # plain rows: nothing cascades, no signal listens
    sums = _summed(producer, rows, village_of)
    written = _insert([(p, code, dim, v, value) for (v, code, dim), value in sums.items() if value])
    touched |= {v for (v, _code, _dim), value in sums.items() if value}
    return written, touched


def _roll_up(producer: Producer, period: Period, villages: set[str] | None) -> int:
    """Sum the producer's facts of `period` level by level, for the ancestors of `villages` (None: all),
    in SQL: one INSERT … SELECT … GROUP BY per level."""
    p = str(period)
    written = 0
    targets: set[str] | None = None
    if villages is not None:
        targets = {a for v in villages for a in ancestors_of(v)}
    codes = list(producer.codes)
    for level in LEVELS_UP:
        old = Fact.objects.filter(period=p, code__in=codes, level=level)
        where = (
            f"period = %s AND level = %s AND parent_code <> '' AND code IN ({', '.join(['%s'] * len(codes))})"
        )
        params: list[str] = [p, _below(level), *codes]
        if targets is not None:
            mine = sorted(t for t in targets if level_of(t) == level)
            if not mine:
                continue
            old = old.filter(region_code__in=mine)
            where += f" AND parent_code IN ({', '.join(['%s'] * len(mine))})"
            params += mine
        old._raw_delete(old.db)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} ({COLUMNS}) "  # noqa: S608 - table, columns and levels are constants
                f"SELECT period, code, dim, parent_code, %s, {PARENT_SQL[level]}, SUM(value) FROM {TABLE} "
                f"WHERE {where} GROUP BY period, code, dim, parent_code HAVING SUM(value) <> 0",
                [level, *params],
            )
            written += max(cursor.rowcount, 0)
    return written


def _below(level: str) -> str:
    return {"township": "village", "county": "township", "city": "county"}[level]


def _write_final_rows(producer: Producer, period: Period, rows: Iterable[Row]) -> int:
    """A producer without roll-up returns the figures of every level itself: replace them all."""
    p = str(period)
    old = Fact.objects.filter(period=p, code__in=producer.codes)
    old._raw_delete(old.db)
    sums = _summed(producer, rows, lambda code: code)
    return _insert([(p, code, dim, r, value) for (r, code, dim), value in sums.items() if value])


def facts_refresh(
    *,
    periods: Sequence[Period],
    villages: Sequence[str] | None = None,
    producers: Sequence[str] | None = None,
    scope: str = "",
    whole: bool = True,
) -> RefreshStats:
    """Recompute the facts of `periods` for `villages` (12-digit codes; None: every village) from
    `producers` (names; None: all), and their sums up to the city, in one transaction.

    A producer without history is computed for the current month only: its past months keep the
    figures written while they were current (reports/producers.py)."""
    started = timezone.now()
    clock = time.perf_counter()
    current = Period.current()
    village_list = sorted({village_of(v) for v in villages}) if villages is not None else None
    # `whole=False` (the dashboard's refresh before reading): the producers recomputed whole on a change
    # (the funds figures, seconds at city scale, docs/benchmarks.md "Funds and projects") are skipped; the
    # marks are taken all the same, so those figures then wait for the worker's next change or the night.
    deferred = village_list is not None and not whole
    claimed = _stale_claim(periods, village_list, producers)
    rows = 0
    seen: set[str] = set()
    try:
        with transaction.atomic(), refresh_memo_open():
            # One refresh at a time (PostgreSQL): two interleaved ones would both delete a month's rows and
            # the second would then insert over the first's (fact_unique). Re-entrant in one session, so the
            # dashboard's own turn-taking around it holds.
            transaction_lock(REFRESH_LOCK)
            for period in periods:
                for producer in _selected(producers):
                    if not producer.history and period != current:
                        continue
                    if deferred and producer.whole_on_change:
                        continue
                    if not producer.rollup and village_list is not None and not producer.whole_on_change:
                        # Counted per county and city only (rule yield, deliveries): recomputing them
                        # city-wide for a few changed villages would cost more than the villages; the
                        # refresh after a screening run and the nightly one bring them up to date.
                        continue
                    # A producer without roll-up writes every level's figures at once: computed whole.
                    computed = _compute(producer, period, village_list if producer.rollup else None)
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
    # An existing mark is updated, not left alone: the update locks its row until this transaction ends, so
    # a refresh taking the marks meanwhile (_stale_claim) waits for the change to commit and then reads it.
    # With "do nothing" the refresh could take the mark, read the village without the change, and leave
    # no mark behind (PostgreSQL; SQLite's writers take turns anyway).
    StaleVillage.objects.bulk_create(
        [StaleVillage(region_code=v, period=m) for v, m in sorted(pairs)],
        update_conflicts=True,
        update_fields=["marked_at"],
        unique_fields=["region_code", "period"],
        batch_size=BATCH,
    )
    return len(pairs)


# Above this many stale villages in a month, every village is recomputed: the producers read a list of
# villages as one range condition each, which stops paying (and SQLite stops parsing) long before the city.
STALE_ALL_VILLAGES = 200


def facts_refresh_stale(*, limit: int | None = None, whole: bool = True) -> RefreshStats | None:
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
                periods=[Period.parse(period)], villages=codes, scope=f"{len(codes)} 个村(变动)", whole=whole
            )
    return last
