"""The stored monthly count of the survey records (`EmploymentCount`, docs/domain.md §23 "Figures").

The database keeps it (triggers of migration 0004, in the statement that writes the records), but for the rows a
workbook import inserts, which the import adds itself (`counts_add`, in its transaction); this module rebuilds it from the records (`dixian employment_counts_rebuild`, after a restore or a bulk load that went
around the table) and recounts it for the tests that hold the triggers to exactness.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction
from django.db.models import Count

from .models import Employment, EmploymentCount

KEY = ("month", "region_code", "working", "place_tier", "channel")
CountKey = tuple[dt.date, str, bool, str, str]


def counts_add(deltas: Mapping[CountKey, int]) -> None:
    """Add `deltas` (month, region code, working, tier, channel → records) to the stored count, in the caller's
    transaction: what a workbook import inserted (its rows carry their batch, which the insert trigger leaves to
    it). Keys in order, so that two writers lock the count's rows in the same order (PostgreSQL)."""
    table = connection.ops.quote_name(EmploymentCount._meta.db_table)
    key = ", ".join(KEY)
    rows = [
        (connection.ops.adapt_datefield_value(m), code, working, tier, channel, n)
        for (m, code, working, tier, channel), n in sorted(deltas.items())
        if n
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            cursor.execute(
                f"INSERT INTO {table} AS c ({key}, n) VALUES {', '.join(['(%s, %s, %s, %s, %s, %s)'] * len(chunk))} "  # noqa: S608 - the model's table and columns; values are parameters
                f"ON CONFLICT ({key}) DO UPDATE SET n = c.n + excluded.n",
                [value for row in chunk for value in row],
            )


def counts_rebuild() -> int:
    """Recount every group of records into the stored count, in one transaction (writers of the survey wait on
    PostgreSQL; SQLite's writers take turns anyway). Returns the number of groups."""
    table = connection.ops.quote_name(EmploymentCount._meta.db_table)
    records = connection.ops.quote_name(Employment._meta.db_table)
    key = ", ".join(KEY)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {records} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - the model's table
        cursor.execute(
            f"INSERT INTO {table} ({key}, n) SELECT {key}, count(*) FROM {records} GROUP BY {key}"  # noqa: S608 - the models' tables and columns
        )
        return EmploymentCount.objects.count()


def stored_counts() -> dict[CountKey, int]:
    """The stored count, without its groups of 0."""
    rows: Any = EmploymentCount.objects.exclude(n=0).values_list(*KEY, "n")
    return {(m, code, bool(w), tier, channel): n for m, code, w, tier, channel, n in rows}


def recount() -> dict[CountKey, int]:
    """The same count made from the records now (what the stored count must equal)."""
    rows: Any = Employment.objects.values(*KEY).annotate(k=Count("*")).order_by().values_list(*KEY, "k")
    return {(m, code, bool(w), tier, channel): n for m, code, w, tier, channel, n in rows}
