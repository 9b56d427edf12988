"""Bulk upsert of households, persons and incomes: the write path of the import and the demo loader.

`registry_bulk_upsert` takes three polars frames whose columns are model field names and whose values
are codes (the importer has already parsed the workbook), and in one transaction:

* resolves `region_id` from `region_code` (an unknown code is an error);
* inserts new households, persons and incomes, and updates changed ones in place;
* moves a person whose ID number appears under another household (action "move" in the change log);
* recomputes each touched household's member facts (member count, head name, illness/disability,
  三保障 flags) and the per-capita income of the imported years (`HouseholdIncome.compute` semantics);
* writes ChangeLog rows: one per created household, person and income, field-level diffs for updated
  ones, and nothing at all for rows that did not change.

It is built for 200,000-person files: the old rows are read with one query per table, diffed against
the new ones with polars joins, and written with COPY (PostgreSQL) or, on SQLite, `executemany` (a few
rows) or one INSERT … SELECT of rows bound in C (`common/sqlite_arrow.py`) through Django's own connection,
so that the work joins the caller's transaction.

Frames
------
households: household_no, region_code, and any of kind, year_out_of_poverty, monitoring_category,
    phone, address, housing_grade, water_ok. Columns left out keep their stored value (or the model
    default for a new household).
persons: household_no, id_number, and any of the Person fields (sex and birth_date are required for
    a new person). region_code is taken from the household.
incomes: household_no, year, and any of wages, business, property, transfers, production_costs,
    eligible_out_of_pocket, insurance_payout in 元 (Decimal, float, int or text); members, net_income
    and net_income_per_capita are computed.
"""

# ruff: noqa: S608 - SQL is built from model metadata and generated temp-table names, never from input;
# values travel as parameters or COPY data.
from __future__ import annotations

import datetime as dt
import io
import json
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import polars as pl
from django.db import connection, models, transaction
from django.utils import timezone

from dixian.common import sqlite_arrow
from dixian.common.locks import RUNS_LOCK, transaction_lock
from dixian.common.models import ChangeLog
from dixian.domain import household_facts
from dixian.regions.models import Region

from . import choices as c
from .models import (
    HOUSEHOLD_DETAIL_FIELDS,
    PERSON_DETAIL_FIELDS,
    Household,
    HouseholdIncome,
    IncomeDeclared,
    Person,
)
from .services import household_followers_move, household_move_changes, household_move_summary
from .signals import person_moved

if TYPE_CHECKING:
    from polars.datatypes import DataTypeClass

    from dixian.accounts.models import User

Progress = Callable[[int, int], None]

HOUSEHOLD_INPUT = HOUSEHOLD_DETAIL_FIELDS
HOUSEHOLD_DERIVED = household_facts.FACTS
PERSON_INPUT = ("name", "sex", "birth_date", "relation", *PERSON_DETAIL_FIELDS)
INCOME_INPUT = (
    "wages",
    "business",
    "property",
    "transfers",
    "production_costs",
    "eligible_out_of_pocket",
    "insurance_payout",
)
INCOME_DERIVED = ("members", "net_income", "net_income_per_capita")
# Optional income columns: `declared` ("" computed, "net", "per_capita") and the declared figures in 元 that
# stand for the net income when the components are not known (docs/domain.md §2, registry.import_income).
INCOME_DECLARED = ("declared", "declared_net", "declared_per_capita")
MONEY_FIELDS = frozenset((*INCOME_INPUT, "net_income", "net_income_per_capita"))

# From this many new rows (and more than the table holds) indexes are rebuilt, not maintained.
DEFERRED_INDEX_ROWS = 5_000
# SQLite: from this many rows a frame is inserted as one Arrow table (common/sqlite_arrow.py): binding it row
# by row in Python cost more than SQLite's own work (docs/benchmarks.md "Issue 13, eighth try").
ARROW_MIN_ROWS = 2_000
# PostgreSQL: how long the import waits for the exclusive lock DROP INDEX needs before it keeps the indexes.
LOCK_WAIT = "2s"


@dataclass
class BulkResult:
    households_created: int = 0
    households_updated: int = 0
    persons_created: int = 0
    persons_updated: int = 0
    persons_moved: int = 0
    incomes_created: int = 0
    incomes_updated: int = 0
    changes_logged: int = 0


@dataclass(frozen=True)
class BulkProblem:
    entity: str  # "household", "person" or "income"
    key: str  # household_no, id_number, or "household_no/year"
    message: str  # Chinese, for the user


@dataclass
class BulkError(Exception):
    """The frames cannot be written as they are; nothing was written."""

    problems: list[BulkProblem] = field(default_factory=list)

    def __str__(self) -> str:
        head = ";".join(p.message for p in self.problems[:3])
        more = f" 等共 {len(self.problems)} 个问题" if len(self.problems) > 3 else ""
        return head + more


# ---- column kinds ---------------------------------------------------------------------------------


def _kind(model: type[models.Model], name: str) -> str:
    f = model._meta.get_field(name)
    if isinstance(f, models.BooleanField):
        return "bool"
    if isinstance(f, models.DecimalField):
        return "money"
    if isinstance(f, models.DateField):
        return "date"
    if isinstance(f, (models.IntegerField, models.ForeignKey)):
        return "int"
    return "str"


_DTYPE = {"bool": pl.Boolean, "money": pl.Int64, "date": pl.Date, "int": pl.Int64, "str": pl.String}


def _default(model: type[models.Model], name: str) -> Any:
    f: models.Field[Any, Any] = model._meta.get_field(name)  # type: ignore[assignment]  # a concrete field's name, never a reverse relation
    if f.has_default():
        value = f.get_default()
        if isinstance(value, Decimal):
            return int(value * 100)
        return value
    return None if f.null else ("" if _kind(model, name) == "str" else None)


def _to_fen(s: pl.Series) -> pl.Series:
    """Money in 元 (Decimal, float, int or text) → whole fen, exactly."""
    if s.dtype == pl.Int64 and s.name.endswith("__fen"):
        return s
    if isinstance(s.dtype, pl.Decimal):
        return (s.cast(pl.Decimal(20, 2)) * 100).cast(pl.Int64)
    if s.dtype.is_float():
        return (s * 100).round(0).cast(pl.Int64)
    if s.dtype.is_integer():
        return s.cast(pl.Int64) * 100
    if s.dtype == pl.Null:
        return s.cast(pl.Int64)
    return pl.Series(s.name, [None if v is None else int(Decimal(str(v)) * 100) for v in s], pl.Int64)


def _conform(df: pl.DataFrame, model: type[models.Model], names: Iterable[str]) -> pl.DataFrame:
    """Cast the named columns to the one representation used for diffing (money as fen)."""
    exprs: list[pl.Expr | pl.Series] = []
    for name in names:
        if name not in df.columns:
            continue
        kind = _kind(model, name)
        s = df.get_column(name)
        if kind == "money":
            exprs.append(_to_fen(s).alias(name))
        elif kind == "date" and s.dtype == pl.String:
            exprs.append(pl.col(name).str.to_date("%Y-%m-%d", strict=False))
        elif kind == "date" and s.dtype == pl.Datetime:
            exprs.append(pl.col(name).dt.date())
        elif s.dtype != _DTYPE[kind]:
            exprs.append(pl.col(name).cast(_DTYPE[kind], strict=False))
    return df.with_columns(exprs) if exprs else df


