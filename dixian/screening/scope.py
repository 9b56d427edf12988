"""Incremental screening (docs/scale.md §3): the households a change touches, and their inputs only.

A run of a period screens every household in every feed; a delivery or a registry edit changes the facts of
a few. An incremental run screens just those households — their registry facts and their rows in every feed
the rules read — and stores what a full run would find for them. Its input is cut *before* the engine, so
the engine runs unchanged (DuckDB and Spark alike) over a registry of a few households and their rows.

What makes the cut exact (the result for the households in scope equals a full run's):
- a feed row belongs to the household of the person it links to: Splink's link when it has one, else its
  normalised ID number, as the engine links it (`core._linked_sql`);
- the engine keeps the first row of each record key (a re-sent row counts once). Where a key does not hold
  the ID number (医保结算单号, 残疾证号), two rows of one key may name different persons: every row sharing a
  key with a row in scope is taken too, and the households of the persons those rows name join the scope
  (repeated until nothing is added), so each key's first row is the same as in a full run;
- every row taken either links to a person of a household in scope, or links to nobody in the whole
  registry (then it is 应纳未纳, as in a full run): rows of the changed deliveries are taken whole, and the
  households of the persons they name join the scope;
- the water feed is keyed by village: the rows of the scope's villages are taken, and a changed water
  delivery brings every household of its villages.
"""
# ruff: noqa: S608 - SQL here is built from catalogue field names and the engine's own expressions; values
# go through `lit` or registered Arrow tables.

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dixian.domain import catalogue
from dixian.domain.records import (
    NORMALISED_ID_COLUMN,
    key_columns_sql,
    key_id_from_normalised_sql,
    record_key_sql,
)
from dixian.registry.models import Household, Person

from .engine.backends import DuckDBBackend
from .engine.core import _canonical_feed_sql

if TYPE_CHECKING:
    from dixian.feeds.models import FeedDelivery

_CHUNK = 900  # values per IN (...) look-up (SQLite allows 999 variables)
MAX_ROUNDS = 20  # closure rounds; a real chain of re-sent keys across households is one or two long


@dataclass
class Scope:
    """What changed: households edited (pks), ID numbers that left or changed (their rows must be screened
    again), deliveries that landed or had a link decided (read whole)."""

    households: set[int] = field(default_factory=set)
    id_numbers: set[str] = field(default_factory=set)
    deliveries: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.households or self.id_numbers or self.deliveries)


@dataclass
class ScopedFeeds:
    """The rows of the households in scope, per feed (Arrow tables with the deliveries' own columns, in the
    order a full run reads them), and the final set of households."""

    households: set[int]
    feeds: dict[str, pa.Table]
    period_feeds: dict[str, pa.Table]
    deliveries: set[int] = field(default_factory=set)  # those with rows in scope
    # delivery pk → (its rows in scope, their row numbers in its file): where the store finds which
    # delivery and row sent a record (store.DeliveryIndex) without reading the files again.
    rows_of: dict[int, tuple[pa.Table, np.ndarray]] = field(default_factory=dict)
    rounds: int = 0
    rows: int = 0
    whole: bool = False  # the closure did not settle within MAX_ROUNDS: screen the whole period instead
    timings: dict[str, float] = field(default_factory=dict)


