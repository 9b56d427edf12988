"""Rows inserted through an Arrow image (common/sqlite_arrow.py) are stored exactly as `executemany` stores
them: the same values, the same SQLite types, the same order (docs/benchmarks.md "Issue 13, eighth try")."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dixian.common import sqlite_arrow

# One column per affinity Django's SQLite tables use (varchar → TEXT, integer/bigint/bool → INTEGER,
# decimal/date → NUMERIC, real → REAL), and one without any.
TABLE = """CREATE TABLE t (
    id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    s varchar(40) NULL, n integer NULL, d decimal NULL, day date NULL, f real NULL, b bool NULL, x NULL
)"""
COLUMNS = ["s", "n", "d", "day", "f", "b", "x"]
SCHEMA = {
    "s": pl.String,
    "n": pl.Int64,
    "d": pl.String,
    "day": pl.String,
    "f": pl.Float64,
    "b": pl.Int8,
    "x": pl.String,
}

text = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "0012", "1E5", "12.50", "12.5", "-0", "3e400", "2026-12-07", "是", "NaN"]),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=8),
)
row = st.fixed_dictionaries(
    {
        "s": text,
        "n": st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
        "d": st.one_of(text, st.decimals(-(10**9), 10**9, places=2).map(str)),
        "day": st.one_of(st.none(), st.dates().map(str), text),
        "f": st.one_of(st.none(), st.floats(allow_nan=False)),
        "b": st.one_of(st.none(), st.sampled_from([0, 1])),
        "x": text,
    }
)


def _connection() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute(TABLE)
    return conn


def _stored(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    cells = ", ".join(f"{c}, typeof({c})" for c in ["id", *COLUMNS])
    return conn.execute(f"SELECT {cells} FROM t ORDER BY id").fetchall()  # noqa: S608 - constant names


def _both(frame: pl.DataFrame, tmp: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    plain, arrow = _connection(), _connection()
    rows = list(zip(*(s.to_list() for s in frame.get_columns()), strict=True))
    plain.executemany(f"INSERT INTO t ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows)  # noqa: S608 - constant names
    arrow.execute("BEGIN")
    sqlite_arrow.insert(arrow, "t", COLUMNS, frame, near=str(tmp / "db.sqlite3"))
    arrow.execute("COMMIT")
    return _stored(plain), _stored(arrow)


@settings(deadline=None, max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, max_size=30))
def test_same_values_types_and_order_as_executemany(rows: list[dict[str, Any]], tmp_path: Path) -> None:
    frame = pl.DataFrame(rows, schema=SCHEMA, orient="row")
    beside = tmp_path / "database"
    beside.mkdir(exist_ok=True)
    plain, arrow = _both(frame, beside)
    assert arrow == plain
    assert list(beside.iterdir()) == []  # the scratch directory is gone


def test_a_column_of_nulls_only(tmp_path: Path) -> None:
    frame = pl.DataFrame({c: [None, None] for c in COLUMNS})  # every column of type Null
    assert sqlite_arrow.bindable(frame)
    plain, arrow = _both(frame, tmp_path)
    assert arrow == plain


def test_python_objects_are_not_bindable() -> None:
    assert not sqlite_arrow.bindable(pl.DataFrame({"s": [object()]}, schema={"s": pl.Object}))
    assert not sqlite_arrow.bindable(pl.DataFrame({"day": [None]}, schema={"day": pl.Date}))
    assert sqlite_arrow.bindable(pl.DataFrame({"s": ["a"], "n": [1]}))


def test_in_the_callers_transaction_and_schema_emptied(tmp_path: Path) -> None:
    conn = _connection()
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t (s) VALUES ('before')")
    frame = pl.DataFrame({"s": ["a", "b", "c"]})
    sqlite_arrow.insert(conn, "t", ["s"], frame, near=str(tmp_path / "db.sqlite3"))
    # A second copy reuses the attached schema.
    sqlite_arrow.insert(conn, "t", ["s"], pl.DataFrame({"s": ["d"]}), near=str(tmp_path / "db.sqlite3"))
    assert conn.execute("SELECT s FROM t ORDER BY id").fetchall() == [
        ("before",),
        ("a",),
        ("b",),
        ("c",),
        ("d",),
    ]
    # Between copies the attached schema holds no table.
    tables = f"SELECT count(*) FROM {sqlite_arrow.SCHEMA}.sqlite_master"  # noqa: S608 - a constant name
    assert conn.execute(tables).fetchone() == (0,)
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_a_constraint_fails_the_statement_as_executemany_would(tmp_path: Path) -> None:
    conn = _connection()
    conn.execute("CREATE UNIQUE INDEX t_s ON t (s)")
    conn.execute("BEGIN")
    with pytest.raises(sqlite3.IntegrityError):
        sqlite_arrow.insert(
            conn, "t", ["s"], pl.DataFrame({"s": ["a", "a"]}), near=str(tmp_path / "db.sqlite3")
        )
    # The statement is undone; the transaction and the attached schema are usable.
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    sqlite_arrow.insert(conn, "t", ["s"], pl.DataFrame({"s": ["a", "b"]}), near=str(tmp_path / "db.sqlite3"))
    conn.execute("COMMIT")
    assert conn.execute("SELECT s FROM t ORDER BY id").fetchall() == [("a",), ("b",)]


def test_no_scratch_database_means_nothing_done_and_false(tmp_path: Path, monkeypatch, caplog) -> None:
    def full_disk(frame: pl.DataFrame, *, near: str | None = None) -> bytes:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sqlite_arrow, "image", full_disk)
    conn = _connection()
    conn.execute("BEGIN")
    assert not sqlite_arrow.insert(conn, "t", ["s"], pl.DataFrame({"s": ["a"]}), near=str(tmp_path / "db"))
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    assert "not written through Arrow" in caplog.text


def test_scratch_directories_a_killed_process_left_are_removed(tmp_path: Path) -> None:
    beside = tmp_path / "database"
    beside.mkdir()
    old, recent = beside / f"{sqlite_arrow.PREFIX}old", beside / f"{sqlite_arrow.PREFIX}recent"
    for folder in (old, recent):
        folder.mkdir()
        (folder / "rows.sqlite3").write_bytes(b"personal data")
    stale = time.time() - sqlite_arrow.STALE_SECONDS - 60
    os.utime(old, (stale, stale))
    sqlite_arrow.image(pl.DataFrame({"s": ["a"]}), near=str(beside / "db.sqlite3"))
    assert sorted(p.name for p in beside.iterdir()) == [recent.name]  # another import's may still be in use


def test_a_connection_that_cannot_deserialize_gets_false_and_nothing_done(tmp_path: Path) -> None:
    class Old:  # a Python whose SQLite was built without deserialize
        def __init__(self) -> None:
            self.conn = _connection()

        def execute(self, *args: Any) -> Any:
            return self.conn.execute(*args)

    old = Old()
    assert not sqlite_arrow.insert(old, "t", ["s"], pl.DataFrame({"s": ["a"]}), near=str(tmp_path / "db"))
    assert old.conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
