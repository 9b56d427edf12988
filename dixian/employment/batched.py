"""`column IN (…)` over many values in raw SQL (a workbook's 100,000 persons): PostgreSQL takes them all as one
array parameter (`= ANY(%s)`), which it parses and plans once, instead of 10,000 placeholders a query; SQLite,
which has no arrays, 10,000 placeholders a query (its bound on parameters)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection

SQLITE_BATCH = 10_000


def in_batches(values: Sequence[Any]) -> Iterator[tuple[str, list[Any]]]:
    """(condition, parameters) for each batch of `values`, the condition to follow a column: `= ANY(%s)` or
    `IN (%s, …)`. Nothing for no values."""
    if not values:
        return
    if connection.vendor == "postgresql":
        yield "= ANY(%s)", [list(values)]
        return
    for start in range(0, len(values), SQLITE_BATCH):
        chunk = list(values[start : start + SQLITE_BATCH])
        yield f"IN ({', '.join(['%s'] * len(chunk))})", chunk