def _chunks(values: list[Any], size: int = _CHUNK) -> list[list[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def persons_of(households: set[int]) -> set[str]:
    """The ID numbers of the members of `households`."""
    out: set[str] = set()
    for chunk in _chunks(sorted(households)):
        out.update(Person.objects.filter(household_id__in=chunk).values_list("id_number", flat=True))
    return out


def households_of_ids(ids: set[str]) -> set[int]:
    """The households of the registry persons with these ID numbers (the others are in no household)."""
    out: set[int] = set()
    for chunk in _chunks(sorted(ids)):
        out.update(Person.objects.filter(id_number__in=chunk).values_list("household_id", flat=True))
    return out


def households_of_villages(villages: set[str]) -> set[int]:
    """The households whose region code lies in one of these villages (12-digit codes)."""
    out: set[int] = set()
    for village in sorted(v for v in villages if v):
        out.update(
            Household.objects.filter(region_code__startswith=village[:12]).values_list("pk", flat=True)
        )
    return out


def villages_of(households: set[int]) -> set[str]:
    out: set[str] = set()
    for chunk in _chunks(sorted(households)):
        out.update(
            c[:12] for c in Household.objects.filter(pk__in=chunk).values_list("region_code", flat=True)
        )
    return out


FILE = 1099511627776  # the engine numbers row r of the i-th file of a feed i * FILE + r (backends.register)


SIDECAR = ".scope-v1.parquet"  # bump when what it holds, or how it is computed, changes


def sidecar_path(delivery: FeedDelivery) -> Path:
    """What an incremental run needs of each row of a delivery (see `sidecar_write`), kept under the data
    directory's screening-scope/ folder by delivery and content (never beside the rows: folders of
    deliveries are read as deliveries elsewhere). DuckDB's version is in the name: its hashes are stored."""
    import duckdb
    from django.conf import settings

    folder = Path(settings.DATA_DIR) / "screening-scope"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{delivery.pk}-{delivery.checksum[:16]}{SIDECAR[:-8]}-duckdb{duckdb.__version__}.parquet"


def sidecar_remove(*, instance: FeedDelivery, **_: object) -> None:
    """Remove the sidecars of a deleted delivery (any content and DuckDB version of it)."""
    from django.conf import settings

    folder = Path(settings.DATA_DIR) / "screening-scope"
    for path in folder.glob(f"{int(instance.pk)}-*{SIDECAR[:-8]}-duckdb*.parquet"):
        path.unlink(missing_ok=True)


def sidecar_write(delivery: FeedDelivery) -> Path:
    """Per row of a delivery (a delivery never changes once accepted, so this is computed once, on first
    use): `_o` its row number in the file, and for a person-keyed feed `_nid` the normalised ID number it
    links by, `_k` the hash of its record key where the key does not hold the ID number (null otherwise),
    `_lk` the hash of its record key as links name it; for water `_v` its village. Written to a temporary
    name and renamed: a reader never sees half a file."""
    import os
    import tempfile

    path = sidecar_path(delivery)
    if path.exists():
        return path
    feed = catalogue.feed(delivery.feed)
    be = DuckDBBackend()
    d = be.dialect
    try:
        rows = str(delivery.rows_path)
        be.register("raw", [rows], row_numbers=True)
        be.view("c", _canonical_feed_sql(d, feed, "raw", pq.read_schema(rows)))
        if feed.person_key is None:
            sql = "SELECT _row AS _o, village_code AS _v FROM c"
        else:
            key_id = key_id_from_normalised_sql(NORMALISED_ID_COLUMN, "id_number")
            # DuckDB's 64-bit hashes (UBIGINT): the sidecar's name carries DuckDB's version.
            k = (
                "CAST(NULL AS UBIGINT)"
                if "id_number" in feed.record_key
                else d.hash64(*key_columns_sql(feed, d=d, key_id=key_id))
            )
            lk = d.hash64(record_key_sql(feed, d=d, key_id=key_id))
            sql = f"SELECT _row AS _o, {NORMALISED_ID_COLUMN} AS _nid, {k} AS _k, {lk} AS _lk FROM c"
        table = be.fetch(sql + " ORDER BY _o")
    finally:
        be.close()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


class _FeedRows:
    """Every live delivery of the feeds, read from their sidecars into narrow DuckDB tables `n_<feed>`: per
    row its number `_row` (as the engine numbers the rows of the same list of Parquet files), the ID number
    it links by `_eid` (Splink's link, else its own), its own `_nid`, `_k` (see `sidecar_write`), or its
    village `_v` (water).

    A link is found by the hash of the record key: where two keys hashed alike, a row would take a link
    that is not its own. A row is therefore taken when either number is in scope, and both numbers' persons
    join the scope: the cut stays exact (a row too many is screened with its person's household)."""

    def __init__(self, deliveries: list[FeedDelivery], links: pa.Table | None) -> None:
        self.be = DuckDBBackend()
        self.d = self.be.dialect
        self.by_feed: dict[str, list[FeedDelivery]] = {}
        for delivery in deliveries:
            self.by_feed.setdefault(delivery.feed, []).append(delivery)
        linked: set[str] = set()
        if links is not None and links.num_rows:
            self.be.register("raw_links", links)
            # As the engine reads them (core.screen): one ID number per linked record key.
            self.be.materialise(
                "lk",
                f"SELECT feed, {self.d.hash64('record_key')} AS _lk, "
                "min(upper(trim(id_number))) AS id_number FROM raw_links GROUP BY feed, record_key",
            )
            linked = {f for f in links.column("feed").unique().to_pylist() if f}
        self.linked = linked
        for code, ds in self.by_feed.items():
            self._narrow(code, [str(sidecar_write(d)) for d in ds], code in linked)

    def _narrow(self, code: str, paths: list[str], linked: bool) -> None:
        files = " UNION ALL ".join(
            f"SELECT *, CAST({i} AS BIGINT) * {FILE} + _o AS _row FROM read_parquet('{p.replace(chr(39), chr(39) * 2)}')"
            for i, p in enumerate(paths)
        )
        if catalogue.feed(code).person_key is None:  # water: keyed by village
            self.be.materialise(f"n_{code}", f"SELECT _row, _v FROM ({files}) r")
        elif linked:
            self.be.materialise(
                f"n_{code}",
                f"SELECT r._row, coalesce(lk.id_number, r._nid) AS _eid, r._nid, r._k FROM ({files}) r "
                f"LEFT JOIN (SELECT _lk, min(id_number) AS id_number FROM lk WHERE feed = '{code}' GROUP BY _lk) lk "
                "ON lk._lk = r._lk",
            )
        else:
            self.be.materialise(f"n_{code}", f"SELECT _row, _nid AS _eid, _nid, _k FROM ({files}) r")

    def indices(self, code: str, wanted: set[int]) -> list[int]:
        """Positions (in the feed's list of deliveries) of the deliveries `wanted` (pks)."""
        return [i for i, d in enumerate(self.by_feed.get(code, [])) if d.pk in wanted]

    def close(self) -> None:
        self.be.close()


def _files_sql(column: str, indices: list[int]) -> str:
    if not indices:
        return "FALSE"
    return f"({column} // {FILE}) IN ({', '.join(str(i) for i in indices)})"


def scope_feeds(
    *, scope: Scope, deliveries: list[FeedDelivery], links: pa.Table | None, period: str
) -> ScopedFeeds:
    """The households in scope (grown as the module's docstring says) and their rows of every feed of
    `deliveries` (all the live deliveries a full run of `period` reads), as the engine's inputs."""
    timings: dict[str, float] = {}
    clock = [time.perf_counter(), time.process_time()]

    def lap(name: str) -> None:
        """Wall and CPU seconds of a step (CPU: this process's threads, DuckDB's included)."""
        now = [time.perf_counter(), time.process_time()]
        timings[name] = round(now[0] - clock[0], 3)
        timings[f"{name}_cpu"] = round(now[1] - clock[1], 3)
        clock[:] = now

    rows = _FeedRows(deliveries, links)
    be = rows.be
    try:
        lap("scope_read")
        households = set(scope.households)
        changed = {code: rows.indices(code, scope.deliveries) for code in rows.by_feed}
        person_feeds = [c for c in rows.by_feed if catalogue.feed(c).person_key is not None]
        water = "water" in rows.by_feed
        if water and changed["water"]:
            # A changed water delivery speaks about villages: every household of them.
            found = be.fetch(
                f"SELECT DISTINCT _v FROM n_water WHERE {_files_sql('_row', changed['water'])}"
            ).column(0)
            households |= households_of_villages({v for v in found.to_pylist() if v})
        # An ID number that left a person may meanwhile be another's (a later edit, a bulk import): the
        # household now holding it joins the scope, or its rows would be screened as nobody's (§3).
        households |= households_of_ids(set(scope.id_numbers))
        ids = persons_of(households) | set(scope.id_numbers)
        looked_up: set[str] = set(ids)  # numbers whose household is known (or that have none)
        rounds = 0
        new = set(ids)  # the numbers this round looks for: all at first, then those of the households added
        for code in person_feeds:
            be.run(f"CREATE OR REPLACE TEMP TABLE sel_{code} (_row BIGINT)")
        while True:
            rounds += 1
            be.register("ids", pa.table({"id": pa.array(sorted(new), pa.string())}))
            seen: set[str] = set()
            for code in person_feeds:
                feed = catalogue.feed(code)
                # Hash joins on the numbers (one per number a row carries), and the changed deliveries' rows.
                hits = [f"SELECT n._row, n._k FROM n_{code} n JOIN ids ON ids.id = n._eid"]
                if code in rows.linked:
                    hits.append(f"SELECT n._row, n._k FROM n_{code} n JOIN ids ON ids.id = n._nid")
                if rounds == 1 and changed[code]:
                    hits.append(f"SELECT _row, _k FROM n_{code} WHERE {_files_sql('_row', changed[code])}")
                hit = " UNION ALL ".join(hits)
                if "id_number" not in feed.record_key:
                    # Every row sharing a record key with one taken: the key's first row is then the same.
                    hit = (
                        f"SELECT _row FROM n_{code} WHERE _k IN (SELECT _k FROM ({hit}) h) "
                        f"UNION ALL SELECT _row FROM ({hit}) h"
                    )
                be.materialise(
                    f"new_{code}",
                    f"SELECT DISTINCT _row FROM ({hit}) x WHERE _row NOT IN (SELECT _row FROM sel_{code})",
                )
                be.run(f"INSERT INTO sel_{code} SELECT _row FROM new_{code}")
                seen.update(
                    v
                    for v in be.fetch(
                        f"SELECT n._eid FROM n_{code} n JOIN new_{code} w ON w._row = n._row "
                        f"WHERE n._eid IS NOT NULL UNION "
                        f"SELECT n._nid FROM n_{code} n JOIN new_{code} w ON w._row = n._row WHERE n._nid IS NOT NULL"
                    )
                    .column(0)
                    .to_pylist()
                    if v not in looked_up
                )
            looked_up |= seen
            grown = households_of_ids(seen) - households if seen else set()
            if not grown:
                break
            if rounds >= MAX_ROUNDS:
                # Still growing: the cut would not be exact (the households found now would keep their
                # rows as nobody's). The caller screens the period in full instead (§3).
                return ScopedFeeds(
                    households=households, feeds={}, period_feeds={}, rounds=rounds, whole=True
                )
            households |= grown
            new = persons_of(grown) - ids
            ids |= new
            looked_up |= new
        lap("scope_closure")
        if water:
            villages = villages_of(households)
            be.register("villages", pa.table({"v": pa.array(sorted(villages), pa.string())}))
            be.materialise(
                "sel_water",
                f"SELECT _row FROM n_water WHERE _v IN (SELECT v FROM villages) "
                f"OR {_files_sql('_row', changed['water'])}",
            )
        feeds: dict[str, pa.Table] = {}
        period_feeds: dict[str, pa.Table] = {}
        total = 0
        read: set[int] = set()
        rows_of: dict[int, tuple[pa.Table, np.ndarray]] = {}
        for code, ds in rows.by_feed.items():
            wanted = be.fetch(f"SELECT _row FROM sel_{code} ORDER BY _row").column(0).to_numpy()
            files = wanted // FILE
            parts, now = [], []
            for i, delivery in enumerate(ds):
                mine = wanted[files == i] - i * FILE
                if not len(mine):
                    continue
                read.add(delivery.pk)
                part = _rows_at(be, str(delivery.rows_path), mine)
                parts.append(part)
                rows_of[delivery.pk] = (part, mine)
                if delivery.period == period:
                    now.append(part)
            schemas = [pq.read_schema(str(d.rows_path)) for d in ds]
            total += len(wanted)
            feeds[code] = _concat(parts, schemas)
            if any(d.period == period for d in ds):
                # This period's deliveries (the engine lists their rows older than the rules' windows).
                period_feeds[code] = _concat(
                    now, [s for s, d in zip(schemas, ds, strict=True) if d.period == period]
                )
        lap("scope_rows")
        return ScopedFeeds(
            households=households,
            feeds=feeds,
            period_feeds=period_feeds,
            deliveries=read,
            rows_of=rows_of,
            rounds=rounds,
            rows=total,
            timings=timings,
        )
    finally:
        rows.close()


def _rows_at(be: DuckDBBackend, path: str, rows: np.ndarray) -> pa.Table:
    """Rows `rows` (ascending row numbers) of a Parquet file, in that order. DuckDB finds them by their row
    number first and decodes the other columns of those rows only (a fifth of the CPU time of decoding the
    file: docs/scale.md §3)."""
    be.con.register("wanted_rows", pa.table({"r": pa.array(rows, pa.int64())}))
    try:
        quoted = "'" + path.replace("'", "''") + "'"
        return be.fetch(
            f"SELECT * EXCLUDE (file_row_number) FROM read_parquet({quoted}, file_row_number = true) "
            "WHERE file_row_number IN (SELECT r FROM wanted_rows) ORDER BY file_row_number"
        )
    finally:
        be.con.unregister("wanted_rows")


def _concat(parts: list[pa.Table], schemas: list[pa.Schema]) -> pa.Table:
    """The rows of a feed's deliveries as one table with the union of their columns (as the engine's
    UNION ALL BY NAME of the files has them)."""
    if parts:
        return pa.concat_tables(parts, promote_options="permissive")
    return pa.unify_schemas(schemas, promote_options="permissive").empty_table()


def needs_linking(deliveries: list[FeedDelivery]) -> bool:
    """Whether a row of these deliveries may need probabilistic linkage: no usable ID number, or one that
    nobody in the registry has (what `feeds.linkage.link_records` takes up; the others link by their ID)."""
    rows = _FeedRows([d for d in deliveries if catalogue.feed(d.feed).person_key is not None], None)
    try:
        ids: set[str] = set()
        for code in rows.by_feed:
            if rows.be.fetch(f"SELECT count(*) FROM n_{code} WHERE _eid IS NULL").column(0)[0].as_py():
                return True
            ids.update(rows.be.fetch(f"SELECT DISTINCT _eid FROM n_{code}").column(0).to_pylist())
    finally:
        rows.close()
    found: set[str] = set()
    for chunk in _chunks(sorted(ids)):
        found.update(Person.objects.filter(id_number__in=chunk).values_list("id_number", flat=True))
    return found != ids