def _fill_defaults(df: pl.DataFrame, model: type[models.Model], names: Iterable[str]) -> pl.DataFrame:
    exprs = []
    for name in names:
        default = _default(model, name)
        kind = _kind(model, name)
        if name not in df.columns:
            exprs.append(pl.lit(default, _DTYPE[kind]).alias(name))
        elif default is not None and not model._meta.get_field(name).null:
            exprs.append(pl.col(name).fill_null(pl.lit(default, _DTYPE[kind])))
    return df.with_columns(exprs) if exprs else df


# ---- database access: COPY on PostgreSQL, executemany on SQLite -----------------------------------


class _Db:
    def __init__(self) -> None:
        connection.ensure_connection()
        self.vendor = connection.vendor
        self.raw = connection.connection
        self.suffix = uuid.uuid4().hex[:10]
        self.temp: list[str] = []
        self.cache_pages: int | None = None
        self.sqlite_file: str | None = None
        if self.vendor == "sqlite":
            # The database's own file (not an in-memory one): scratch files go beside it (common/sqlite_arrow.py).
            name = str(connection.settings_dict["NAME"] or "")
            if name and name != ":memory:" and "mode=memory" not in name:  # Django's own in-memory test
                self.sqlite_file = urllib.parse.urlsplit(name).path if name.startswith("file:") else name
            # SQLite's default page cache is 2 MB: a 200,000-person transaction would spill dirty pages to
            # the WAL over and over. Give this connection 256 MB for the duration of the upsert.
            self.cache_pages = self.execute("PRAGMA cache_size")[0][0]
            self.execute(f"PRAGMA cache_size = {-256 * 1024}")

    def _sql_rows(self, df: pl.DataFrame, kinds: Sequence[str]) -> list[tuple[Any, ...]]:
        return _tuples(self._sqlite_frame(df, kinds))

    def _sqlite_frame(self, df: pl.DataFrame, kinds: Sequence[str]) -> pl.DataFrame:
        """The values SQLite is given: dates as text, money as text in 元, booleans as 0/1."""
        exprs = []
        for name, kind in zip(df.columns, kinds, strict=True):
            col = pl.col(name)
            if kind == "money":
                exprs.append(_fen_text(col).alias(name))
            elif kind == "date":
                exprs.append(col.dt.strftime("%Y-%m-%d").alias(name))
            elif kind == "bool":
                exprs.append(col.cast(pl.Int8).alias(name))
            else:
                exprs.append(col)
        return df.select(exprs)

    def _csv(self, df: pl.DataFrame, kinds: Sequence[str]) -> bytes:
        exprs = []
        for name, kind in zip(df.columns, kinds, strict=True):
            exprs.append(_fen_text(pl.col(name)).alias(name) if kind == "money" else pl.col(name))
        buf = io.BytesIO()
        df.select(exprs).write_csv(buf, include_header=False, null_value="\\N", date_format="%Y-%m-%d")
        return buf.getvalue()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self.raw.cursor()
        try:
            cur.execute(sql if self.vendor == "postgresql" else sql.replace("%s", "?"), params)
            return cur.fetchall() if cur.description else []
        finally:
            cur.close()

    def temp_table(self, stem: str, columns: Sequence[tuple[str, str]]) -> str:
        name = f"dx_{stem}_{self.suffix}"
        cols = ", ".join(f"{n} {t}" for n, t in columns)
        self.execute(f"CREATE TEMP TABLE {name} ({cols})")
        self.temp.append(name)
        return name

    def drop_temp(self) -> None:
        for name in self.temp:
            self.execute(f"DROP TABLE IF EXISTS {name}")
        self.temp.clear()

    def restore(self) -> None:
        if self.cache_pages is not None:
            self.execute(f"PRAGMA cache_size = {int(self.cache_pages)}")

    def insert(self, table: str, df: pl.DataFrame, kinds: Sequence[str], *, defer: bool = True) -> None:
        """Insert the frame's rows; `defer=False` when the caller decides on the indexes itself."""
        if df.height == 0:
            return
        cols = ", ".join(df.columns)
        rebuild = self._deferred_indexes(table, df.height) if defer else []
        if self.vendor == "postgresql":
            cur = self.raw.cursor()
            try:
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy:
                    copy.write(self._csv(df, kinds))
            finally:
                cur.close()
        else:
            frame = self._sqlite_frame(df, kinds)
            # One INSERT … SELECT of rows bound in C (common/sqlite_arrow.py), else row by row.
            if not (
                df.height >= ARROW_MIN_ROWS
                and sqlite_arrow.bindable(frame)
                and sqlite_arrow.insert(self.raw, table, df.columns, frame, near=self.sqlite_file)
            ):
                marks = ", ".join("?" for _ in df.columns)
                cur = self.raw.cursor()
                try:
                    cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", _tuples(frame))
                finally:
                    cur.close()
        self._rebuild_indexes(rebuild)

    def _deferred_indexes(self, table: str, adding: int) -> list[str]:
        """Many rows into a table that holds fewer: drop its plain secondary indexes, to be rebuilt.

        Maintaining an index row by row costs far more than building it once from sorted keys (a first
        import spent 8 of its 20 CPU seconds there on SQLite; on PostgreSQL the server's CPU time for the
        write of a 200,000-person county went from about 10.5 s to 6.5 s, docs/benchmarks.md).
        DDL is transactional on both databases, so a rollback brings the indexes back, and other
        connections never see the table without them. On SQLite unique indexes and the constraints'
        automatic indexes stay (a column's UNIQUE is part of its table there); on PostgreSQL unique
        constraints are dropped and added back too (see `_drop_indexes_postgresql`). On PostgreSQL the table's foreign
        keys to a table already held exclusively go with the indexes and are added back after them
        (validated by one join, not one trigger per row; docs/benchmarks.md "Issue 13, fifth try"). DROP INDEX holds
        the table's exclusive lock until the commit (readers of that table wait for the import): it is
        taken only when granted within LOCK_WAIT, else the indexes are maintained as before
        (docs/benchmarks.md "Registry import").
        """
        if adding < DEFERRED_INDEX_ROWS or table.startswith("dx_"):
            return []
        # A bounded count: a large table answers after `adding` rows, not after all of them.
        rows = self.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT {int(adding)}) AS s")[0][0]
        if rows >= adding:
            return []
        if self.vendor == "postgresql":
            return self._drop_indexes_postgresql(table)
        indexes = self.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
            [table],
        )
        rebuild = []
        for name, sql in indexes:
            if sql.lstrip().upper().startswith("CREATE UNIQUE"):
                continue
            self.execute(f'DROP INDEX "{name}"')
            rebuild.append(sql)
        return rebuild

    def _drop_indexes_postgresql(self, table: str) -> list[str]:
        indexes = self.execute(
            "SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisunique AND NOT x.indisprimary "
            "AND NOT x.indisexclusion AND x.indisvalid ORDER BY c.relname",
            [table],
        )
        # Foreign keys to a table this transaction already holds exclusively (its own indexes dropped for
        # the same load: person and income → household on a first import) go too, and are checked by one
        # join when added back instead of one trigger per copied row (≈ 1 s of server time for a county).
        # Dropping a key locks the table it references exclusively: never done for any other table.
        keys = self.execute(
            "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.contype = 'f' "
            "AND c.conrelid = %s::regclass AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = pg_backend_pid() "
            "AND l.locktype = 'relation' AND l.relation = c.confrelid AND l.mode = 'AccessExclusiveLock' "
            "AND l.granted) ORDER BY c.conname",
            [table],
        )
        # Unique constraints (never the primary key) go too, on a table that loses its indexes anyway: from the
        # first DROP on the transaction holds it exclusively, so no other writer adds a row; the frames hold
        # no duplicate (`_check_frames`) and a stored key is updated, never inserted again; and adding the
        # constraint back refuses a duplicate all the same, naming the key. Built once from sorted keys
        # instead of one B-tree insertion per copied row (the persons' ID numbers: ≈ 0.5 s of server time
        # for a county, docs/benchmarks.md "Issue 13, eighth try"). One that a foreign key relies on stays.
        uniques = (
            self.execute(
                "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.contype = 'u' "
                "AND c.conrelid = %s::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint f "
                "WHERE f.contype = 'f' AND f.conindid = c.conindid) ORDER BY c.conname",
                [table],
            )
            if indexes
            else []
        )
        if not indexes and not keys:
            return []
        timeout = self.execute("SHOW lock_timeout")[0][0]
        self.execute("SAVEPOINT dx_indexes")
        try:
            self.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_WAIT])
            for name, _ in indexes:
                self.execute(f'DROP INDEX "{name}"')
            if uniques or keys:
                # ALTER TABLE refuses a table with pending trigger events (deferred key checks of rows this
                # transaction wrote before): run them now, as the commit would have, then defer again.
                self.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for name, _ in [*uniques, *keys]:
                    self.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                # As `_rebuild_indexes` does: every deferrable constraint of these tables is INITIALLY DEFERRED
                # (Django's foreign keys); one added INITIALLY IMMEDIATE would stay deferred to the commit.
                self.execute("SET CONSTRAINTS ALL DEFERRED")
        except Exception as exc:  # noqa: BLE001 - only a lock not granted in time is expected here
            if getattr(exc, "sqlstate", None) != "55P03":  # lock_not_available
                raise
            # Readers hold the table: keep its indexes and maintain them row by row instead.
            self.execute("ROLLBACK TO SAVEPOINT dx_indexes")
            self.execute("RELEASE SAVEPOINT dx_indexes")
            return []
        finally:
            if self.raw.info.transaction_status != 3:  # not INERROR (the exception path re-raises)
                self.execute("SELECT set_config('lock_timeout', %s, true)", [timeout])
        self.execute("RELEASE SAVEPOINT dx_indexes")
        return [
            *(sql for _, sql in indexes),
            *(
                f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
                for name, definition in [*uniques, *keys]
            ),
        ]

    def _rebuild_indexes(self, rebuild: list[str]) -> None:
        if not rebuild:
            return
        if self.vendor == "postgresql":
            # CREATE INDEX refuses a table with pending trigger events: the deferred foreign-key checks
            # of the rows just copied. Run them now (the commit would have), then defer again.
            self.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in rebuild:
            self.execute(sql)
        if self.vendor == "postgresql":
            self.execute("SET CONSTRAINTS ALL DEFERRED")

    def update(self, table: str, df: pl.DataFrame, kinds: Sequence[str], *, types: dict[str, str]) -> None:
        """UPDATE table rows by `id` (the frame's first column) with the frame's other columns."""
        if df.height == 0:
            return
        assert df.columns[0] == "id"
        sets = df.columns[1:]
        if self.vendor == "postgresql":
            stage = self.temp_table(f"upd_{table[-12:]}", [(n, types[n]) for n in df.columns])
            self.insert(stage, df, kinds)
            assignments = ", ".join(f"{n} = s.{n}" for n in sets)
            self.execute(f"UPDATE {table} AS t SET {assignments} FROM {stage} AS s WHERE t.id = s.id")
            return
        assignments = ", ".join(f"{n} = ?" for n in sets)
        reordered = df.select([*sets, "id"])
        cur = self.raw.cursor()
        try:
            cur.executemany(
                f"UPDATE {table} SET {assignments} WHERE id = ?",
                self._sql_rows(reordered, [*kinds[1:], kinds[0]]),
            )
        finally:
            cur.close()

    def fetch(self, sql: str, schema: dict[str, str], params: Sequence[Any] = ()) -> pl.DataFrame:
        """Run a SELECT and return its rows as a frame; `schema` maps each column to its kind."""
        wire = {
            k: {"bool": pl.String, "date": pl.String, "money": pl.Float64}.get(v, _DTYPE[v])
            for k, v in schema.items()
        }
        if self.vendor == "postgresql":
            cur = self.raw.cursor()
            try:
                buf = io.BytesIO()
                with cur.copy(
                    f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, NULL '\\N')", params or None
                ) as copy:
                    for chunk in copy:
                        buf.write(chunk)
            finally:
                cur.close()
            if buf.tell() == 0:
                df = pl.DataFrame(schema=wire)
            else:
                df = pl.read_csv(
                    buf.getvalue(),
                    has_header=False,
                    new_columns=list(schema),
                    schema=wire,
                    null_values="\\N",
                )
            # PostgreSQL writes an empty string as an empty field, which polars reads as null; the
            # registry's text columns are all NOT NULL, so null can only mean "".
            df = df.with_columns(pl.col(k).fill_null("") for k, v in schema.items() if v == "str")
            bools = {"t": True, "f": False}
        else:
            wire_sqlite = {
                k: (pl.Int64 if v == "bool" else w)
                for (k, v), w in zip(schema.items(), wire.values(), strict=True)
            }
            rows = self.execute(sql, params)
            # Column by column: much cheaper than polars' row-wise constructor for 200,000 tuples.
            columns = list(zip(*rows, strict=True)) if rows else [() for _ in wire_sqlite]
            df = pl.DataFrame(
                [
                    pl.Series(k, list(col), dtype=w, strict=False)
                    for (k, w), col in zip(wire_sqlite.items(), columns, strict=True)
                ]
            )
            bools = None
        fixes = []
        for k, v in schema.items():
            if v == "bool":
                fixes.append(
                    pl.col(k).replace_strict(bools, default=None, return_dtype=pl.Boolean)
                    if bools
                    else pl.col(k).cast(pl.Boolean)
                )
            elif v == "date":
                fixes.append(pl.col(k).str.slice(0, 10).str.to_date("%Y-%m-%d"))
            elif v == "money":
                fixes.append((pl.col(k) * 100).round(0).cast(pl.Int64))
        return df.with_columns(fixes) if fixes else df

    def stage_keys(self, stem: str, column: str, values: pl.Series) -> str:
        name = self.temp_table(stem, [(column, "varchar(32) PRIMARY KEY")])
        # Sorted: the key's index then grows at its right edge instead of splitting pages all over
        # (SQLite: 0.55 → 0.14 s CPU for 200,000 ID numbers, docs/benchmarks.md "Registry import").
        keys = values.unique().drop_nulls().sort()
        if self.vendor == "sqlite" and keys.len():
            # One JSON parameter parsed by SQLite itself: far cheaper than binding 200,000 rows.
            self.execute(
                f"INSERT INTO {name} ({column}) SELECT value FROM json_each(%s)",
                [json.dumps(keys.to_list(), ensure_ascii=False)],
            )
        else:
            self.insert(name, pl.DataFrame({column: keys}), ["str"])
        return name

    def timestamp(self, value: dt.datetime) -> Any:
        if self.vendor == "sqlite":
            return connection.ops.adapt_datetimefield_value(value)
        return value.isoformat()


