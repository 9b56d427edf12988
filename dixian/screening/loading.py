"""Reading what a screening run needs out of the database, fast, as Arrow tables for the engine.

Loading 2.5 M persons through the ORM (one Python object per row, then one per value) takes minutes,
longer than the screening itself. Each table here is one raw SQL statement read straight into Arrow:
- outside a transaction, through a second connection of the database's ADBC driver (Apache Arrow's
  database connectivity: the SQLite driver steps the statement in C, the PostgreSQL one reads a binary
  COPY), the tables of the registry read side by side;
- inside a transaction (another connection would not see its writes; tests run in one) on Django's own
  connection, the database writing delimited text that pyarrow's C++ CSV reader parses: `COPY … TO STDOUT`
  on PostgreSQL, `group_concat` over slices of the primary key on SQLite.
Both paths give the same Arrow schema (a test compares them), and nothing else in a run depends on the
database vendor.
"""
# ruff: noqa: S608 - SQL text here is built from model table/column names, never from input values.

from __future__ import annotations

import io
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from dixian.cases.models import Alert
from dixian.feeds.models import FeedDelivery, LinkCandidate
from dixian.registry.models import Household, HouseholdIncome, Person

from . import adbc_read
from .adbc_read import Statement
from .engine import RuleVersion as EngineRuleVersion
from .engine.core import parse_period
from .models import RuleVersion

if TYPE_CHECKING:
    from collections.abc import Sequence

# Separators that never occur in registry text (names, codes): no quoting needed, none done.
_SEP, _EOL = "\x1f", "\x1e"
_SQLITE_SLICE = 100_000  # rows per group_concat string
_SQLITE_READERS = 2

# (column, SQL expression over the aliased tables, Arrow type). Money is written with two decimals so
# that a REAL stored by SQLite reads back exactly into decimal(18,2).
_HOUSEHOLD_COLUMNS = [
    ("household_pk", "h.id", pa.int64()),
    ("household_no", "h.household_no", pa.string()),
    ("region_id", "h.region_id", pa.int64()),
    ("region_code", "h.region_code", pa.string()),
    ("kind", "h.kind", pa.string()),
    ("monitoring_category", "h.monitoring_category", pa.string()),
    ("head_name", "h.head_name", pa.string()),
]
_PERSON_COLUMNS = [
    ("household_pk", "p.household_id", pa.int64()),
    ("id_number", "p.id_number", pa.string()),
    ("name", "p.name", pa.string()),
    ("birth_date", "p.birth_date", pa.date32()),
    ("labour_skill", "p.labour_skill", pa.string()),
    ("relation", "p.relation", pa.string()),
]
# Only probabilistic linkage reads these: loaded when some delivery is still to be linked.
_PERSON_IDENTITY_COLUMNS = [
    ("sex", "p.sex", pa.string()),
    ("region_code", "p.region_code", pa.string()),
]
_INCOME_COLUMNS = [
    ("household_pk", "i.household_id", pa.int64()),
    ("year", "i.year", pa.int32()),
    ("net_income", "i.net_income", pa.decimal128(18, 2)),
    ("net_income_per_capita", "i.net_income_per_capita", pa.decimal128(18, 2)),
]
_MONEY_COLUMNS = {"net_income", "net_income_per_capita"}


@dataclass
class Inputs:
    """Everything `screen()` takes, plus what storing the result needs (household keys, deliveries)."""

    registry: dict[str, pa.Table]
    feeds: dict[str, Any]  # feed code → list of Parquet paths, or one Arrow table when schemas differ
    rules: list[EngineRuleVersion]
    links: pa.Table
    monitored_risks: pa.Table
    deliveries: list[FeedDelivery] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


# Reading a query ------------------------------------------------------------------------------------


def _read_options(columns: list[tuple[str, str, pa.DataType]]) -> dict[str, Any]:
    names = [c[0] for c in columns]
    return {
        "read_options": pacsv.ReadOptions(column_names=names, block_size=16 << 20),
        "convert_options": pacsv.ConvertOptions(
            column_types={name: t for name, _, t in columns},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
        ),
    }


