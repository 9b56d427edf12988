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
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

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
_MAX_ROUNDS = 20  # closure rounds; a real chain of re-sent keys across households is one or two long


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
    rounds: int = 0
    rows: int = 0
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


class _FeedRows:
    """Every live delivery of the feeds, read once into narrow DuckDB tables `n_<feed>`: per row its number
    (`_row`, as the engine numbers the rows of the same list of Parquet files), the ID number it links by
    (`_eid`: Splink's link, else the normalised number), the hash of its record key where the key does not
    hold the ID number (`_k`), or its village (`_v`, water)."""

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
                "SELECT feed, record_key, min(upper(trim(id_number))) AS id_number FROM raw_links "
                "GROUP BY feed, record_key",
            )
            linked = {f for f in links.column("feed").unique().to_pylist() if f}
        for code, ds in self.by_feed.items():
            self._narrow(code, [str(d.rows_path) for d in ds], code in linked)

    def _narrow(self, code: str, paths: list[str], linked: bool) -> None:
        import pyarrow.parquet as pq

        feed = catalogue.feed(code)
        self.be.register(f"raw_{code}", paths, row_numbers=True)
        schemas = [pq.read_schema(p) for p in paths]
        fields: dict[str, pa.Field] = {}
        for schema in schemas:
            for f in schema:
                fields.setdefault(f.name, f)
        self.be.view(
            f"c_{code}", _canonical_feed_sql(self.d, feed, f"raw_{code}", pa.schema(fields.values()))
        )
        if feed.person_key is None:  # water: keyed by village
            self.be.materialise(f"n_{code}", f"SELECT _row, village_code AS _v FROM c_{code}")
            return
        key_id = key_id_from_normalised_sql(NORMALISED_ID_COLUMN, "id_number")
        if "id_number" in feed.record_key:
            k = "CAST(NULL AS BIGINT)"  # the key holds the ID: all copies of a record link alike
        else:
            k = self.d.hash64(*key_columns_sql(feed, d=self.d, key_id=key_id))
        if linked:
            lkey = record_key_sql(feed, d=self.d, key_id=key_id)
            self.be.materialise(
                f"n_{code}",
                f"SELECT r._row, coalesce(lk.id_number, r._id) AS _eid, r._k FROM ("
                f"  SELECT _row, {NORMALISED_ID_COLUMN} AS _id, {k} AS _k, {lkey} AS _lkey FROM c_{code}"
                f") r LEFT JOIN lk ON lk.feed = '{code}' AND lk.record_key = r._lkey",
            )
        else:
            self.be.materialise(
                f"n_{code}", f"SELECT _row, {NORMALISED_ID_COLUMN} AS _eid, {k} AS _k FROM c_{code}"
            )

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
    t0 = time.perf_counter()
    rows = _FeedRows(deliveries, links)
    be = rows.be
    try:
        timings["scope_read"] = round(time.perf_counter() - t0, 3)
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
        ids = persons_of(households) | set(scope.id_numbers)
        rounds = 0
        while True:
            rounds += 1
            be.register("ids", pa.table({"id": pa.array(sorted(ids), pa.string())}))
            seen: set[str] = set()
            for code in person_feeds:
                feed = catalogue.feed(code)
                where = f"_eid IN (SELECT id FROM ids) OR {_files_sql('_row', changed[code])}"
                if "id_number" in feed.record_key:
                    sql = f"SELECT _row, _eid FROM n_{code} WHERE {where}"
                else:
                    # Every row sharing a record key with one taken: the key's first row is then the same.
                    sql = (
                        f"SELECT _row, _eid FROM n_{code} WHERE _k IN "
                        f"(SELECT _k FROM n_{code} WHERE {where}) OR {where}"
                    )
                be.materialise(f"sel_{code}", sql)
                seen.update(
                    v
                    for v in be.fetch(f"SELECT DISTINCT _eid FROM sel_{code} WHERE _eid IS NOT NULL")
                    .column(0)
                    .to_pylist()
                    if v not in ids
                )
            grown = households_of_ids(seen) - households if seen else set()
            if not grown or rounds >= _MAX_ROUNDS:
                break
            households |= grown
            ids |= persons_of(grown)
        timings["scope_closure"] = round(time.perf_counter() - t0 - timings["scope_read"], 3)
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
        for code, ds in rows.by_feed.items():
            table = be.fetch(
                f"SELECT * FROM raw_{code} WHERE _row IN (SELECT _row FROM sel_{code}) ORDER BY _row"
            )
            total += table.num_rows
            files = pc.divide(table.column("_row"), pa.scalar(FILE, pa.int64()))
            read.update(ds[i].pk for i in pc.unique(files).to_pylist())
            now = [i for i, d in enumerate(ds) if d.period == period]
            if now:
                # This period's deliveries (the engine lists their rows older than the rules' windows).
                mask = pc.is_in(files, value_set=pa.array(now, pa.int64()))
                period_feeds[code] = table.filter(mask).drop_columns(["_row"])
            feeds[code] = table.drop_columns(["_row"])
        timings["scope_rows"] = round(
            time.perf_counter() - t0 - timings["scope_read"] - timings["scope_closure"], 3
        )
        return ScopedFeeds(
            households=households,
            feeds=feeds,
            period_feeds=period_feeds,
            deliveries=read,
            rounds=rounds,
            rows=total,
            timings=timings,
        )
    finally:
        rows.close()


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
