"""Storing a screening result in bulk: alerts, their evidence, case evidence and the 应纳未纳 list.

A city-scale run finds ~100k alerts: one ORM save per row would take longer than the screening. Here every
write is a handful of bulk statements, inside the caller's transaction (nothing half-written):
- each piece of evidence has a dedup key (`cases.services.evidence_dedup_key` of household, risk, channel,
  rule, feed and the sorted record keys); evidence whose key exists is skipped, so re-running a period adds
  nothing and touches no alert. The rule's version is not part of it: a new version (a threshold, a
  wording, a new income line) finds the same facts again, and an alert the village has ruled out for them
  must not come back; the version that first raised a fact stays on its evidence;
- new evidence for a household and risk goes into the household's OPEN alert of that risk (grade raised,
  reason extended, channel added, deadline shortened when the grade rises) or opens one;
- evidence of a risk the household is already monitored for is kept for its case (alert=None);
- feed records that match nobody become UnmatchedRecord rows (one per feed and record key), routed to the
  village they name when it exists, else to the region of the delivery that sent them.
Rows are written column by column (`insert_columns`): `executemany` on SQLite, COPY of CSV written by Arrow
on PostgreSQL. Runs store one at a time (`runs_lock`), which is what lets evidence and 应纳未纳 rows, filtered
against what exists, be copied without a conflict check. The same code runs on SQLite and PostgreSQL.
"""
# ruff: noqa: S608 - SQL text here is built from model table/column names, never from input values.

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import islice, repeat
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.db.models import Model
from django.utils import timezone

from dixian.cases.models import Alert, AlertEvidence, Channel, UnmatchedRecord
from dixian.cases.services import merged_reason
from dixian.common.locks import RUNS_LOCK, transaction_lock
from dixian.common.models import ChangeLog
from dixian.domain.risks import GRADE_RANK, RISK_TYPES, higher_grade
from dixian.regions.models import Region
from dixian.registry.models import Household
from dixian.registry.services import household_followers_move

from .engine import ScreeningResult
from .engine.dialect import lit
from .models import RuleVersion

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.feeds.models import FeedDelivery

    from .models import ScreeningRun

CHUNK = 5_000  # keys per IN (...) lookup and rows per INSERT batch
DEPARTMENT = Channel.DEPARTMENT.value
REGISTRY_FEED = "registry"  # the engine's feed label of the registry-only rules (R12, R13)


@dataclass
class StoreCounts:
    alerts_new: int = 0
    alerts_merged: int = 0
    evidence_new: int = 0
    case_evidence_new: int = 0
    unmatched_new: int = 0  # out_of_region included
    out_of_region: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def add(self, other: StoreCounts) -> None:
        """Another part's counts into these (an incremental run may store two results: docs/scale.md §3)."""
        for name in ("alerts_new", "alerts_merged", "evidence_new", "case_evidence_new", "unmatched_new"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.out_of_region += other.out_of_region
        for key, value in other.timings.items():
            self.timings[key] = round(self.timings.get(key, 0.0) + value, 3)


def _chunks[T](items: list[T], size: int = CHUNK) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _cut(value: str | None, length: int) -> str:
    return (value or "")[:length]


# Inserting many rows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Const:
    """One value for every row of a column (adapted for the database once, not per row)."""

    value: Any


def insert_columns(
    model: type[Model],
    n: int,
    columns: dict[str, Any],
    *,
    on_conflict: bool = True,
    returning: list[str] | None = None,
    batch: int = CHUNK,
) -> list[tuple[Any, ...]] | None:
    """INSERT … ON CONFLICT DO NOTHING of `n` rows given column by column: `columns[attname]` is a list of
    `n` values the driver takes as they are (str, int, date, Decimal, None; JSON already as text), or a
    `Const`. Columns not given take the field's default. No model instance is made: at 100k+ rows the
    instances and Django's per-value adaptation cost several times the database's own work.

    `on_conflict=False`: the caller knows no row can conflict (it holds `runs_lock` and filtered what
    exists); on PostgreSQL the rows are then copied straight into the table. Either way a conflict then
    fails the statement instead of being skipped.

    `returning`: on PostgreSQL, these columns of the rows inserted (not of those skipped) are returned;
    SQLite cannot return from a batch and gives None (the caller looks the rows up)."""
    if not n:
        return [] if returning and connection.vendor == "postgresql" else None
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    unknown = set(columns) - {f.attname for f in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
    data: list[Iterable[Any] | Const] = []
    for f in fields:
        value = columns.get(f.attname, Const(f.get_default()))
        if isinstance(value, Const):
            data.append(Const(_db_value(f, value.value)))
        elif len(value) != n:
            raise ValueError(f"{model.__name__}.{f.attname}: {len(value)} values for {n} rows")
        else:
            data.append(value)
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)  # type: ignore[arg-type]  # concrete fields have a column
    # The driver's own cursor is used below: its errors are turned into Django's (IntegrityError …) here.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if connection.vendor == "postgresql" and not on_conflict:
            _copy_csv(cursor, table, cols, data, n)
            return None
        if connection.vendor == "postgresql":
            # COPY into a scratch table, then one INSERT … SELECT: per-row statements cost a round trip each.
            scratch = connection.ops.quote_name(f"_scratch_{model._meta.db_table}")
            # On an error the transaction is rolled back, and the scratch table with it: a DROP in a
            # `finally` would fail in the aborted transaction and hide the real error.
            cursor.execute(f"CREATE TEMP TABLE {scratch} AS SELECT {cols} FROM {table} WITH NO DATA")
            _copy_csv(cursor, scratch, cols, data, n)
            back = f" RETURNING {', '.join(returning)}" if returning else ""
            cursor.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {scratch} ON CONFLICT DO NOTHING{back}"
            )
            inserted = cursor.fetchall() if returning else None
            cursor.execute(f"DROP TABLE {scratch}")
            return inserted
        marks = ", ".join(["?"] * len(fields))
        raw = cursor.cursor  # the driver's cursor: no query logging or execute wrappers per batch
        rows = zip(*[repeat(d.value, n) if isinstance(d, Const) else d for d in data], strict=True)
        sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})" + (
            " ON CONFLICT DO NOTHING" if on_conflict else ""
        )
        while chunk := list(islice(rows, batch)):
            raw.executemany(sql, chunk)
    return None