def _select_list(columns: list[tuple[str, str, pa.DataType]], vendor: str) -> list[str]:
    out = []
    for name, expr, _ in columns:
        if name in _MONEY_COLUMNS:
            out.append(f"printf('%.2f', {expr})" if vendor == "sqlite" else f"CAST({expr} AS numeric(18,2))")
        else:
            out.append(expr)
    return out


def query_arrow(
    columns: list[tuple[str, str, pa.DataType]],
    from_sql: str,
    params: Sequence[Any] = (),
    *,
    adbc: bool | None = None,
) -> pa.Table:
    """`SELECT <columns> <from_sql>` as an Arrow table typed by `columns` (NULLs only in non-text columns).
    `adbc`: read through the ADBC driver (default: where `_adbc_usable()`)."""
    vendor = connection.vendor
    select = _select_list(columns, vendor)
    if adbc is None:
        adbc = vendor in ("postgresql", "sqlite") and _adbc_usable()
    if adbc:
        return _adbc_query_many([(columns, from_sql, params)])[0]
    if vendor == "postgresql":
        return _query_postgresql(columns, select, from_sql, params)
    if vendor == "sqlite":
        return _query_sqlite(columns, select, from_sql, params)
    # DATABASE_URL accepts other engines; screening reads the registry with each engine's fast path.
    raise ImproperlyConfigured(f"筛查只支持 SQLite 和 PostgreSQL 数据库,当前为 {vendor}:请修改 DATABASE_URL")


def _adbc_usable() -> bool:
    """A second connection sees what this run must read: not inside a transaction (its writes would be
    invisible), not an in-memory SQLite database (another connection would open an empty one)."""
    if connection.in_atomic_block:
        return False
    return connection.vendor == "postgresql" or not connection.is_in_memory_db()  # type: ignore[attr-defined]  # SQLite's wrapper has it


# Keys of Django's connection parameters that are psycopg's own, not libpq's.
_PSYCOPG_ONLY = {"cursor_factory", "context", "prepare_threshold"}


def _pg_conninfo() -> tuple[str, str | None]:
    """The libpq connection string of Django's own connection (the same host, TLS and other options,
    built and quoted by psycopg), and the SQL that sets the role Django assumes, if any."""
    from psycopg.conninfo import make_conninfo

    params: dict[str, Any] = {
        k: v
        for k, v in connection.get_connection_params().items()
        if k not in _PSYCOPG_ONLY and isinstance(v, str | int | float) and not isinstance(v, bool) and v != ""
    }
    role = (connection.settings_dict.get("OPTIONS") or {}).get("assume_role")
    return make_conninfo("", **params), (f"SET ROLE {connection.ops.quote_name(role)}" if role else None)


def _adbc_statement(columns: list, select: list[str], from_sql: str, params: Sequence[Any]) -> Statement:
    """The statement with its parameters written in as literals: they are this module's own years and
    status codes, never user input, and the SQLite reader's child takes plain SQL."""

    # SQLite: every value as non-NULL text. The driver infers a column's type from its first rows (a NULL
    # there, a date later, and it fails); the text is cast once in Arrow. PostgreSQL's driver reads typed
    # values from a binary COPY: only text (NULL as '', as on the other path) and numeric (which it hands
    # over as text) are converted in SQL.
    def column(i: int, expr: str) -> str:
        arrow_type = columns[i][2]
        if connection.vendor != "postgresql":
            return f"coalesce(CAST({expr} AS TEXT), '') AS c{i}"
        if arrow_type == pa.string():
            return f"coalesce({expr}, '') AS c{i}"
        if pa.types.is_decimal(arrow_type):
            return f"CAST({expr} AS TEXT) AS c{i}"
        return f"{expr} AS c{i}"

    text = ", ".join(column(i, expr) for i, expr in enumerate(select))
    values = iter(params)

    def literal(_: object) -> str:
        value = next(values)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and "\\" not in value:
            return "'" + value.replace("'", "''") + "'"
        raise TypeError(f"no literal for parameter {value!r}")

    return re.sub(r"%s", literal, f"SELECT {text} {from_sql}"), []


