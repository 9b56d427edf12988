"""The week sums of each township (docs/domain.md §27 "Week sums"): what `figures.recount_sums` counts from the
weekly reports, kept as one row per township and week so that a county's or the city's pages read a row per
township instead of every report of the year.

`refresh` rewrites a township's rows of a year from a week onwards and runs inside the transaction of each
filing or correction (services.weekly_file); `rebuild` rewrites every row under a prefix after a bulk load (the
demo loader, `dixian environment_sums_rebuild`, the migration that created the table). Both derive the rows from
the township's reports of the year in one pass (a running sum per week: a village's new report replaces its
previous one in the sums), then replace the stored rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Model, Q

from dixian.common.access import region_range_q

from .figures import SUMMED, TOWNSHIP_LENGTH
from .models import WeeklyReport, WeekSum

BATCH = 5000


def year_mondays(year: int) -> list[dt.date]:
    """The weeks of a year: every Monday that falls in it (a week belongs to its Monday's year, §27)."""
    first = dt.date(year, 1, 1)
    first += dt.timedelta(days=(7 - first.weekday()) % 7)
    return [
        first + dt.timedelta(days=7 * i) for i in range(54) if (first + dt.timedelta(days=7 * i)).year == year
    ]


def _rows_of(
    unit: str, year: int, reports: list[tuple[Any, ...]], since: dt.date | None
) -> list[dict[str, Any]]:
    """The rows of one township and year from its reports `(region_code, week, late, *SUMMED)` in week order.

    A report counts from its week on until the village's next report replaces it (one dated other than a Monday,
    which filing never writes, from the next Monday, and one dated before the year from its first week: as
    `week <= monday` does in the recount)."""
    mondays = year_mondays(year)
    by_monday: dict[dt.date, list[tuple[Any, ...]]] = defaultdict(list)
    for r in reports:
        week: dt.date = r[1]
        by_monday[max(week + dt.timedelta(days=(7 - week.weekday()) % 7), mondays[0])].append(r)
    current: dict[str, tuple[int, ...]] = {}
    totals = [0] * len(SUMMED)
    out: list[dict[str, Any]] = []
    for monday in mondays:
        reported = late = 0
        for r in by_monday.get(monday, ()):
            values = tuple(int(x) for x in r[3:])
            before = current.get(r[0])
            for i, value in enumerate(values):
                totals[i] += value - (before[i] if before else 0)
            current[r[0]] = values
            if r[1] == monday:
                reported += 1
                late += bool(r[2])
        if current and (since is None or monday >= since):
            out.append(
                {"unit_code": unit, "year": year, "week": monday, "reported": reported, "late": late}
                | dict(zip(SUMMED, totals, strict=True))
            )
    return out


def _write(
    scope: Q, reports: Iterable[tuple[Any, ...]], since: dt.date | None, sum_model: type[Model]
) -> int:
    """Replace the rows in `scope` by those derived from `reports` (ordered by week within each township)."""
    grouped: dict[tuple[str, int], list[tuple[Any, ...]]] = defaultdict(list)
    for r in reports:
        grouped[(r[0][:TOWNSHIP_LENGTH], r[-1])].append(r[:-1])
    rows = [
        sum_model(**row)
        for (unit, year), items in sorted(grouped.items())
        for row in _rows_of(unit, year, items, since)
    ]
    sum_model._default_manager.filter(scope).delete()
    sum_model._default_manager.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _reports(report_model: type[Model], scope: Q) -> Iterable[tuple[Any, ...]]:
    return (
        report_model._default_manager.filter(scope)
        .order_by("week", "region_code")
        .values_list("region_code", "week", "late", *SUMMED, "year")
        .iterator(chunk_size=BATCH)
    )


def refresh(unit: str, year: int, since: dt.date) -> int:
    """Rewrite township `unit`'s rows of `year` from the week `since` on; call it inside the transaction that
    changed the township's reports of that week (services.weekly_file). Returns the rows written."""
    unit = unit[:TOWNSHIP_LENGTH]
    return _write(
        region_range_q(unit, "unit_code") & Q(year=year, week__gte=since),
        _reports(WeeklyReport, region_range_q(unit) & Q(year=year)),
        since,
        WeekSum,
    )


def rebuild(
    prefix: str = "", *, report_model: type[Model] = WeeklyReport, sum_model: type[Model] = WeekSum
) -> int:
    """Rewrite every row of the townships under `prefix` (all when blank; a village's code stands for its
    township) from their reports; after a bulk load. Idempotent. Returns the rows written."""
    unit = prefix[:TOWNSHIP_LENGTH]
    return _write(
        region_range_q(unit, "unit_code") if unit else Q(),
        _reports(report_model, region_range_q(unit) if unit else Q()),
        None,
        sum_model,
    )