def _copy_csv(cursor: Any, target: str, cols: str, data: list[Any], n: int) -> None:
    """COPY the columns into `target` as CSV written by Arrow's C++ writer: formatting 100k+ rows per value
    in Python (psycopg's write_row) costs more than the server's work. CSV tells NULL (an empty field) from
    an empty string (""), which Arrow writes quoted."""
    arrays = []
    for values in data:
        if isinstance(values, Const):
            value = values.value
            if value is None:
                arrays.append(pa.nulls(n))
                continue
            value = value.isoformat() if isinstance(value, dt.datetime | dt.date) else value
            values = [value] * n
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types: their text, which PostgreSQL parses
            arrays.append(pa.array([None if v is None else str(v) for v in values], pa.string()))
    block = pa.BufferOutputStream()
    pacsv.write_csv(
        pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(arrays))]),
        block,
        pacsv.WriteOptions(include_header=False),
    )
    with cursor.cursor.copy(f"COPY {target} ({cols}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(block.getvalue())


def _db_value(f: Any, value: Any) -> Any:
    if f.get_internal_type() == "JSONField":
        return None if value is None else json.dumps(value)
    return f.get_db_prep_save(value, connection)


def run_transaction_settings() -> None:
    """For the run's own transaction (PostgreSQL): its commit does not wait for the WAL to reach the disk.
    A crash in the following instant loses the whole run, never part of it (the run row is in the same
    transaction), and the run is simply repeated; it cannot corrupt anything."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


@contextmanager
def run_page_cache() -> Iterator[None]:
    """SQLite, around the run's transaction (commit included): a page cache of 256 MB instead of 2 MB. The
    run adds ~400k rows to tables with several indexes; with the default cache their pages are evicted and
    read again over and over. The connection's own setting is restored afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        pages = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-256 * 1024}")
    try:
        yield
    finally:
        # After a failed run the connection may be unusable: the run's own error is the one to report.
        with suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {pages}")


def runs_lock() -> None:
    """Serialise the storing of screening runs (call inside the run's transaction; released with it). Two
    runs storing at once would both find a fact new and both write it."""
    transaction_lock(RUNS_LOCK)


def _json_texts(values: Iterable[Any]) -> list[str]:
    return [json.dumps(v) for v in values]


# Deliveries of a record ------------------------------------------------------------------------------


def record_key_parts(feed_label: str, record_keys: list[str]) -> list[tuple[str | None, str]]:
    """(feed code or None, key) of each record key: evidence of a rule reading several feeds
    ("medical+education") names its records "medical:JS001"."""
    codes = feed_label.split("+")
    out: list[tuple[str | None, str]] = []
    for key in record_keys:
        code, sep, rest = key.partition(":")
        out.append((code, rest) if len(codes) > 1 and sep and code in codes else (None, key))
    return out


class DeliveryIndex:
    """Which delivery sent a record key, and which row of it (docs/security.md §3). The keys asked for are
    found in the deliveries' Parquet files with DuckDB: the first delivery that sent a key wins, and its
    first row, as in the engine's dedup. Rows are numbered as the sender counts them (the SOURCE_ROW column
    stored beside the rows; None for a delivery stored before it was)."""

    def __init__(
        self,
        deliveries: Iterable[FeedDelivery],
        rows_of: dict[int, tuple[pa.Table, Any]] | None = None,
    ) -> None:
        # rows_of: an incremental run's rows of each delivery with their row numbers in its file (every
        # row of a record key it screened is there: docs/scale.md §3), read instead of the files.
        self.rows_of = rows_of
        self.by_feed: dict[str, list[FeedDelivery]] = defaultdict(list)
        for d in deliveries:
            self.by_feed[d.feed].append(d)
        self.by_pk = {d.pk: d for ds in self.by_feed.values() for d in ds}
        self.keys: dict[tuple[str, str], tuple[int, int | None]] = {}
        self.region_of = {pk: d.region_id for pk, d in self.by_pk.items()}
        regions = dict(Region.objects.filter(pk__in=set(self.region_of.values())).values_list("pk", "prefix"))
        # The codes a delivery may speak about: its region's subtree.
        self.prefix_of = {pk: regions.get(rid, "\x00") for pk, rid in self.region_of.items()}

    def prepare(self, wanted: dict[str, set[str]]) -> None:
        from dixian.domain import catalogue
        from dixian.feeds.ingest import SOURCE_ROW

        for code, keys in wanted.items():
            deliveries = self.by_feed.get(code, [])
            if not deliveries or not keys:
                continue
            import duckdb

            spec = catalogue.feed(code)
            con = duckdb.connect()
            try:
                con.register("wanted", pa.table({"k": pa.array(sorted(keys), pa.string())}))
                parts = []
                for i, d in enumerate(deliveries):
                    if self.rows_of is not None:
                        table, numbers = self.rows_of.get(d.pk, (None, None))
                        if table is None:
                            continue
                        con.register(f"d{i}", table.append_column("__o", pa.array(numbers, pa.int64())))
                        names = set(table.column_names)
                        source = f"(SELECT *, __o AS file_row_number FROM d{i})"
                    else:
                        names = _parquet_names(str(d.rows_path))
                        path = "'" + str(d.rows_path).replace("'", "''") + "'"
                        source = f"read_parquet({path}, file_row_number = true)"
                    cols = [
                        f"coalesce(CAST({c} AS VARCHAR), '')" if c in names else "''" for c in spec.record_key
                    ]
                    key = cols[0] if len(cols) == 1 else f"concat_ws('|', {', '.join(cols)})"
                    row = f"CAST({SOURCE_ROW} AS BIGINT)" if SOURCE_ROW in names else "CAST(NULL AS BIGINT)"
                    parts.append(
                        f"SELECT {key} AS k, {i} AS n, {row} AS r, file_row_number AS o FROM {source}"
                    )
                if not parts:
                    continue
                rows = con.execute(
                    f"SELECT x.k, min(x.n), arg_min(x.r, x.n * 1099511627776 + x.o) "
                    f"FROM ({' UNION ALL '.join(parts)}) x JOIN wanted w ON w.k = x.k GROUP BY x.k"
                ).fetchall()
            finally:
                con.close()
            for k, n, r in rows:
                self.keys[(code, k)] = (deliveries[n].pk, r)

    def delivery_for(self, feed_label: str, record_keys: list[str]) -> int | None:
        for code in feed_label.split("+"):
            deliveries = self.by_feed.get(code)
            if not deliveries:
                continue
            for key in record_keys:
                found = self.keys.get((code, key))
                if found is not None:
                    return found[0]
            return deliveries[-1].pk  # not found (should not happen): the feed's newest delivery
        return None

    def sources(self, feed_label: str, record_keys: list[str]) -> list[dict[str, Any]]:
        """{"delivery", "row", "key"} of each record key of a piece of evidence (none for the registry)."""
        out = []
        for code_or_none, key in record_key_parts(feed_label, record_keys):
            codes = [
                c for c in ([code_or_none] if code_or_none else feed_label.split("+")) if c in self.by_feed
            ]
            found = next((self.keys[(c, key)] for c in codes if (c, key) in self.keys), None)
            if found is None and len(codes) == 1:
                found = (self.by_feed[codes[0]][-1].pk, None)  # not found (should not happen)
            if found is not None:
                out.append({"delivery": found[0], "row": found[1], "key": key})
        return out

    def outside(self, sources: list[dict[str, Any]], region_code: str) -> list[dict[str, Any]]:
        """The sources whose delivery's region does not contain `region_code` (docs/security.md §3)."""
        return [s for s in sources if not region_code.startswith(self.prefix_of.get(s["delivery"], "\x00"))]


_SCHEMA_NAMES: dict[str, set[str]] = {}


def _parquet_names(path: str) -> set[str]:
    if path not in _SCHEMA_NAMES:
        import pyarrow.parquet as pq

        _SCHEMA_NAMES[path] = set(pq.read_schema(path).names)
    return _SCHEMA_NAMES[path]


# Evidence rows --------------------------------------------------------------------------------------


@dataclass
class _Evidence:
    """Pieces of evidence column by column (one list per field, index i = one piece)."""

    household_pk: list[int]
    region_code: list[str]
    risk_code: list[str]
    rule_id: list[str]
    version: list[int]
    feed: list[str]
    id_number: list[str]
    record_keys: list[list[str]]
    amount: list[Any]
    threshold: list[Any]
    grade: list[str]
    reason: list[str]
    key: list[str]
    sources: list[list[dict[str, Any]]]  # filled once the deliveries are known (DeliveryIndex.sources)

    def __len__(self) -> int:
        return len(self.key)

    def take(self, rows: list[int]) -> _Evidence:
        return _Evidence(**{name: [col[i] for i in rows] for name, col in vars(self).items()})


def dedup_keys(table: pa.Table, household_pks: pa.Array) -> list[str]:
    """`cases.services.evidence_dedup_key(household pk, risk, DEPARTMENT, rule, feed, sorted record keys
    joined by '|')` of every row, computed by DuckDB over the whole column at once (129k keys: 0.2-0.3 s,
    against 0.5 s for one Python hash each). The same text, byte for byte, as the Python function hashes
    (declarations and visits use that one)."""
    import duckdb

    if table.num_rows == 0:
        return []
    parts = pa.table(
        {
            "pk": household_pks.cast(pa.int64()),
            "risk": table.column("risk_code"),
            "rule": table.column("rule_id"),
            "feed": table.column("feed"),
            "keys": table.column("record_keys"),
        }
    )
    text = " || chr(31) || ".join(
        [
            "coalesce(CAST(pk AS VARCHAR), '')",
            "coalesce(risk, '')",
            lit(DEPARTMENT),
            "coalesce(rule, '')",
            "coalesce(feed, '')",
            "coalesce(array_to_string(list_sort(keys), '|'), '')",
        ]
    )
    con = duckdb.connect()
    try:
        con.register("parts", parts)
        return con.sql(f"SELECT sha256({text}) AS k FROM parts").to_arrow_table().column("k").to_pylist()
    finally:
        con.close()


def _evidence_rows(table: pa.Table, household_pks: pa.Array) -> _Evidence:
    def col(name: str) -> list[Any]:
        return table.column(name).to_pylist()

    pks = household_pks.to_pylist()
    risks, rules, versions = col("risk_code"), col("rule_id"), col("rule_version")
    feeds = [f or "" for f in col("feed")]
    record_keys = [sorted(k or []) for k in col("record_keys")]
    keys = dedup_keys(table, household_pks)
    return _Evidence(
        household_pk=pks,
        region_code=col("region_code"),
        risk_code=risks,
        rule_id=rules,
        version=versions,
        feed=feeds,
        id_number=[v or "" for v in col("id_number")],
        record_keys=record_keys,
        amount=col("amount"),
        threshold=col("threshold"),
        grade=col("grade"),
        reason=col("reason"),
        key=keys,
        sources=[[] for _ in keys],
    )


def _flatten_alerts(alerts: pa.Table) -> pa.Table:
    """One row per piece of evidence, with the alert's household and region."""
    evidence = alerts.column("evidence").combine_chunks()
    parents = pc.list_parent_indices(evidence)
    flat = pc.list_flatten(evidence)
    cols = {name: flat.field(name) for name in (f.name for f in flat.type)}
    return pa.table(
        {
            "household_no": pc.take(alerts.column("household_no"), parents),
            "region_code": pc.take(alerts.column("region_code"), parents),
            "risk_code": pc.take(alerts.column("risk_code"), parents),
            **cols,
        }
    )


def _existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    if not keys or not AlertEvidence.objects.exists():
        return found
    for chunk in _chunks(keys):
        found.update(AlertEvidence.objects.filter(dedup_key__in=chunk).values_list("dedup_key", flat=True))
    return found


# The entry point ------------------------------------------------------------------------------------


def result_store(
    *,
    result: ScreeningResult,
    run: ScreeningRun,
    households: pa.Table,
    deliveries: list[FeedDelivery],
    actor: User | None,
    now: dt.datetime | None = None,
    rows_of: dict[int, tuple[pa.Table, Any]] | None = None,
) -> StoreCounts:
    """Store `result` (see the module's docstring). Call inside a transaction. `households` is the registry
    table the run read (household_pk, household_no, region_id, region_code)."""
    import time

    now = now or timezone.now()
    counts = StoreCounts()
    t0 = time.perf_counter()
    runs_lock()  # before reading what exists: another run's facts must be committed and seen, or waited for

    def lap(name: str) -> None:
        nonlocal t0
        t1 = time.perf_counter()
        counts.timings[name] = round(t1 - t0, 3)
        t0 = t1

    hh_no = households.column("household_no")

    def pks_of(nos: pa.ChunkedArray | pa.Array) -> pa.Array:
        idx = pc.index_in(nos, value_set=hh_no)
        return pc.take(households.column("household_pk"), idx).combine_chunks()

    flat = _flatten_alerts(result.alerts)
    alert_ev = _evidence_rows(flat, pks_of(flat.column("household_no")))
    case_ev = _evidence_rows(result.case_evidence, pks_of(result.case_evidence.column("household_no")))
    lap("store_prepare")
    # The same fact twice in one result cannot happen (the engine groups it); guard anyway.
    seen = _existing_keys(alert_ev.key + case_ev.key)
    fresh: list[list[int]] = [[], []]
    for bucket, evs in zip(fresh, (alert_ev, case_ev), strict=True):
        for i, key in enumerate(evs.key):
            if key not in seen:
                seen.add(key)
                bucket.append(i)
    new_alert_ev, new_case_ev = alert_ev.take(fresh[0]), case_ev.take(fresh[1])
    lap("store_existing")

    index = DeliveryIndex(deliveries, rows_of)
    wanted: dict[str, set[str]] = defaultdict(set)
    for evs in (new_alert_ev, new_case_ev):
        for feed, record_keys in zip(evs.feed, evs.record_keys, strict=True):
            for code_or_none, key in record_key_parts(feed, record_keys):
                for code in [code_or_none] if code_or_none else feed.split("+"):
                    wanted[code].add(key)
    unmatched = result.unmatched
    for code, key in zip(
        unmatched.column("feed").to_pylist(), unmatched.column("record_key").to_pylist(), strict=True
    ):
        wanted[code].add(key)
    index.prepare(wanted)
    versions = {
        (rid, v): pk for pk, rid, v in RuleVersion.objects.values_list("pk", "rule__rule_id", "version")
    }
    # Evidence resting on a record about a household outside the region of the delivery that sent it is
    # kept out of alerts and case evidence and listed for the household's county (docs/security.md §3).
    foreign: list[tuple[_Evidence, int]] = []
    kept: list[_Evidence] = []
    for evs in (new_alert_ev, new_case_ev):
        evs.sources = [index.sources(f, k) for f, k in zip(evs.feed, evs.record_keys, strict=True)]
        inside: list[int] = []
        away: list[int] = []
        for i, (code, sources) in enumerate(zip(evs.region_code, evs.sources, strict=True)):
            (away if index.outside(sources, code) else inside).append(i)
        kept.append(evs.take(inside))
        foreign.extend((evs, i) for i in away)
    new_alert_ev, new_case_ev = kept
    lap("store_deliveries")

    villages = dict(Region.objects.filter(level=Region.Level.VILLAGE).values_list("code", "id"))
    alert_pk, created = _alerts_store(
        new_alert_ev, households=households, villages=villages, now=now, counts=counts
    )
    lap("store_alerts")

    _evidence_store(
        new_alert_ev,
        [alert_pk[k] for k in zip(new_alert_ev.household_pk, new_alert_ev.risk_code, strict=True)],
        run=run,
        versions=versions,
        index=index,
        now=now,
    )
    _evidence_store(new_case_ev, [None] * len(new_case_ev), run=run, versions=versions, index=index, now=now)
    counts.evidence_new, counts.case_evidence_new = len(new_alert_ev), len(new_case_ev)
    lap("store_evidence")

    counts.unmatched_new = _unmatched_store(unmatched, run=run, index=index, villages=villages, now=now)
    counts.out_of_region = _out_of_region_store(
        foreign, run=run, index=index, households=households, villages=villages, now=now
    )
    counts.unmatched_new += counts.out_of_region
    lap("store_unmatched")

    _moves_catch_up(since=run.created_at)

    if created:
        # One audit row per new alert: the household's history shows when and why it was flagged.
        insert_columns(
            ChangeLog,
            len(created),
            {
                "at": Const(now),
                "actor_id": Const(actor.pk if actor is not None else None),
                "actor_name": Const(
                    (actor.get_full_name() or actor.username) if actor is not None else "系统"
                ),
                "source": Const(ChangeLog.Source.SYSTEM if actor is None else ChangeLog.Source.WEB),
                "reference": Const(f"screening:{run.pk}"),
                "entity": Const("alert"),
                "entity_id": [pk for pk, _, _, _ in created],
                "household_id": [hp for _, hp, _, _ in created],
                "action": Const(ChangeLog.Action.CREATE),
                "summary": [
                    f"预警线索:{RISK_TYPES[risk].name} {grade}({Channel.DEPARTMENT.label},筛查 {run.period})"
                    for _, _, risk, grade in created
                ],
            },
            on_conflict=False,  # no unique key
        )
    lap("store_audit")
    return counts


def _moves_catch_up(*, since: dt.datetime) -> None:
    """Households moved since the run read the registry: what the run just wrote about them carries the code
    it read, so their records follow them again (docs/security.md §4). Moves take `runs_lock` too, so one
    that commits after this point sees these rows and moves them itself."""
    moved = {
        pk
        for pk in ChangeLog.objects.filter(action=ChangeLog.Action.MOVE, entity="household", at__gte=since)
        .order_by()
        .values_list("household_id", flat=True)
        if pk is not None
    }
    if moved:
        households = Household.objects.filter(pk__in=moved).select_related("region__parent")
        household_followers_move({h.pk: h.region for h in households})


def _alerts_store(
    evs: _Evidence,
    *,
    households: pa.Table,
    villages: dict[str, int],
    now: dt.datetime,
    counts: StoreCounts,
) -> tuple[dict[tuple[int, str], int], list[tuple[int, int, str, str]]]:
    """Merge the new evidence into the open alert of its (household, risk), or open one. Returns the alert
    key of every (household, risk) and the new alerts as (pk, household pk, risk, grade)."""
    by_alert: dict[tuple[int, str], list[int]] = defaultdict(list)
    for i, pair in enumerate(zip(evs.household_pk, evs.risk_code, strict=True)):
        by_alert[pair].append(i)
    if not by_alert:
        return {}, []
    open_alerts: dict[tuple[int, str], Alert] = {}
    risks = {r for _, r in by_alert}
    if Alert.objects.filter(status__in=Alert.OPEN_STATUSES).exists():
        for chunk in _chunks(sorted({hp for hp, _ in by_alert})):
            # Locked: a declaration or visit adding evidence meanwhile must not be overwritten by bulk_update.
            for open_alert in (
                Alert.objects.select_for_update()
                .filter(household_id__in=chunk, status__in=Alert.OPEN_STATUSES, risk_code__in=risks)
                .only(
                    "id",
                    "household_id",
                    "risk_code",
                    "grade",
                    "reason",
                    "channels",
                    "evidence_count",
                    "due_date",
                )
            ):
                open_alerts[(open_alert.household_id, open_alert.risk_code)] = open_alert  # type: ignore[index]  # household_id__in: never None
    region_of_household = dict(
        zip(
            households.column("household_pk").to_pylist(),
            households.column("region_id").to_pylist(),
            strict=True,
        )
    )
    today = timezone.localdate(now)
    due = {grade: Alert.due_for(grade, today) for grade in GRADE_RANK}

    def merge(alert: Alert, grade: str, reason: str, n: int) -> None:
        new_grade = higher_grade(alert.grade, grade)
        if new_grade != alert.grade:
            alert.due_date = min(alert.due_date, due[new_grade])
        alert.grade, alert.grade_rank = new_grade, GRADE_RANK[new_grade]
        alert.reason = merged_reason([alert.reason, reason])
        if DEPARTMENT not in alert.channels:
            alert.channels = [*alert.channels, DEPARTMENT]
        alert.evidence_count += n
        alert.last_evidence_at = now
        alert.updated_at = now
        to_update.append(alert)

    new: dict[str, list[Any]] = defaultdict(list)
    to_update: list[Alert] = []
    for (household_pk, risk), rows in by_alert.items():
        grade = evs.grade[rows[0]]
        for i in rows[1:]:
            grade = higher_grade(grade, evs.grade[i])
        reason = merged_reason(evs.reason[i] for i in rows)
        alert = open_alerts.get((household_pk, risk))
        if alert is None:
            code = evs.region_code[rows[0]]
            new["household_id"].append(household_pk)
            new["region_id"].append(villages.get(code[:12]) or region_of_household[household_pk])
            new["region_code"].append(code)
            new["risk_code"].append(risk)
            new["grade"].append(grade)
            new["grade_rank"].append(GRADE_RANK[grade])
            new["reason"].append(reason)
            new["evidence_count"].append(len(rows))
            new["due_date"].append(due[grade])
        else:
            merge(alert, grade, reason, len(rows))
    returned = insert_columns(
        Alert,
        len(new["household_id"]),
        {
            **new,
            "status": Const(Alert.Status.OPEN),
            "channels": Const([DEPARTMENT]),
            "raised_at": Const(now),
            "last_evidence_at": Const(now),
            "created_at": Const(now),
            "updated_at": Const(now),
        },
        returning=["id", "household_id", "risk_code"],
    )
    new_rows = list(zip(new["household_id"], new["risk_code"], new["grade"], new["reason"], strict=True))
    if returned is None:
        # SQLite: the run's write transaction began IMMEDIATE, so nobody else wrote meanwhile and every
        # row went in; their keys are looked up (the one open alert of each household and risk).
        created_pk: dict[tuple[int, str], int] = {}
        for chunk in _chunks(sorted(set(new["household_id"]))):
            created_pk.update(
                ((hp, risk), pk)
                for pk, hp, risk in Alert.objects.filter(
                    household_id__in=chunk, status__in=Alert.OPEN_STATUSES
                ).values_list("pk", "household_id", "risk_code")
            )
    else:
        created_pk = {(hp, risk): pk for pk, hp, risk in returned}
        # PostgreSQL: a pair skipped by ON CONFLICT was opened meanwhile by a declaration or a visit (the
        # insert waited for it to commit): the run's evidence is merged into that alert like any other.
        skipped = {
            (hp, risk): (grade, reason)
            for hp, risk, grade, reason in new_rows
            if (hp, risk) not in created_pk
        }
        for chunk in _chunks(sorted({hp for hp, _ in skipped})):
            for alert in Alert.objects.select_for_update().filter(
                household_id__in=chunk, status__in=Alert.OPEN_STATUSES, risk_code__in={r for _, r in skipped}
            ):
                pair = (alert.household_id, alert.risk_code)  # type: ignore[assignment]  # household_id__in: never None
                if pair in skipped:
                    merge(alert, *skipped.pop(pair), len(by_alert[pair]))
        if skipped:
            # Opened and already closed again by someone else within this instant: nothing to merge into.
            raise ValidationError(
                "保存筛查结果时,有预警正被其他人同时处理。本次没有写入任何结果,请重新运行本期筛查。"
            )
    created = [
        (created_pk[(hp, risk)], hp, risk, grade)
        for hp, risk, grade, _ in new_rows
        if (hp, risk) in created_pk
    ]
    if to_update:
        Alert.objects.bulk_update(
            to_update,
            [
                "grade",
                "grade_rank",
                "reason",
                "channels",
                "evidence_count",
                "due_date",
                "last_evidence_at",
                "updated_at",
            ],
            batch_size=500,
        )
    alert_pk = {
        **{(hp, risk): pk for pk, hp, risk, _ in created},
        **{(a.household_id, a.risk_code): a.pk for a in to_update},
    }
    counts.alerts_new, counts.alerts_merged = len(created), len(to_update)
    return alert_pk, created


def _evidence_store(
    evs: _Evidence,
    alert_ids: list[int | None],
    *,
    run: ScreeningRun,
    versions: dict[tuple[str, int], int],
    index: DeliveryIndex,
    now: dt.datetime,
) -> None:
    insert_columns(
        AlertEvidence,
        len(evs),
        {
            "alert_id": alert_ids,
            "household_id": evs.household_pk,
            "region_code": evs.region_code,
            "risk_code": evs.risk_code,
            "channel": Const(DEPARTMENT),
            "grade": evs.grade,
            "reason": evs.reason,
            "rule_version_id": [versions.get(rv) for rv in zip(evs.rule_id, evs.version, strict=True)],
            "feed": ["" if f == REGISTRY_FEED else f[:20] for f in evs.feed],
            "delivery_id": [
                src[0]["delivery"] if src else index.delivery_for(f, rk)
                for f, rk, src in zip(evs.feed, evs.record_keys, evs.sources, strict=True)
            ],
            "record_keys": _json_texts(evs.record_keys),
            "sources": _json_texts(evs.sources),
            "id_number": [v[:18] for v in evs.id_number],
            "amount": evs.amount,
            "threshold": evs.threshold,
            "run_id": Const(run.pk),
            "dedup_key": evs.key,
            "created_at": Const(now),
        },
        on_conflict=False,  # keys filtered against what exists under runs_lock; department keys only come from runs
    )


def _unmatched_store(
    unmatched: pa.Table,
    *,
    run: ScreeningRun,
    index: DeliveryIndex,
    villages: dict[str, int],
    now: dt.datetime,
) -> int:
    if unmatched.num_rows == 0:
        return 0
    cols = {name: unmatched.column(name).to_pylist() for name in unmatched.column_names}
    feeds = sorted(set(cols["feed"]))
    existing = set(UnmatchedRecord.objects.filter(feed__in=feeds).values_list("feed", "record_key"))
    region_codes = dict(Region.objects.values_list("id", "code"))
    rows: dict[str, list[Any]] = defaultdict(list)
    for i in range(unmatched.num_rows):
        feed, key = cols["feed"][i], _cut(cols["record_key"][i], 200)
        if (feed, key) in existing:
            continue
        existing.add((feed, key))
        delivery_id = index.delivery_for(feed, [cols["record_key"][i]])
        village_code = (cols["village_code"][i] or "").strip()
        if delivery_id is not None and not village_code.startswith(index.prefix_of.get(delivery_id, "\x00")):
            # A village outside the sender's region: its own region checks it (docs/security.md §3).
            village_code = ""
        region_id = villages.get(village_code) or index.region_of.get(delivery_id)  # type: ignore[arg-type]  # get(None) is None
        if region_id is None:
            continue  # no delivery of this feed is live: nothing to route it to (cannot come from a run)
        rows["feed"].append(feed)
        rows["delivery_id"].append(delivery_id)
        rows["record_key"].append(key)
        rows["name"].append(_cut(cols["name"][i], 50))
        rows["id_number"].append(_cut(cols["id_number"][i], 40))
        rows["problem"].append(_cut(cols["problem"][i], 20))
        rows["reason"].append(_cut(cols["reason"][i], 200))
        rows["event_date"].append(cols["event_date"][i])
        rows["sex"].append(_cut(cols["sex"][i], 6))
        rows["birth_date"].append(cols["birth_date"][i])
        rows["village"].append(_cut(cols["village"][i], 60))
        rows["region_id"].append(region_id)
        rows["region_code"].append(region_codes[region_id])
    n = len(rows["feed"])
    insert_columns(
        UnmatchedRecord,
        n,
        {
            **rows,
            "status": Const(UnmatchedRecord.Status.OPEN),
            "run_id": Const(run.pk),
            "created_at": Const(now),
            "updated_at": Const(now),
        },
        on_conflict=False,  # filtered against what exists under runs_lock; only runs write these
    )
    return n


def _out_of_region_store(
    foreign: list[tuple[_Evidence, int]],
    *,
    run: ScreeningRun,
    index: DeliveryIndex,
    households: pa.Table,
    villages: dict[str, int],
    now: dt.datetime,
) -> int:
    """外地记录,待核实 (docs/security.md §3): each record of a delivery whose region does not contain the
    household the record was matched to becomes an UnmatchedRecord of problem "out_of_region", routed to
    the household's village (its county sees it), naming the delivery and row. Never an alert."""
    if not foreign:
        return 0
    from dixian.domain import catalogue
    from dixian.domain.records import PROBLEMS

    region_of_household = dict(
        zip(
            households.column("household_pk").to_pylist(),
            households.column("region_id").to_pylist(),
            strict=True,
        )
    )
    region_codes = dict(Region.objects.values_list("id", "code"))
    region_names = dict(Region.objects.filter(pk__in=set(index.region_of.values())).values_list("id", "name"))
    existing = set(
        UnmatchedRecord.objects.filter(feed__in={d.feed for d in index.by_pk.values()}).values_list(
            "feed", "record_key"
        )
    )
    rows: dict[str, list[Any]] = defaultdict(list)
    for evs, i in foreign:
        region_id = villages.get(evs.region_code[i][:12]) or region_of_household.get(evs.household_pk[i])
        if region_id is None:
            continue
        for source in index.outside(evs.sources[i], evs.region_code[i]):
            delivery = index.by_pk[source["delivery"]]
            key = _cut(source["key"], 200)
            if (delivery.feed, key) in existing:
                continue
            existing.add((delivery.feed, key))
            spec = catalogue.feed(delivery.feed)
            row = f"第 {source['row']} 行" if source["row"] else f"记录号 {key}"
            sender = region_names.get(delivery.region_id, "")
            rows["feed"].append(delivery.feed)
            rows["delivery_id"].append(delivery.pk)
            rows["record_key"].append(key)
            rows["name"].append("")
            rows["id_number"].append(_cut(evs.id_number[i], 40))
            rows["problem"].append("out_of_region")
            rows["reason"].append(
                _cut(
                    f"{PROBLEMS['out_of_region']}。{sender}{spec.department}报送的{spec.name}记录"
                    f"(报送 #{delivery.pk} {row})对应本辖区农户,未计入预警,请核实",
                    200,
                )
            )
            rows["event_date"].append(None)
            rows["sex"].append("")
            rows["birth_date"].append(None)
            rows["village"].append("")
            rows["region_id"].append(region_id)
            rows["region_code"].append(region_codes[region_id])
    n = len(rows["feed"])
    insert_columns(
        UnmatchedRecord,
        n,
        {
            **rows,
            "status": Const(UnmatchedRecord.Status.OPEN),
            "run_id": Const(run.pk),
            "created_at": Const(now),
            "updated_at": Const(now),
        },
        on_conflict=False,  # filtered against what exists under runs_lock; only runs write these
    )
    return n