def _adbc_typed(raw: pa.Table, columns: list) -> pa.Table:
    out = {}
    for i, (name, _, arrow_type) in enumerate(columns):
        col = raw.column(i)
        if col.type != arrow_type:
            if pa.types.is_integer(col.type) or pa.types.is_date(col.type):
                col = col.cast(arrow_type)  # PostgreSQL's int4 → int32 and the like
            else:
                col = col.cast(pa.string())
                if arrow_type != pa.string():
                    col = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col).cast(arrow_type)
        out[name] = col
    return pa.table(out, schema=pa.schema([(name, t) for name, _, t in columns]))


def _adbc_query_many(queries: Sequence[tuple[list, str, Sequence[Any]]]) -> list[pa.Table]:
    """Several `(columns, from_sql, params)` read side by side through ADBC, typed by their columns."""
    statements = [
        _adbc_statement(columns, _select_list(columns, connection.vendor), from_sql, params)
        for columns, from_sql, params in queries
    ]
    if connection.vendor == "postgresql":
        conninfo, setup = _pg_conninfo()
        raws = adbc_read.read_postgresql(conninfo, statements, setup=setup)
    else:
        raws = adbc_read.read_sqlite(str(connection.settings_dict["NAME"]), statements)
    return [_adbc_typed(raw, columns) for raw, (columns, _, _) in zip(raws, queries, strict=True)]


def _query_postgresql(columns: list, select: list[str], from_sql: str, params: Sequence[Any]) -> pa.Table:
    sql = f"COPY (SELECT {', '.join(select)} {from_sql}) TO STDOUT WITH (FORMAT csv)"
    buf = io.BytesIO()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
        with raw.copy(sql, params or None) as copy:
            for block in copy:
                buf.write(block)
    if buf.tell() == 0:
        return pa.schema([(n, t) for n, _, t in columns]).empty_table()
    buf.seek(0)
    opts = _read_options(columns)
    # CSV from COPY writes NULL as an empty unquoted field: only typed (non-text) columns may be NULL.
    opts["convert_options"].null_values = [""]
    opts["convert_options"].strings_can_be_null = False
    return pacsv.read_csv(buf, **opts)


def _query_sqlite(columns: list, select: list[str], from_sql: str, params: Sequence[Any]) -> pa.Table:
    # Text columns are never NULL in these tables; typed ones may be (empty field → NULL).
    row = f" || '{_SEP}' || ".join(
        f"coalesce({expr}, '')" if t != pa.string() else expr
        for expr, (_, _, t) in zip(select, columns, strict=True)
    )
    key = _sqlite_key(from_sql)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min({key}), max({key}) {from_sql}", params)
        lo, hi = cursor.fetchone()
    if lo is None:
        return pa.schema([(n, t) for n, _, t in columns]).empty_table()
    where = " AND " if " WHERE " in from_sql else " WHERE "
    sql = f"SELECT group_concat({row}, '{_EOL}') {from_sql}{where}{key} >= %s AND {key} < %s"
    starts = list(range(lo, hi + 1, _SQLITE_SLICE))

    def fetch(start: int) -> str:
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, start, start + _SQLITE_SLICE])
            return cursor.fetchone()[0] or ""

    if len(starts) > 1 and not connection.in_atomic_block:
        # SQLite releases the GIL while it steps: two readers (own connections, WAL) use two cores.
        # Inside a transaction the other connections would not see its writes, so it reads alone.
        chunks = list(_pool().map(_in_own_connection(fetch), starts))
    else:
        chunks = [fetch(start) for start in starts]
    chunks = [c for c in chunks if c]
    if not chunks:
        return pa.schema([(n, t) for n, _, t in columns]).empty_table()
    data = (_EOL.join(chunks) + _EOL).encode()
    opts = _read_options(columns)
    opts["parse_options"] = pacsv.ParseOptions(delimiter=_SEP, quote_char=False, newlines_in_values=False)
    opts["convert_options"].null_values = [""]
    # pyarrow splits rows on \n or \r only: use \n after SQLite joined the rows with a safe separator.
    data = data.replace(b"\n", b" ").replace(_EOL.encode(), b"\n")
    return pacsv.read_csv(io.BytesIO(data), **opts)


