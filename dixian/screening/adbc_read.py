"""Reading SQL results straight into Arrow through the ADBC drivers (Apache Arrow Database Connectivity).

`read_*(statements)` runs each (sql, params) on its own connection, side by side, and returns Arrow tables
that all show the database at one moment (the registry's households, persons and incomes must agree):
- PostgreSQL: in this process (libpq, a binary COPY under the driver). A first connection exports its
  snapshot; every reader imports it (SET TRANSACTION SNAPSHOT).
- SQLite: in a child process. SQLite cannot share a snapshot between connections: the child notes the
  database's data version before and after the side-by-side reads, and when another connection committed
  in between it reads everything again on one connection in one read transaction. The ADBC SQLite driver carries its own copy of SQLite; two copies in one
  process break each other's POSIX file locks (closing one copy's descriptor drops the other's locks:
  https://www.sqlite.org/howtocorrupt.html §2.2.1), which could corrupt the database Django writes. The
  child (`python -m dixian.screening.adbc_read`) opens the file read-only and streams the tables back
  through its standard output in Arrow's IPC format: nothing of the registry touches the disk.
This module imports nothing from Django: the child starts in a fraction of a second.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa

Statement = tuple[str, list[Any]]  # SQL with the driver's placeholders ($1 / ?), parameters


class AdbcReadError(RuntimeError):
    pass


def read_postgresql(
    conninfo: str, statements: list[Statement], *, setup: str | None = None
) -> list[pa.Table]:
    """`setup`: SQL run first on each connection (the role Django's connection assumes)."""
    import adbc_driver_postgresql.dbapi as adbc_pg
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as anchor:
        # Open until every reader has imported the snapshot (an exported snapshot lives as long as the
        # transaction that exported it); closing the connection ends the read-only transaction.
        anchor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = _export_snapshot(anchor)

        def one(statement: Statement) -> pa.Table:
            sql, params = statement
            with adbc_pg.connect(conninfo, autocommit=True) as conn, conn.cursor() as cursor:
                cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                if setup:
                    cursor.execute(setup)
                cursor.execute(sql, tuple(params) if params else None)
                table = cursor.fetch_arrow_table()
                cursor.execute("COMMIT")
                return table

        with ThreadPoolExecutor(max_workers=2) as pool:
            return list(pool.map(one, statements))


def _export_snapshot(anchor: Any) -> str:
    snapshot = anchor.execute("SELECT pg_export_snapshot()").fetchone()[0]
    if not re.fullmatch(r"[0-9A-Fa-f-]+", snapshot):  # it goes into SQL text below
        raise AdbcReadError(f"unexpected snapshot name {snapshot!r}")
    return snapshot


def _read_sqlite_here(path: str, statements: list[Statement]) -> list[pa.Table]:
    # The driver's own API, not its DB-API module: that one imports pandas/polars, a second in the child.
    import adbc_driver_sqlite

    if any(params for _, params in statements):
        raise ValueError("the SQLite reader takes statements without parameters")
    database = adbc_driver_sqlite.connect(Path(path).resolve().as_uri() + "?mode=ro")
    try:
        with _connection(database) as watch:
            # PRAGMA data_version changes when another connection commits: unchanged across the reads, every
            # reader's transaction began and ended with the database in one state.
            before = _data_version(watch)
            tables = _read_side_by_side(database, statements)
            if _data_version(watch) == before:
                return tables
        del tables
        return _read_in_one_transaction(database, statements)
    finally:
        database.close()


def _connection(database: Any) -> Any:
    import adbc_driver_manager as adbc

    return adbc.AdbcConnection(database)


def _query(conn: Any, sql: str) -> pa.Table:
    import adbc_driver_manager as adbc

    with adbc.AdbcStatement(conn) as stmt:
        stmt.set_sql_query(sql)
        stream, _ = stmt.execute_query()
        return pa.RecordBatchReader._import_from_c(stream.address).read_all()


def _data_version(conn: Any) -> int:
    return int(_query(conn, "PRAGMA data_version").column(0)[0].as_py())


def _read_side_by_side(database: Any, statements: list[Statement]) -> list[pa.Table]:
    def one(statement: Statement) -> pa.Table:
        with _connection(database) as conn:
            return _query(conn, statement[0])

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, statements))


def _read_in_one_transaction(database: Any, statements: list[Statement]) -> list[pa.Table]:
    with _connection(database) as conn:
        _query(conn, "BEGIN")
        try:
            return [_query(conn, sql) for sql, _ in statements]
        finally:
            _query(conn, "COMMIT")


def read_sqlite(path: str, statements: list[Statement], *, timeout: float = 600) -> list[pa.Table]:
    """`statements` over the SQLite file `path`, read by a child process (see the module's docstring)."""
    request = json.dumps({"path": path, "statements": statements}).encode()
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(  # noqa: S603 - our own module, with this interpreter
            [sys.executable, "-m", "dixian.screening.adbc_read"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        tables: list[pa.Table] = []
        try:
            assert proc.stdin is not None and proc.stdout is not None  # noqa: S101 - both are pipes
            proc.stdin.write(request)
            proc.stdin.close()
            try:
                tables = [pa.ipc.open_stream(proc.stdout).read_all() for _ in statements]
            except (pa.ArrowException, OSError):
                tables = []  # the child stopped early: its error output says why
            proc.wait(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode != 0 or len(tables) != len(statements):
            errors.seek(0)
            raise AdbcReadError(
                errors.read().decode(errors="replace")[-2000:] or f"exit status {proc.returncode}"
            )
        return tables


def _child() -> None:
    request = json.loads(sys.stdin.buffer.read())
    tables = _read_sqlite_here(request["path"], [(s, p) for s, p in request["statements"]])
    sink = sys.stdout.buffer
    for table in tables:
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    sink.flush()


if __name__ == "__main__":
    _child()
