"""Reading SQL results straight into Arrow through the ADBC drivers (Apache Arrow Database Connectivity).

`read(statements)` runs each (sql, params) on its own connection, side by side, and returns Arrow tables.
- PostgreSQL: in this process (libpq, a binary COPY under the driver).
- SQLite: in a child process. The ADBC SQLite driver carries its own copy of SQLite; two copies in one
  process break each other's POSIX file locks (closing one copy's descriptor drops the other's locks:
  https://www.sqlite.org/howtocorrupt.html §2.2.1), which could corrupt the database Django writes. The
  child (`python -m dixian.screening.adbc_read`) opens the file read-only and hands the tables back as
  Arrow IPC files in a temporary directory, which the parent memory-maps.
This module imports nothing from Django: the child starts in a fraction of a second.
"""

from __future__ import annotations

import json
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


def read_postgresql(conninfo: str, statements: list[Statement]) -> list[pa.Table]:
    import adbc_driver_postgresql.dbapi as adbc_pg

    def one(statement: Statement) -> pa.Table:
        sql, params = statement
        with adbc_pg.connect(conninfo) as conn, conn.cursor() as cursor:
            cursor.execute(sql, tuple(params) if params else None)
            return cursor.fetch_arrow_table()

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, statements))


def _read_sqlite_here(path: str, statements: list[Statement]) -> list[pa.Table]:
    # The driver's own API, not its DB-API module: that one imports pandas/polars, a second in the child.
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite

    database = adbc_driver_sqlite.connect(Path(path).resolve().as_uri() + "?mode=ro")

    def one(statement: Statement) -> pa.Table:
        sql, params = statement
        if params:
            raise ValueError("the SQLite reader takes statements without parameters")
        with adbc.AdbcConnection(database) as conn, adbc.AdbcStatement(conn) as stmt:
            stmt.set_sql_query(sql)
            stream, _ = stmt.execute_query()
            return pa.RecordBatchReader._import_from_c(stream.address).read_all()

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            return list(pool.map(one, statements))
    finally:
        database.close()


def read_sqlite(path: str, statements: list[Statement], *, timeout: float = 600) -> list[pa.Table]:
    """`statements` over the SQLite file `path`, read by a child process (see the module's docstring)."""
    with tempfile.TemporaryDirectory(prefix="dixian-adbc-") as tmp:
        request = json.dumps({"path": path, "statements": statements, "out": tmp})
        proc = subprocess.run(  # noqa: S603 - our own module, with this interpreter
            [sys.executable, "-m", "dixian.screening.adbc_read"],
            input=request.encode(),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0:
            raise AdbcReadError(proc.stderr.decode(errors="replace")[-2000:])
        tables = []
        for i in range(len(statements)):
            # Memory-mapped: the pages stay readable after the directory is removed (the mapping holds them).
            with pa.memory_map(str(Path(tmp) / f"{i}.arrow")) as source:
                tables.append(pa.ipc.open_file(source).read_all())
        return tables


def _child() -> None:
    request = json.loads(sys.stdin.buffer.read())
    tables = _read_sqlite_here(request["path"], [(s, p) for s, p in request["statements"]])
    for i, table in enumerate(tables):
        path = str(Path(request["out"]) / f"{i}.arrow")
        with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)


if __name__ == "__main__":
    _child()