_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL  # noqa: PLW0603 - one small pool per process, made on first use
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=_SQLITE_READERS, thread_name_prefix="screening-load")
    return _POOL


def _in_own_connection[T](fn: Callable[[int], T]) -> Callable[[int], T]:
    def run(arg: int) -> T:
        try:
            return fn(arg)
        finally:
            connection.close()  # the thread's own connection (Django's are per thread)

    return run


def _sqlite_key(from_sql: str) -> str:
    """The integer primary key of the first table of FROM, to cut the result into slices."""
    alias = from_sql.split()[2]  # "FROM <table> <alias> ..."
    return f"{alias}.id"


# The registry ---------------------------------------------------------------------------------------


def registry_load(
    period: str, *, identity: bool = False, households: set[int] | None = None
) -> dict[str, pa.Table]:
    """households, persons (with household_no), incomes up to the period's year: the registry's two latest
    years for every household, and all the older years of the households without an income of the latest
    year (not collected yet), so that they are screened on the income they have, not on none (the engine
    takes each household's own latest year and the one before).
    `identity`: persons also carry sex and region_code (what probabilistic linkage compares).
    `households`: only these households (pks), their persons and incomes (an incremental run, docs/scale.md
    §3); the latest income year is still the registry's, as a full run takes it."""
    year = parse_period(period)[0].year
    h_table, p_table, i_table = (
        Household._meta.db_table,
        Person._meta.db_table,
        HouseholdIncome._meta.db_table,
    )
    latest = (
        HouseholdIncome.objects.filter(year__lte=year)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    # Household keys are the run's own integers, written into the statement (the ADBC path takes no
    # parameters); -1 stands for an empty scope.
    only = "" if households is None else ", ".join(str(int(pk)) for pk in sorted(households)) or "-1"
    queries: list[tuple[list, str, list[Any]]] = [
        (
            _PERSON_COLUMNS + (_PERSON_IDENTITY_COLUMNS if identity else []),
            f"FROM {p_table} p" + (f" WHERE p.household_id IN ({only})" if only else ""),
            [],
        ),
        (_HOUSEHOLD_COLUMNS, f"FROM {h_table} h" + (f" WHERE h.id IN ({only})" if only else ""), []),
    ]
    if latest is not None:
        # NOT IN, not NOT EXISTS: PostgreSQL hashes the subquery once, and SQLite builds it only when a row
        # older than the two latest years asks (none in a registry that keeps two years).
        # A few households (an incremental run): NOT EXISTS, answered per household by the (household, year)
        # key, instead of hashing every household's latest year.
        older = (
            f"NOT EXISTS (SELECT 1 FROM {i_table} j WHERE j.household_id = i.household_id AND j.year = %s)"
            if only
            else f"i.household_id NOT IN (SELECT household_id FROM {i_table} WHERE year = %s)"
        )
        queries.append(
            (
                _INCOME_COLUMNS,
                f"FROM {i_table} i WHERE i.year <= %s AND (i.year >= %s OR {older})"
                + (f" AND i.household_id IN ({only})" if only else ""),
                [latest, latest - 1, latest],
            )
        )
    # Through ADBC, the tables are read side by side, each on its own connection.
    tables = _adbc_query_many(queries) if _adbc_usable() else [query_arrow(*query) for query in queries]
    persons, households = tables[0], tables[1]
    incomes = (
        tables[2] if latest is not None else pa.schema([(n, t) for n, _, t in _INCOME_COLUMNS]).empty_table()
    )
    # household_no onto persons and incomes by the household key, in Arrow: far cheaper than joining
    # 2.5 M rows inside SQLite.
    return {
        "households": households,
        "persons": _with_household_no(persons, households),
        "incomes": _with_household_no(incomes, households),
    }


def persons_for_linking(*, empty: bool = False) -> pa.Table:
    """The registry's persons with the columns probabilistic linkage compares (id_number, name, sex,
    birth_date, region_code), without households or incomes; `empty`: none (the linkage then only marks
    the deliveries linked)."""
    columns = [c for c in _PERSON_COLUMNS if c[0] in ("id_number", "name", "birth_date")]
    columns += _PERSON_IDENTITY_COLUMNS
    if empty:
        return pa.schema([(n, t) for n, _, t in columns]).empty_table()
    query: tuple[list, str, list[Any]] = (columns, f"FROM {Person._meta.db_table} p", [])
    return _adbc_query_many([query])[0] if _adbc_usable() else query_arrow(*query)


def _with_household_no(table: pa.Table, households: pa.Table) -> pa.Table:
    """`table` with the household_no of its household_pk; rows of a household not read are left out (as
    an inner join would). A hash look-up of the integer keys, then one take: a general hash join of the
    two tables costs several times more at city scale."""
    pks = households.column("household_pk").combine_chunks()
    idx = pc.index_in(table.column("household_pk"), value_set=pks)
    if idx.null_count:
        found = pc.is_valid(idx)
        table, idx = table.filter(found), idx.filter(found)
    return table.append_column("household_no", pc.take(households.column("household_no"), idx))


# Monitored risks, links, feeds, rules --------------------------------------------------------------


def monitored_risks_load() -> pa.Table:
    """(household_no, risk_code) of the risks households are monitored for: their confirmed alerts."""
    rows = (
        Alert.objects.filter(status=Alert.Status.CONFIRMED, household__isnull=False)
        .values_list("household__household_no", "risk_code")
        .distinct()
    )
    nos, risks = zip(*rows, strict=True) if rows else ((), ())
    return pa.table({"household_no": pa.array(nos, pa.string()), "risk_code": pa.array(risks, pa.string())})


def links_load() -> pa.Table:
    """(feed, record_key, id_number) of the probabilistic links that hold: automatic or accepted."""
    cols = [
        ("feed", "l.feed", pa.string()),
        ("record_key", "l.record_key", pa.string()),
        ("id_number", "p.id_number", pa.string()),
    ]
    return query_arrow(
        cols,
        f"FROM {LinkCandidate._meta.db_table} l JOIN {Person._meta.db_table} p ON p.id = l.person_id "
        "WHERE l.status IN (%s, %s)",
        [LinkCandidate.Status.AUTO, LinkCandidate.Status.ACCEPTED],
    )


def deliveries_for(period: str) -> list[FeedDelivery]:
    """The live deliveries a run of `period` reads: accepted or screened, of that period or earlier (the
    rules' windows reach back), oldest first so that a record key sent twice counts from its first delivery."""
    return list(
        FeedDelivery.objects.filter(
            status__in=[FeedDelivery.Status.ACCEPTED, FeedDelivery.Status.SCREENED], period__lte=period
        )
        .exclude(rows_file="")
        .order_by("created_at", "id")
    )


def feeds_load(deliveries: list[FeedDelivery]) -> dict[str, Any]:
    """feed code → its deliveries' Parquet paths (the engine reads them as one table by column name)."""
    paths: dict[str, list[Path]] = {}
    for d in deliveries:
        paths.setdefault(d.feed, []).append(d.rows_path)  # type: ignore[arg-type]  # an accepted delivery has its rows file
    return paths


def rules_load() -> list[EngineRuleVersion]:
    """Every version of the active rules (the engine picks per rule and region the one valid in the
    period), each with its own parameters: R12's income line is the one its version carries (edited on the
    rules page, which writes the IncomeLine table from it), so an alert's version says which line it used."""
    return [v.to_engine() for v in RuleVersion.objects.filter(rule__is_active=True).select_related("rule")]
