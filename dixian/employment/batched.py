"""`column IN (…)` over many values in raw SQL (a workbook's 100,000 persons): 10,000 placeholders a query
(SQLite's bound on parameters is 32,766).

Not one PostgreSQL array (`= ANY(%s)`): tried, and when the planner took the month's index and filtered the rows
by the array, it compared each row with the array's 100,000 values one by one (a re-import's stored records:
29 s); a literal IN list is hashed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

BATCH = 10_000


def in_batches(values: Sequence[Any]) -> Iterator[tuple[str, list[Any]]]:
    """(condition, parameters) for each batch of `values`, the condition to follow a column: `IN (%s, …)`.
    Nothing for no values."""
    for start in range(0, len(values), BATCH):
        chunk = list(values[start : start + BATCH])
        yield f"IN ({', '.join(['%s'] * len(chunk))})", chunk
