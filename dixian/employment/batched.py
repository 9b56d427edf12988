"""`column IN (…)` over many values in raw SQL (a workbook's 100,000 persons).

SQLite: 10,000 placeholders a query (its bound on parameters is 32,766).

PostgreSQL: one query, `IN (SELECT unnest(string_to_array(%s, ',')::type[]))`, the values joined into one text
parameter (or, when a value holds the comma or is empty, `unnest(%s::type[])` with an array parameter). A list of
10,000 placeholders is parsed and planned value by value (about 0.07 s a batch, ten batches for a workbook:
docs/benchmarks.md "Survey workbook import"), and psycopg quotes a Python list element by element; one string is
one value, and the planner makes the semi-join of its rows (it knows how many) with the table's index. Not
`column = ANY(%s)`: tried, and when the planner took the month's index and filtered the rows by the array, it
compared each row with the array's 100,000 values one by one (a re-import's stored records: 29 s); a join does not."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal

from django.db import connection

BATCH = 10_000

Kind = Literal["bigint", "text"]


def in_batches(values: Sequence[Any], kind: Kind = "bigint") -> Iterator[tuple[str, list[Any]]]:
    """(condition, parameters) for each batch of `values`, the condition to follow a column: `IN (…)`.
    `kind`: the values' SQL type (PostgreSQL's array). Nothing for no values."""
    if kind not in ("bigint", "text"):  # interpolated into the SQL below
        raise ValueError(f"unknown kind {kind!r}")
    values = [v for v in values if v is not None]  # IN (NULL) matches nothing
    if not values:
        return
    if connection.vendor == "postgresql":
        # One text parameter, split by the server: psycopg quotes a 100,000-value list element by element in
        # Python (≈ 0.4 s), a joined string at once. Values holding the separator, or empty (string_to_array
        # of '' is no value at all), go as an array.
        texts = [str(v) for v in values]
        if all(t and "," not in t for t in texts):
            yield f"IN (SELECT unnest(string_to_array(%s, ',')::{kind}[]))", [",".join(texts)]
        else:
            yield f"IN (SELECT unnest(%s::{kind}[]))", [list(values)]
        return
    for start in range(0, len(values), BATCH):
        chunk = list(values[start : start + BATCH])
        yield f"IN ({', '.join(['%s'] * len(chunk))})", chunk
