"""Many rows into SQLite in one statement: an Arrow table becomes a small SQLite database image, attached to
Django's connection as an in-memory schema and copied with one INSERT … SELECT (docs/benchmarks.md
"Issue 13, eighth try"; the scratch file: docs/security.md §2).

Python's `executemany` binds every value of every row under the GIL: for a county's 200,000 persons it took
longer than SQLite's own work of storing them. Here the rows are bound by the ADBC SQLite driver (C, the
GIL released) into a scratch database file, whose bytes `Connection.deserialize` hands to the import's
connection; the INSERT … SELECT then runs inside SQLite, in the caller's transaction.

What keeps it exact and safe:

* the values are the ones `executemany` would bind (text, integers, floats, NULL): the caller converts
  dates, money and booleans first, as for `executemany`; the target column's affinity applies to an
  INSERT … SELECT exactly as to a bound value, so the stored values and their types are the same (a
  property test holds the two paths together, `common/tests/test_sqlite_arrow.py`). One difference no
  caller meets: a float -0.0 passes the scratch table's REAL column as 0.0, which shows only in a target
  column without a declared type (Django declares every column, and the registry's frames carry no floats);
* the rows keep their order (`ORDER BY rowid` of the scratch table, in which the driver inserted them in
  frame order), so new ids are given in the same order;
* the ADBC driver carries its own copy of SQLite. Two copies must never open the same file (one copy's
  close drops the other's POSIX locks: https://www.sqlite.org/howtocorrupt.html §2.2.1): the driver
  only ever opens its scratch file, in a private directory (0700) beside the database, removed before
  the rows are copied (and, when a killed process could not remove it, by the next write after an hour);
  Django's connection never opens that file (it receives its bytes);
* ATTACH and `deserialize` work inside a transaction; the attached schema stays on the connection (a
  DETACH is refused until the transaction ends) and is emptied after every copy, so it holds no rows
  and next to no memory between uses;
* a frame with a column the driver cannot bind (a Python object) is refused (`bindable`), and a scratch
  database that cannot be made (a full disk) or attached makes `insert` answer False before any row is
  written: either way the caller falls back to `executemany`.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

logger = logging.getLogger("dixian.db")

SCHEMA = "dx_arrow"  # the attached in-memory schema
PREFIX = "dixian-rows-"  # the scratch directories
STALE_SECONDS = 3600  # a scratch directory this old was left by a process that died
TABLE = "rows"
# Plain column types the driver binds as SQLite's own (TEXT, INTEGER, REAL, NULL).
_BINDABLE = (pl.String, pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.Float64)


def _empty_image() -> bytes:
    """The smallest valid database image (one page, no tables): what the schema holds between copies."""
    scratch = sqlite3.connect(":memory:")
    try:
        scratch.execute("PRAGMA user_version = 0")
        scratch.execute("CREATE TABLE _ (x)")
        scratch.execute("DROP TABLE _")
        return scratch.serialize()
    finally:
        scratch.close()


def bindable(frame: pl.DataFrame) -> bool:
    """Whether every column is of a type the driver binds as `executemany` would (nulls of any type)."""
    return all(dtype in _BINDABLE or dtype == pl.Null for dtype in frame.schema.values())


def image(frame: pl.DataFrame, *, near: str | None = None) -> bytes:
    """A SQLite database holding `frame` as table `rows` (rowid in frame order), as bytes. `near`: the
    database file beside which the scratch file is written (None: the system's temporary directory)."""
    import adbc_driver_sqlite.dbapi as adbc_sqlite

    table = frame.with_columns(pl.col(n).cast(pl.String) for n, t in frame.schema.items() if t == pl.Null)
    folder = str(Path(near).parent) if near else None
    _remove_stale(Path(folder or tempfile.gettempdir()))
    with tempfile.TemporaryDirectory(prefix=PREFIX, dir=folder) as scratch:
        path = Path(scratch) / "rows.sqlite3"
        with adbc_sqlite.connect(str(path), autocommit=True) as conn, conn.cursor() as cursor:
            # A scratch file: no rollback journal, no fsync.
            cursor.execute("PRAGMA journal_mode = OFF")
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.adbc_ingest(TABLE, table.to_arrow(), mode="create")
        return path.read_bytes()


def _remove_stale(folder: Path) -> None:
    """Scratch directories a killed process left behind (a crash cannot run the cleanup): they hold personal
    data, so they go once they are older than any write could be."""
    cutoff = time.time() - STALE_SECONDS
    for old in folder.glob(f"{PREFIX}*"):
        try:
            if old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old)
        except (
            OSError
        ):  # another import's cleanup got there first, or it cannot be removed: not ours to fail on
            logger.warning("stale scratch directory %s not removed", old, exc_info=True)


def insert(raw: Any, table: str, columns: list[str], frame: pl.DataFrame, *, near: str | None = None) -> bool:
    """INSERT INTO table (columns) the frame's rows (its columns in that order), in order, through the
    attached schema. `raw`: Django's sqlite3 connection, in the caller's transaction. False, with nothing
    done, when the scratch database could not be made or attached (a full disk, the driver, a Python whose
    SQLite cannot deserialize): the caller binds the rows."""
    try:
        data = image(frame, near=near)
    except Exception:  # noqa: BLE001 - the driver's or the disk's errors alike: nothing was written yet
        logger.warning(
            "rows for %s not written through Arrow; bound row by row instead", table, exc_info=True
        )
        return False
    try:
        attached = {row[1] for row in raw.execute("PRAGMA database_list")}
        if SCHEMA not in attached:
            raw.execute(f"ATTACH DATABASE ':memory:' AS {SCHEMA}")
        raw.deserialize(data, name=SCHEMA)  # AttributeError where Python's SQLite lacks it
    except (sqlite3.Error, AttributeError):
        logger.warning(
            "rows for %s not attached through Arrow; bound row by row instead", table, exc_info=True
        )
        return False
    del data
    try:
        names = ", ".join(f'"{name}"' for name in columns)
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {names} FROM {SCHEMA}.{TABLE} ORDER BY rowid"  # noqa: S608 - names from model metadata, never from input
        )
        raw.execute(sql)
    finally:
        raw.deserialize(EMPTY, name=SCHEMA)
    return True


EMPTY = _empty_image()
