"""Taking turns inside a transaction, the same call on SQLite and PostgreSQL.

`transaction_lock(name)` serialises the transactions that call it with the same name until they end.
PostgreSQL: a transaction-level advisory lock on a 64-bit number derived from the name (two names that
happened to share a number would only take turns needlessly). SQLite: nothing to do, its write
transactions begin IMMEDIATE (settings), so they run one at a time anyway.
"""

from __future__ import annotations

import hashlib

from django.db import connection


def lock_number(name: str) -> int:
    """The signed 64-bit advisory lock number of `name`."""
    return int.from_bytes(hashlib.sha256(f"dixian:{name}".encode()).digest()[:8], "big", signed=True)


def transaction_lock(name: str) -> None:
    """Call inside a transaction; the lock is held until it commits or rolls back."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_number(name)])


# Held by a screening run while it stores its results, and by a household move while it moves the records
# that copy the household's region (docs/security.md §4): a move never interleaves with a run's store.
RUNS_LOCK = "screening.runs"


def transaction_try_lock(name: str) -> bool:
    """Like `transaction_lock`, but answers False at once instead of waiting when another transaction holds
    it (SQLite: always True; its write transactions take turns by themselves)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_number(name)])
        row = cursor.fetchone()
    return bool(row and row[0])