def _tuples(frame: pl.DataFrame) -> list[tuple[Any, ...]]:
    # Column lists zipped into tuples: cheaper than polars' row-wise `rows()`.
    return list(zip(*(s.to_list() for s in frame.get_columns()), strict=True))


def _fen_text(expr: pl.Expr) -> pl.Expr:
    """Whole fen → "123.45", exactly (negative values keep their sign)."""
    a = expr.abs()
    sign = pl.when(expr < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return sign + (a // 100).cast(pl.String) + "." + (a % 100).cast(pl.String).str.zfill(2)


def _select_sql(model: type[models.Model], names: Sequence[str], where: str) -> str:
    cols = []
    for n in names:
        col = _column(model, n)
        kind = "int" if n == "id" else _kind(model, n)
        # On SQLite an expression has no declared type, so Django's per-value converters stay out of the way.
        if connection.vendor == "sqlite" and kind == "bool":
            col = f"({col} + 0)"
        elif connection.vendor == "sqlite" and kind == "date":
            col = f"CAST({col} AS TEXT)"
        cols.append(col)
    return f"SELECT {', '.join(cols)} FROM {model._meta.db_table} WHERE {where}"


def _column(model: type[models.Model], name: str) -> str:
    return model._meta.get_field(name).column if name != "id" else "id"  # type: ignore[union-attr, return-value]  # a concrete field's name: never a reverse relation, always a column


def _schema(model: type[models.Model], names: Sequence[str]) -> dict[str, str]:
    return {n: ("int" if n == "id" else _kind(model, n)) for n in names}


def _kinds(model: type[models.Model], names: Sequence[str]) -> list[str]:
    return ["int" if n == "id" else _kind(model, n) for n in names]


def _update_changed(
    db: _Db,
    table: str,
    changed: pl.DataFrame,
    model: type[models.Model],
    cols: list[str],
    *,
    fk: str,
    stamp: Any,
) -> None:
    """UPDATE the changed rows of `table` (the frame keyed by `id`), writing `fk` as its `<fk>_id` column."""
    db.update(
        table,
        changed.select([pl.col(f"{fk}_id") if n == fk else pl.col(n) for n in cols]).with_columns(
            pl.lit(stamp).alias("updated_at")
        ),
        [*_kinds(model, cols), "str"],
        types=_sql_types(model, [*cols, "updated_at"]),
    )


def _sql_types(model: type[models.Model], names: Sequence[str]) -> dict[str, str]:
    out = {}
    for n in names:
        col = _column(model, n)
        if n == "id":
            out[col] = "bigint"
            continue
        kind = _kind(model, n)
        out[col] = {"bool": "boolean", "money": "numeric(14,2)", "date": "date", "int": "bigint"}.get(
            kind, "text"
        )
        if n in ("created_at", "updated_at"):
            out[col] = "timestamptz"
    return out


# ---- the service ---------------------------------------------------------------------------------


def registry_bulk_upsert(
    *,
    households: pl.DataFrame,
    persons: pl.DataFrame,
    incomes: pl.DataFrame,
    actor: User | None,
    source: str,
    reference: str,
    progress: Progress | None = None,
    scope_prefix: str | None = None,
    today: dt.date | None = None,
) -> BulkResult:
    """Insert or update the frames' rows in one transaction; see the module docstring.

    `scope_prefix`, when given, forbids touching a household or person registered outside that region
    subtree (a BulkError names each one). Raises BulkError, and writes nothing, when the frames are
    inconsistent (duplicate keys, unknown region or household, a new person without sex/birth date).
    """
    total = persons.height
    report = progress or (lambda done, total: None)
    report(0, total)
    db = _Db()
    try:
        with transaction.atomic():
            result = _upsert(
                db,
                households=households,
                persons=persons,
                incomes=incomes,
                actor=actor,
                source=source,
                reference=reference,
                report=lambda f: report(int(total * f), total),
                scope_prefix=scope_prefix,
                today=today or timezone.localdate(),
            )
            # On failure the rollback takes the temporary tables with it (names are unique per call).
            db.drop_temp()
    finally:
        db.restore()
    report(total, total)
    return result


def _check_frames(
    households: pl.DataFrame, persons: pl.DataFrame, incomes: pl.DataFrame
) -> list[BulkProblem]:
    problems: list[BulkProblem] = []
    for frame, key, entity, label in (
        (households, ["household_no"], "household", "户编号"),
        (persons, ["id_number"], "person", "证件号码"),
        (incomes, ["household_no", "year"], "income", "户编号和收入年度"),
    ):
        missing = [k for k in key if k not in frame.columns]
        if missing:
            raise ValueError(f"{entity} frame lacks {missing}")
        dup = frame.group_by(key).len().filter(pl.col("len") > 1)
        problems.extend(
            BulkProblem(
                entity,
                "/".join(str(v) for v in row[:-1]),
                f"{label}「{'/'.join(str(v) for v in row[:-1])}」重复出现",
            )
            for row in dup.rows()
        )
    if "region_code" not in households.columns:
        raise ValueError("households frame lacks region_code")
    if "household_no" not in persons.columns:
        raise ValueError("persons frame lacks household_no")
    return problems


def _upsert(
    db: _Db,
    *,
    households: pl.DataFrame,
    persons: pl.DataFrame,
    incomes: pl.DataFrame,
    actor: User | None,
    source: str,
    reference: str,
    report: Callable[[float], None],
    scope_prefix: str | None,
    today: dt.date,
) -> BulkResult:
    result = BulkResult()
    problems = _check_frames(households, persons, incomes)
    if problems:
        raise BulkError(problems)
    now = timezone.now()
    stamp = db.timestamp(now)

    # ---- normalise the incoming frames ----
    households = households.select(
        [n for n in ("household_no", "region_code", *HOUSEHOLD_INPUT) if n in households.columns]
    )
    persons = persons.select(
        [n for n in ("household_no", "id_number", *PERSON_INPUT) if n in persons.columns]
    )
    incomes = incomes.select(
        [n for n in ("household_no", "year", *INCOME_INPUT, *INCOME_DECLARED) if n in incomes.columns]
    )
    hh_in = _conform(households, Household, ["region_code", *HOUSEHOLD_INPUT]).with_columns(
        pl.col("household_no").cast(pl.String), pl.col("region_code").cast(pl.String)
    )
    p_in = _conform(persons, Person, PERSON_INPUT).with_columns(
        pl.col("household_no").cast(pl.String), pl.col("id_number").cast(pl.String)
    )
    inc_in = _conform(incomes, HouseholdIncome, [*INCOME_INPUT, "declared"]).with_columns(
        pl.col("household_no").cast(pl.String),
        pl.col("year").cast(pl.Int64),
        *[_to_fen(incomes.get_column(n)) for n in INCOME_DECLARED[1:] if n in incomes.columns],
    )
    hh_cols = [n for n in HOUSEHOLD_INPUT if n in hh_in.columns]
    p_cols = [n for n in PERSON_INPUT if n in p_in.columns]
    inc_cols = [n for n in INCOME_INPUT if n in inc_in.columns]

    codes = hh_in.get_column("region_code").unique().to_list()
    region_ids: dict[str, int] = {}
    for i in range(0, len(codes), 500):
        region_ids.update(Region.objects.filter(code__in=codes[i : i + 500]).values_list("code", "id"))
    problems.extend(
        BulkProblem(
            "household",
            no,
            f"户编号「{no}」的行政区划代码「{code}」在系统中不存在,请核对或联系管理员添加该村(组)",
        )
        for no, code in hh_in.select("household_no", "region_code").rows()
        if code not in region_ids
    )
    hh_in = hh_in.with_columns(
        pl.col("region_code")
        .replace_strict(region_ids, default=None, return_dtype=pl.Int64)
        .alias("region_id")
    )

    # ---- read the old rows: households named in any frame, plus those the file's persons live in ----
    all_nos = pl.concat(
        [hh_in.get_column("household_no"), p_in.get_column("household_no"), inc_in.get_column("household_no")]
    ).unique()
    t_hh = db.stage_keys("hh", "household_no", all_nos)
    t_p = db.stage_keys("p", "id_number", p_in.get_column("id_number"))
    h_table, p_table = Household._meta.db_table, Person._meta.db_table
    h_names = ["id", "household_no", "region", "region_code", *HOUSEHOLD_INPUT, *HOUSEHOLD_DERIVED]
    old_h = db.fetch(
        _select_sql(
            Household,
            h_names,
            f"household_no IN (SELECT household_no FROM {t_hh}) OR id IN "
            f"(SELECT p.household_id FROM {p_table} p JOIN {t_p} k ON k.id_number = p.id_number)",
        ),
        _schema(Household, h_names),
    ).rename({"region": "region_id"})
    report(0.05)
    t_hid = db.temp_table("hid", [("id", "bigint PRIMARY KEY")])
    db.insert(t_hid, old_h.select("id"), ["int"])
    p_names = ["id", "household", "region_code", "id_number", *PERSON_INPUT]
    old_p = db.fetch(
        _select_sql(Person, p_names, f"household_id IN (SELECT id FROM {t_hid})"), _schema(Person, p_names)
    ).rename({"household": "household_id"})
    report(0.15)

    # Found by polars, in the frames' order: only the rows at fault become Python tuples (a county's
    # 200,000 persons as tuples cost 0.3 s, docs/benchmarks.md "Issue 13, seventh try").
    known = pl.concat([hh_in.get_column("household_no"), old_h.get_column("household_no")])
    # A missing number (null) is known only when a household goes by it, as with a Python set.
    unknown = ~pl.col("household_no").is_in(known.implode()).fill_null(known.null_count() > 0)
    problems.extend(
        BulkProblem(
            "person", idn, f"证件号码「{idn}」所在的户编号「{no}」既不在导入的农户中,也未在系统中登记"
        )
        for idn, no in p_in.filter(unknown).select("id_number", "household_no").rows()
    )
    problems.extend(
        BulkProblem("income", f"{no}/{year}", f"户编号「{no}」的{year}年度收入找不到对应的农户")
        for no, year in inc_in.filter(unknown).select("household_no", "year").rows()
    )
    if scope_prefix is not None:
        problems.extend(_scope_problems(scope_prefix, hh_in, p_in, old_h, old_p))
    new_person_ids = p_in.join(old_p.select("id_number"), on="id_number", how="anti")
    for name, label in (
        ("sex", "性别"),
        ("birth_date", "出生日期"),
        ("name", "姓名"),
        ("relation", "与户主关系"),
    ):
        if name not in new_person_ids.columns:
            problems.extend(
                BulkProblem("person", idn, f"新增人员「{idn}」缺少{label}")
                for idn in new_person_ids.get_column("id_number").to_list()
            )
        else:
            problems.extend(
                BulkProblem("person", idn, f"新增人员「{idn}」缺少{label}")
                for idn in new_person_ids.filter(pl.col(name).is_null()).get_column("id_number").to_list()
            )
    if problems:
        raise BulkError(problems)

    # ---- households: final state of every touched household (file rows over old rows) ----
    old_h_idx = old_h.select("id", "household_no")
    hh_new = hh_in.join(old_h.select("household_no"), on="household_no", how="anti")
    hh_new = _fill_defaults(
        hh_new.select("household_no", "region_id", "region_code", *hh_cols), Household, HOUSEHOLD_INPUT
    )
    hh_upd = old_h.join(
        hh_in.select("household_no", "region_id", "region_code", *hh_cols),
        on="household_no",
        how="left",
        suffix="__new",
    )
    hh_upd = hh_upd.with_columns(
        [
            pl.coalesce(pl.col(f"{n}__new"), pl.col(n)).alias(n)
            if n in ("region_id", "region_code")
            else pl.when(pl.col("household_no").is_in(hh_in.get_column("household_no").implode()))
            .then(pl.col(f"{n}__new"))
            .otherwise(pl.col(n))
            .alias(n)
            for n in ("region_id", "region_code", *hh_cols)
        ]
    ).drop([f"{n}__new" for n in ("region_id", "region_code", *hh_cols)])
    hh_upd = _fill_defaults(hh_upd, Household, hh_cols)

    # ---- persons: file rows, and the old members who stay where they are ----
    p_final_in = p_in.join(
        old_p.select("id_number", "id", "household_id", *[n for n in PERSON_INPUT if n not in p_cols]),
        on="id_number",
        how="left",
    )
    p_final_in = _fill_defaults(p_final_in, Person, PERSON_INPUT)
    stay = old_p.join(p_in.select("id_number"), on="id_number", how="anti").join(
        old_h_idx.rename({"id": "household_id"}), on="household_id", how="left"
    )
    members = pl.concat(
        [p_final_in.select("household_no", *PERSON_INPUT), stay.select("household_no", *PERSON_INPUT)],
        how="vertical_relaxed",
    )
    facts = _member_facts(members, today)
    report(0.25)

    # ---- write households ----
    h_write = ["household_no", "region", "region_code", *HOUSEHOLD_INPUT, *HOUSEHOLD_DERIVED]
    h_kinds = _kinds(Household, h_write)
    hh_new = _with_facts(hh_new, facts)
    result.households_created = hh_new.height
    db.insert(
        h_table,
        hh_new.select(
            [pl.col("region_id").alias("region_id") if n == "region" else pl.col(n) for n in h_write]
        ).with_columns(pl.lit(stamp).alias("created_at"), pl.lit(stamp).alias("updated_at")),
        [*h_kinds, "str", "str"],
    )
    hh_upd = _with_facts(hh_upd.drop(HOUSEHOLD_DERIVED), facts)
    h_compare = ["region_id", "region_code", *HOUSEHOLD_INPUT, *HOUSEHOLD_DERIVED]
    h_changed = _changed_rows(hh_upd, old_h, "id", h_compare)
    result.households_updated = h_changed.height
    if h_changed.height and h_changed.filter(pl.col("changed").list.contains("region_code")).height:
        # A move: before the households' rows are locked by their update (see services.household_update).
        transaction_lock(RUNS_LOCK)
    _update_changed(db, h_table, h_changed, Household, ["id", *h_write], fk="region", stamp=stamp)
    # Households that moved village take their records in the apps above with them (docs/security.md §4).
    moved_with = _followers_move(h_changed)
    report(0.4)

    # ids of the new households
    if hh_new.height:
        ids = db.fetch(
            f"SELECT h.id, h.household_no FROM {h_table} h JOIN {t_hh} k ON k.household_no = h.household_no",
            {"id": "int", "household_no": "str"},
        )
    else:
        ids = old_h_idx
    hh_ids = ids.rename({"id": "hh_id"})
    hh_final = pl.concat(
        [
            hh_new.join(hh_ids, on="household_no", how="left").select(
                "hh_id", "household_no", "region_code", "head_name", "member_count"
            ),
            hh_upd.rename({"id": "hh_id"}).select(
                "hh_id", "household_no", "region_code", "head_name", "member_count"
            ),
        ],
        how="vertical_relaxed",
    )

    # ---- write persons ----
    p_target = p_final_in.rename({"household_id": "old_household_id"}).join(
        hh_final.select("household_no", pl.col("hh_id").alias("household_id"), "region_code"),
        on="household_no",
        how="left",
    )
    stay_target = (
        stay.drop("region_code")
        .join(
            hh_final.select(pl.col("hh_id").alias("household_id"), "region_code"),
            on="household_id",
            how="left",
        )
        .with_columns(pl.col("household_id").alias("old_household_id"))
    )
    p_write = ["household", "region_code", "id_number", *PERSON_INPUT]
    p_kinds = _kinds(Person, p_write)
    p_new = p_target.filter(pl.col("id").is_null())
    result.persons_created = p_new.height
    # SQLite: the persons created are those above the largest id so far (see the change log below).
    p_before = (
        db.execute(f"SELECT coalesce(max(id), 0) FROM {p_table}")[0][0] if db.vendor == "sqlite" else None
    )
    db.insert(
        p_table,
        p_new.select(
            [pl.col("household_id") if n == "household" else pl.col(n) for n in p_write]
        ).with_columns(pl.lit(stamp).alias("created_at"), pl.lit(stamp).alias("updated_at")),
        [*p_kinds, "str", "str"],
    )
    report(0.7)
    p_all = pl.concat(
        [p_target.filter(pl.col("id").is_not_null()), stay_target.select(p_target.columns)],
        how="vertical_relaxed",
    )
    p_compare = ["household_id", "region_code", *PERSON_INPUT]
    p_changed = _changed_rows(p_all, old_p, "id", p_compare)
    result.persons_updated = p_changed.height
    moved = p_changed.filter(pl.col("household_id") != pl.col("old_household_id"))
    result.persons_moved = moved.height
    _update_changed(db, p_table, p_changed, Person, ["id", *p_write], fk="household", stamp=stamp)
    if p_changed.height:
        # Records kept per person follow a person whose region changed (docs/security.md §4).
        recoded = p_changed.filter(pl.col("changed").list.contains("region_code"))
        if recoded.height:
            person_moved.send(
                sender=Person,
                moves=dict(recoded.select("id", "region_code").rows()),
                left=dict(recoded.select("id", "old_household_id").rows()),
            )
    report(0.8)

    # ---- incomes of the imported years ----
    inc_changed, inc_new_rows, old_inc = _write_incomes(db, inc_in, inc_cols, hh_final, t_hid, result)
    report(0.9)

    # ---- change log ----
    # The created persons' rows (most of a first import's) are made by the database from the rows just
    # inserted: no Python object per person (docs/benchmarks.md "Issue 13: overlapped import").
    log = _change_rows(
        hh_new=hh_new.join(hh_ids, on="household_no", how="left"),
        h_changed=h_changed,
        moved_with=moved_with,
        old_h=old_h,
        p_new=p_new.head(0).with_columns(pl.lit(None, pl.Int64).alias("pid")),
        p_changed=p_changed,
        old_p=old_p,
        hh_final=hh_final,
        inc_new=inc_new_rows,
        inc_changed=inc_changed,
        old_inc=old_inc,
    )
    result.changes_logged = log.height + p_new.height
    if result.changes_logged:
        actor_id = actor.pk if actor is not None and actor.is_authenticated else None
        actor_name = (
            (actor.get_full_name() or actor.username)
            if actor is not None and actor_id is not None
            else "系统"
        )
        common = {
            "at": stamp,
            "actor_id": actor_id,
            "actor_name": actor_name,
            "source": source,
            "reference": reference[:64],
        }
        log = log.with_columns(
            pl.col("summary").str.slice(0, 200),
            *[pl.lit(v, pl.Int64 if k == "actor_id" else pl.String).alias(k) for k, v in common.items()],
        )
        log_table = ChangeLog._meta.db_table
        log_kinds = ["str", "int", "int", "str", "str", "str", "str", "int", "str", "str", "str"]
        # The same order as one frame would have: created households, created persons, the rest.
        rebuild = db._deferred_indexes(log_table, result.changes_logged)
        created_households = hh_new.height
        db.insert(log_table, log.slice(0, created_households), log_kinds, defer=False)
        if p_new.height:
            created: tuple[str, list[Any]]
            if p_before is not None:
                # SQLite holds the database's write lock from the transaction's first write to its end, so no
                # other connection adds persons: the ones above the largest id before the insert are exactly
                # those it created. A range of ids instead of a join with their ID numbers (0.68 → 0.21 s for
                # 200,000 persons, docs/benchmarks.md "Issue 13, eighth try").
                created = ("WHERE p.id > %s", [p_before])
            else:
                # Every person of the file new (e.g. a first load): they are the ID numbers staged already.
                t_new = (
                    t_p
                    if p_new.height == p_in.height
                    else db.stage_keys("pn", "id_number", p_new.get_column("id_number"))
                )
                created = (f"JOIN {t_new} k ON k.id_number = p.id_number", [])
            _log_created_persons(
                db, log_table, p_table, created, create=ChangeLog.Action.CREATE.value, **common
            )
        db.insert(log_table, log.slice(created_households), log_kinds, defer=False)
        db._rebuild_indexes(rebuild)
    return result


def _followers_move(h_changed: pl.DataFrame) -> dict[int, tuple[Region, dict[str, list[int]]]]:
    """Move the records of the households whose region changed; {household pk: (new region, what moved)}."""
    if not h_changed.height:
        return {}
    moving = h_changed.filter(pl.col("changed").list.contains("region_code")).select("id", "region_id")
    if not moving.height:
        return {}
    ids = sorted(set(moving.get_column("region_id").to_list()))
    regions = Region.objects.select_related("parent").in_bulk(ids)
    moves = {pk: regions[rid] for pk, rid in moving.rows()}
    moved = household_followers_move(moves)
    return {pk: (moves[pk], moved.get(pk, {})) for pk in moves}


def _scope_problems(
    prefix: str, hh_in: pl.DataFrame, p_in: pl.DataFrame, old_h: pl.DataFrame, old_p: pl.DataFrame
) -> list[BulkProblem]:
    problems = []
    outside = old_h.filter(~pl.col("region_code").str.starts_with(prefix))
    file_nos = set(hh_in.get_column("household_no").to_list())
    for (no,) in outside.select("household_no").rows():
        if no in file_nos:
            problems.append(
                BulkProblem(
                    "household",
                    no,
                    # Name neither the region nor anything else about the record: it is out of scope.
                    f"户编号「{no}」已在您的管辖范围外登记,不能由本次导入修改;如确属本地,请联系上级管理员核实",
                )
            )
    if outside.height:
        out_ids = outside.get_column("id").implode()
        moved_from_outside = (
            old_p.filter(pl.col("household_id").is_in(out_ids))
            .join(p_in.select("id_number"), on="id_number", how="semi")
            .join(outside.select(pl.col("id").alias("household_id"), "household_no"), on="household_id")
        )
        problems.extend(
            BulkProblem(
                "person",
                idn,
                # Which household holds the person is out-of-scope information: say only that it exists.
                f"证件号码「{idn}」已在您的管辖范围外的农户中登记,请先由其所在地办理迁出",
            )
            for (idn,) in moved_from_outside.select("id_number").rows()
        )
    return problems


def _member_facts(members: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    """Per household_no: member count, head name and the member flags, from the final membership."""
    return members.group_by("household_no").agg(household_facts.member_facts_aggs(today))


def _with_facts(hh: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    return hh.join(facts, on="household_no", how="left").with_columns(household_facts.household_facts_fill())


def _changed_rows(new: pl.DataFrame, old: pl.DataFrame, key: str, compare: Sequence[str]) -> pl.DataFrame:
    """Rows of `new` whose compared columns differ from `old` (same key); adds `changed` (list of names)."""
    if new.height == 0:
        return new.with_columns(pl.lit([], pl.List(pl.String)).alias("changed"))
    joined = new.join(old.select(key, *[pl.col(n).alias(f"{n}__old") for n in compare]), on=key, how="left")
    diffs = [pl.when(~pl.col(n).eq_missing(pl.col(f"{n}__old"))).then(pl.lit(n)) for n in compare]
    joined = joined.with_columns(pl.concat_list(diffs).list.drop_nulls().alias("changed"))
    return joined.filter(pl.col("changed").list.len() > 0).drop([f"{n}__old" for n in compare])


def _per_capita(net: pl.Expr, members: pl.Expr) -> pl.Expr:
    """Round half away from zero to the fen, like Decimal.quantize(ROUND_HALF_UP)."""
    m = members.cast(pl.Int64)
    magnitude = (net.abs() * 2 + m) // (2 * m)
    return pl.when(m == 0).then(0).otherwise(pl.when(net < 0).then(-magnitude).otherwise(magnitude))


def _write_incomes(
    db: _Db, inc_in: pl.DataFrame, inc_cols: list[str], hh_final: pl.DataFrame, t_hid: str, result: BulkResult
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    names = ["id", "household", "year", *INCOME_INPUT, "declared", *INCOME_DERIVED]
    i_table = HouseholdIncome._meta.db_table
    empty = pl.DataFrame(schema={k: _DTYPE[v] for k, v in _schema(HouseholdIncome, names).items()}).rename(
        {"household": "household_id"}
    )
    if inc_in.height == 0:
        return empty.with_columns(pl.lit([], pl.List(pl.String)).alias("changed")), empty, empty
    old = db.fetch(
        _select_sql(HouseholdIncome, names, f"household_id IN (SELECT id FROM {t_hid})"),
        _schema(HouseholdIncome, names),
    ).rename({"household": "household_id"})
    target = inc_in.join(
        hh_final.select("household_no", pl.col("hh_id").alias("household_id"), "member_count"),
        on="household_no",
        how="left",
    )
    # Without a `declared` column the stored one holds, and so do its declared figures.
    keep_declared: list[str | pl.Expr] = (
        []
        if "declared" in inc_in.columns
        else [
            "declared",
            pl.col("net_income").alias("declared_net"),
            pl.col("net_income_per_capita").alias("declared_per_capita"),
        ]
    )
    target = target.join(
        old.select(
            "household_id", "year", "id", *[n for n in INCOME_INPUT if n not in inc_cols], *keep_declared
        ),
        on=["household_id", "year"],
        how="left",
    )
    target = _fill_defaults(target, HouseholdIncome, [*INCOME_INPUT, "declared"])
    for name in INCOME_DECLARED[1:]:
        if name not in target.columns:
            target = target.with_columns(pl.lit(None, pl.Int64).alias(name))
    computed = (
        pl.col("wages")
        + pl.col("business")
        + pl.col("property")
        + pl.col("transfers")
        - pl.col("production_costs")
    )
    declared = pl.col("declared")
    members = pl.col("member_count").cast(pl.Int64)
    net = (
        pl.when((declared == IncomeDeclared.NET.value) & pl.col("declared_net").is_not_null())
        .then(pl.col("declared_net"))
        .when((declared == IncomeDeclared.PER_CAPITA.value) & pl.col("declared_per_capita").is_not_null())
        .then(pl.col("declared_per_capita") * members)
        .otherwise(computed)
    )
    target = target.with_columns(
        pl.col("member_count").alias("members"), net.alias("net_income")
    ).with_columns(
        pl.when((declared == IncomeDeclared.PER_CAPITA.value) & pl.col("declared_per_capita").is_not_null())
        .then(pl.col("declared_per_capita"))
        .otherwise(_per_capita(pl.col("net_income"), pl.col("members")))
        .alias("net_income_per_capita")
    )
    write = ["household", "year", *INCOME_INPUT, "declared", *INCOME_DERIVED]
    new_rows = target.filter(pl.col("id").is_null())
    db.insert(
        i_table,
        new_rows.select([pl.col("household_id") if n == "household" else pl.col(n) for n in write]),
        _kinds(HouseholdIncome, write),
    )
    result.incomes_created = new_rows.height
    changed = _changed_rows(
        target.filter(pl.col("id").is_not_null()), old, "id", [*INCOME_INPUT, "declared", *INCOME_DERIVED]
    )
    upd = ["id", *write]
    db.update(
        i_table,
        changed.select([pl.col("household_id") if n == "household" else pl.col(n) for n in upd]),
        _kinds(HouseholdIncome, upd),
        types=_sql_types(HouseholdIncome, upd),
    )
    result.incomes_updated = changed.height
    return changed, new_rows, old


# ---- change-log rows -----------------------------------------------------------------------------


def _plain(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in MONEY_FIELDS:
        return str((Decimal(value) / 100).quantize(Decimal("0.01")))
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _diff(row: dict[str, Any], old: dict[str, Any], names: Iterable[str]) -> dict[str, list[Any]]:
    return {n: [_plain(n, old.get(n)), _plain(n, row.get(n))] for n in names}


LOG_SCHEMA: dict[str, DataTypeClass] = {
    "entity": pl.String,
    "entity_id": pl.Int64,
    "household_id": pl.Int64,
    "action": pl.String,
    "summary": pl.String,
    "changes": pl.String,
}


def _change_rows(
    *,
    hh_new: pl.DataFrame,
    h_changed: pl.DataFrame,
    moved_with: dict[int, tuple[Region, dict[str, list[int]]]],
    old_h: pl.DataFrame,
    p_new: pl.DataFrame,
    p_changed: pl.DataFrame,
    old_p: pl.DataFrame,
    hh_final: pl.DataFrame,
    inc_new: pl.DataFrame,
    inc_changed: pl.DataFrame,
    old_inc: pl.DataFrame,
) -> pl.DataFrame:
    """The change-log rows (without who/when): creations built column-wise, diffs row by row."""
    create, update, move = (
        ChangeLog.Action.CREATE.value,
        ChangeLog.Action.UPDATE.value,
        ChangeLog.Action.MOVE.value,
    )
    frames: list[pl.DataFrame] = []
    # Created households: one row each with a summary (the stored record holds the values).
    income_years = inc_new.group_by("household_id").agg(
        pl.col("year").sort().cast(pl.String).str.join("、").alias("years")
    )
    frames.append(
        hh_new.join(income_years.rename({"household_id": "hh_id"}), on="hh_id", how="left").select(
            pl.lit("household").alias("entity"),
            pl.col("hh_id").alias("entity_id"),
            pl.col("hh_id").alias("household_id"),
            pl.lit(create).alias("action"),
            pl.concat_str(
                pl.format("新增农户 {},户主 {},{} 人", "household_no", "head_name", "member_count"),
                pl.when(pl.col("years").is_not_null())
                .then(pl.format(",含{}年度收入", "years"))
                .otherwise(pl.lit("")),
            ).alias("summary"),
            pl.lit("{}").alias("changes"),
        )
    )
    # Created persons: one row each.
    relation_labels = {str(v): str(label) for v, label in c.Relation.choices}
    frames.append(
        p_new.select(
            pl.lit("person").alias("entity"),
            pl.col("pid").alias("entity_id"),
            pl.col("household_id"),
            pl.lit(create).alias("action"),
            pl.format(
                "新增成员 {}({})",
                "name",
                pl.col("relation").replace_strict(relation_labels, default=pl.col("relation")),
            ).alias("summary"),
            pl.lit("{}").alias("changes"),
        )
    )
    # Incomes created for households that already existed (a new household's row mentions them).
    frames.append(
        inc_new.filter(~pl.col("household_id").is_in(hh_new.get_column("hh_id").implode())).select(
            pl.lit("income").alias("entity"),
            pl.col("household_id").alias("entity_id"),
            pl.col("household_id"),
            pl.lit(create).alias("action"),
            pl.format(
                "新增{}年度收入,人均纯收入 {} 元", "year", _fen_text(pl.col("net_income_per_capita"))
            ).alias("summary"),
            pl.lit("{}").alias("changes"),
        )
    )
    diffs: list[tuple[Any, ...]] = []
    if h_changed.height:
        olds = {
            r["id"]: r for r in old_h.join(h_changed.select("id"), on="id", how="semi").iter_rows(named=True)
        }
        for row in h_changed.iter_rows(named=True):
            # A move is a row of its own that names what moved with the household (docs/security.md §4).
            names = [n for n in row["changed"] if n not in ("region_id", "region_code")]
            if names:
                diffs.append(
                    (
                        "household",
                        row["id"],
                        row["id"],
                        update,
                        f"修改农户 {row['household_no']}:{'、'.join(_label(Household, n) for n in names)}",
                        json.dumps(_diff(row, olds[row["id"]], names), ensure_ascii=False),
                    )
                )
            if row["id"] in moved_with:
                region, moved = moved_with[row["id"]]
                diffs.append(
                    (
                        "household",
                        row["id"],
                        row["id"],
                        move,
                        household_move_summary(row["household_no"], region, moved),
                        json.dumps(
                            household_move_changes(olds[row["id"]]["region_code"], row["region_code"], moved),
                            ensure_ascii=False,
                        ),
                    )
                )
    if p_changed.height:
        olds = {
            r["id"]: r for r in old_p.join(p_changed.select("id"), on="id", how="semi").iter_rows(named=True)
        }
        numbers = dict(hh_final.select("hh_id", "household_no").rows())
        for row in p_changed.iter_rows(named=True):
            old, names = olds[row["id"]], list(row["changed"])
            changes = _diff(row, old, names)
            if "household_id" not in names:
                diffs.append(
                    (
                        "person",
                        row["id"],
                        row["household_id"],
                        update,
                        f"修改成员 {row['name']}:{'、'.join(_label(Person, n) for n in names)}",
                        json.dumps(changes, ensure_ascii=False),
                    )
                )
                continue
            # A move shows in the history of both households.
            before, after = old["household_id"], row["household_id"]
            changes["household_no"] = [numbers.get(before), numbers.get(after)]
            text = json.dumps(changes, ensure_ascii=False)
            diffs.append(
                ("person", row["id"], after, move, f"{row['name']} 从 {numbers.get(before)} 户迁入本户", text)
            )
            diffs.append(
                ("person", row["id"], before, move, f"{row['name']} 迁出至 {numbers.get(after)} 户", text)
            )
    if inc_changed.height:
        olds = {
            r["id"]: r
            for r in old_inc.join(inc_changed.select("id"), on="id", how="semi").iter_rows(named=True)
        }
        for row in inc_changed.iter_rows(named=True):
            names = list(row["changed"])
            diffs.append(
                (
                    "income",
                    row["id"],
                    row["household_id"],
                    update,
                    f"修改{row['year']}年度收入:{'、'.join(_label(HouseholdIncome, n) for n in names)}",
                    json.dumps(_diff(row, olds[row["id"]], names), ensure_ascii=False),
                )
            )
    frames.append(pl.DataFrame(diffs, schema=LOG_SCHEMA, orient="row"))
    return pl.concat([f.cast(LOG_SCHEMA) for f in frames], how="vertical")  # type: ignore[arg-type]  # str keys are valid; Mapping is invariant in its key type


def _log_created_persons(
    db: _Db,
    log_table: str,
    p_table: str,
    created: tuple[str, list[Any]],
    *,
    create: str,
    at: Any,
    actor_id: int | None,
    actor_name: str,
    source: str,
    reference: str,
) -> None:
    """One change-log row per person just created (`created`: the clause that picks them out of the persons,
    with its parameters), in the order of their ids: the rows `_change_rows` would have made
    ("新增成员 <name>(<relation>)"), written by INSERT … SELECT."""
    labels = [(str(v), str(label)) for v, label in c.Relation.choices]
    case = "CASE p.relation " + " ".join("WHEN %s THEN %s" for _ in labels) + " ELSE p.relation END"
    pg = db.vendor == "postgresql"
    # PostgreSQL types a bare parameter of a SELECT list as text: cast to the columns' types.
    stamp, empty, actor = ("%s::timestamptz", "'{}'::jsonb", "%s::bigint") if pg else ("%s", "'{}'", "%s")
    db.execute(
        f"INSERT INTO {log_table} (entity, entity_id, household_id, action, summary, changes, at, actor_id, "
        "actor_name, source, reference) "
        f"SELECT 'person', p.id, p.household_id, %s, substr('新增成员 ' || p.name || '(' || {case} || ')', 1, 200), "
        f"{empty}, {stamp}, {actor}, %s, %s, %s "
        f"FROM {p_table} p {created[0]} ORDER BY p.id",
        [
            create,
            *[x for pair in labels for x in pair],
            at,
            actor_id,
            actor_name,
            source,
            reference,
            *created[1],
        ],
    )


def _label(model: type[models.Model], name: str) -> str:
    if name in ("household_id", "household"):
        return "所在户"
    return str(model._meta.get_field(name).verbose_name)  # type: ignore[union-attr]  # a concrete field's name, never a reverse relation
