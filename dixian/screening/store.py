"""Storing a screening result in bulk: alerts, their evidence, case evidence and the 应纳未纳 list.

A city-scale run finds ~100k alerts: one ORM save per row would take longer than the screening. Here every
write is a handful of bulk statements, inside the caller's transaction (nothing half-written):
- each piece of evidence has a dedup key (`cases.services.evidence_dedup_key` of household, risk, channel,
  rule, version, feed and the sorted record keys); evidence whose key exists is skipped, so re-running a
  period adds nothing and touches no alert;
- new evidence for a household and risk goes into the household's OPEN alert of that risk (grade raised,
  reason extended, channel added, deadline shortened when the grade rises) or opens one;
- evidence of a risk the household is already monitored for is kept for its case (alert=None);
- feed records that match nobody become UnmatchedRecord rows (one per feed and record key), routed to the
  village they name when it exists, else to the region of the delivery that sent them.
The same code runs on SQLite and PostgreSQL.
"""
# ruff: noqa: S608 - SQL text here is built from model table/column names, never from input values.

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection
from django.db.models import Model
from django.utils import timezone

from dixian.cases.models import GRADE_RANK, Alert, AlertEvidence, Channel, UnmatchedRecord
from dixian.cases.services import evidence_dedup_key, higher_grade, merged_reason
from dixian.common.models import ChangeLog
from dixian.regions.models import Region

from .engine import RISK_TYPES, ScreeningResult
from .models import RuleVersion

if TYPE_CHECKING:
    import datetime as dt

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
    unmatched_new: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def _chunks[T](items: list[T], size: int = CHUNK) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _cut(value: str | None, length: int) -> str:
    return (value or "")[:length]


# Inserting many rows ---------------------------------------------------------------------------------


def insert_rows(model: type[Model], objs: list[Model], *, batch: int = CHUNK) -> None:
    """INSERT … ON CONFLICT DO NOTHING of model instances through `executemany` (SQLite ≥ 3.24 and
    PostgreSQL read the same statement). bulk_create compiles one multi-row statement per batch with a
    parameter per value, which at 100k+ rows costs several times more than the database's own work."""
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING"
    plain = {f.attname for f in fields if f.get_internal_type() in _PLAIN_TYPES}

    def values(o: Model) -> list[Any]:
        return [
            getattr(o, f.attname)
            if f.attname in plain
            else f.get_db_prep_save(getattr(o, f.attname), connection)
            for f in fields
        ]

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY into a scratch table, then one INSERT … SELECT: per-row statements cost a round trip each.
            scratch = connection.ops.quote_name(f"_scratch_{model._meta.db_table}")
            cursor.execute(f"CREATE TEMP TABLE {scratch} AS SELECT {cols} FROM {table} WITH NO DATA")
            try:
                with cursor.cursor.copy(f"COPY {scratch} ({cols}) FROM STDIN") as copy:
                    for o in objs:
                        copy.write_row(values(o))
                cursor.execute(
                    f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {scratch} ON CONFLICT DO NOTHING"
                )
            finally:
                cursor.execute(f"DROP TABLE {scratch}")
            return
        for chunk in _chunks(objs, batch):
            cursor.executemany(sql, [values(o) for o in chunk])


# Types whose Python value the driver binds as it is (no Django adaptation needed).
_PLAIN_TYPES = {
    "CharField",
    "TextField",
    "ForeignKey",
    "IntegerField",
    "BigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "BooleanField",
}


# Deliveries of a record ------------------------------------------------------------------------------


class DeliveryIndex:
    """Which delivery sent a record key. A feed with one live delivery needs no lookup; for a feed with
    several, the keys asked for are found in the deliveries' Parquet files with DuckDB (the first delivery
    that sent a key wins, as in the engine's dedup)."""

    def __init__(self, deliveries: Iterable[FeedDelivery]) -> None:
        self.by_feed: dict[str, list[FeedDelivery]] = defaultdict(list)
        for d in deliveries:
            self.by_feed[d.feed].append(d)
        self.keys: dict[tuple[str, str], int] = {}
        self.region_of = {d.pk: d.region_id for ds in self.by_feed.values() for d in ds}

    def prepare(self, wanted: dict[str, set[str]]) -> None:
        from dixian.feeds import catalogue

        for code, keys in wanted.items():
            deliveries = self.by_feed.get(code, [])
            if len(deliveries) < 2 or not keys:
                continue
            import duckdb

            spec = catalogue.feed(code)
            con = duckdb.connect()
            try:
                con.register("wanted", pa.table({"k": pa.array(sorted(keys), pa.string())}))
                parts = []
                for i, d in enumerate(deliveries):
                    cols = [
                        f"coalesce(CAST({c} AS VARCHAR), '')" if c in _parquet_names(d.rows_file) else "''"
                        for c in spec.record_key
                    ]
                    key = cols[0] if len(cols) == 1 else f"concat_ws('|', {', '.join(cols)})"
                    path = "'" + str(d.rows_file).replace("'", "''") + "'"
                    parts.append(f"SELECT {key} AS k, {i} AS n FROM read_parquet({path})")
                rows = con.execute(
                    f"SELECT r.k, min(r.n) FROM ({' UNION ALL '.join(parts)}) r "
                    "JOIN wanted w ON w.k = r.k GROUP BY r.k"
                ).fetchall()
            finally:
                con.close()
            for k, n in rows:
                self.keys[(code, k)] = deliveries[n].pk

    def delivery_for(self, feed_label: str, record_keys: list[str]) -> int | None:
        for code in feed_label.split("+"):
            deliveries = self.by_feed.get(code)
            if not deliveries:
                continue
            if len(deliveries) == 1:
                return deliveries[0].pk
            for key in record_keys:
                found = self.keys.get((code, key))
                if found is not None:
                    return found
            return deliveries[-1].pk  # not found (should not happen): the feed's newest delivery
        return None


_SCHEMA_NAMES: dict[str, set[str]] = {}


def _parquet_names(path: str) -> set[str]:
    if path not in _SCHEMA_NAMES:
        import pyarrow.parquet as pq

        _SCHEMA_NAMES[path] = set(pq.read_schema(path).names)
    return _SCHEMA_NAMES[path]


# Evidence rows --------------------------------------------------------------------------------------


@dataclass
class _Evidence:
    household_pk: int
    region_code: str
    risk_code: str
    rule_id: str
    version: int
    feed: str
    id_number: str
    record_keys: list[str]
    amount: Any
    threshold: Any
    grade: str
    reason: str
    key: str = ""


def _evidence_rows(table: pa.Table, household_pks: pa.Array) -> list[_Evidence]:
    cols = {name: table.column(name).to_pylist() for name in table.column_names}
    pks = household_pks.to_pylist()
    rows = []
    for i in range(table.num_rows):
        record_keys = sorted(cols["record_keys"][i] or [])
        ev = _Evidence(
            household_pk=pks[i],
            region_code=cols["region_code"][i],
            risk_code=cols["risk_code"][i],
            rule_id=cols["rule_id"][i],
            version=cols["rule_version"][i],
            feed=cols["feed"][i] or "",
            id_number=cols["id_number"][i] or "",
            record_keys=record_keys,
            amount=cols["amount"][i],
            threshold=cols["threshold"][i],
            grade=cols["grade"][i],
            reason=cols["reason"][i],
        )
        ev.key = evidence_dedup_key(
            ev.household_pk, ev.risk_code, DEPARTMENT, ev.rule_id, ev.version, ev.feed, "|".join(record_keys)
        )
        rows.append(ev)
    return rows


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
) -> StoreCounts:
    """Store `result` (see the module's docstring). Call inside a transaction. `households` is the registry
    table the run read (household_pk, household_no, region_id, region_code)."""
    import time

    now = now or timezone.now()
    counts = StoreCounts()
    t0 = time.perf_counter()

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
    existing = _existing_keys([e.key for e in alert_ev] + [e.key for e in case_ev])
    # The same fact twice in one result cannot happen (the engine groups it); guard anyway.
    seen: set[str] = set(existing)
    new_alert_ev, new_case_ev = [], []
    for ev, bucket in [(e, new_alert_ev) for e in alert_ev] + [(e, new_case_ev) for e in case_ev]:
        if ev.key not in seen:
            seen.add(ev.key)
            bucket.append(ev)
    lap("store_existing")

    index = DeliveryIndex(deliveries)
    wanted: dict[str, set[str]] = defaultdict(set)
    for ev in new_alert_ev + new_case_ev:
        for code in ev.feed.split("+"):
            wanted[code].update(ev.record_keys)
    unmatched = result.unmatched
    for code, key in zip(
        unmatched.column("feed").to_pylist(), unmatched.column("record_key").to_pylist(), strict=True
    ):
        wanted[code].add(key)
    index.prepare(wanted)
    versions = {
        (rid, v): pk for pk, rid, v in RuleVersion.objects.values_list("pk", "rule__rule_id", "version")
    }
    lap("store_deliveries")

    # Alerts: merge into the open one of (household, risk) or open a new one.
    by_alert: dict[tuple[int, str], list[_Evidence]] = defaultdict(list)
    for ev in new_alert_ev:
        by_alert[(ev.household_pk, ev.risk_code)].append(ev)
    open_alerts: dict[tuple[int, str], Alert] = {}
    pairs = list(by_alert)
    for chunk in _chunks(sorted({hp for hp, _ in pairs})):
        # Locked: a declaration or visit adding evidence meanwhile must not be overwritten by bulk_update.
        for alert in (
            Alert.objects.select_for_update()
            .filter(
                household_id__in=chunk, status__in=Alert.OPEN_STATUSES, risk_code__in={r for _, r in pairs}
            )
            .only(
                "id", "household_id", "risk_code", "grade", "reason", "channels", "evidence_count", "due_date"
            )
        ):
            open_alerts[(alert.household_id, alert.risk_code)] = alert
    villages = dict(Region.objects.filter(level=Region.Level.VILLAGE).values_list("code", "id"))
    region_of_household = (
        dict(
            zip(
                households.column("household_pk").to_pylist(),
                households.column("region_id").to_pylist(),
                strict=True,
            )
        )
        if by_alert
        else {}
    )
    today = timezone.localdate(now)
    to_create: list[Alert] = []
    to_update: list[Alert] = []
    for (household_pk, risk), evs in by_alert.items():
        grade = evs[0].grade
        for ev in evs[1:]:
            grade = higher_grade(grade, ev.grade)
        reason = merged_reason(ev.reason for ev in evs)
        alert = open_alerts.get((household_pk, risk))
        if alert is None:
            code = evs[0].region_code
            to_create.append(
                Alert(
                    household_id=household_pk,
                    region_id=villages.get(code[:12]) or region_of_household[household_pk],
                    region_code=code,
                    risk_code=risk,
                    grade=grade,
                    grade_rank=GRADE_RANK[grade],
                    status=Alert.Status.OPEN,
                    reason=reason,
                    channels=[DEPARTMENT],
                    evidence_count=len(evs),
                    raised_at=now,
                    due_date=Alert.due_for(grade, today),
                    last_evidence_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        else:
            new_grade = higher_grade(alert.grade, grade)
            if new_grade != alert.grade:
                alert.due_date = min(alert.due_date, Alert.due_for(new_grade, today))
            alert.grade, alert.grade_rank = new_grade, GRADE_RANK[new_grade]
            alert.reason = merged_reason([alert.reason, reason])
            if DEPARTMENT not in alert.channels:
                alert.channels = [*alert.channels, DEPARTMENT]
            alert.evidence_count += len(evs)
            alert.last_evidence_at = now
            alert.updated_at = now
            to_update.append(alert)
    insert_rows(Alert, to_create)
    # Their keys: the one open alert of each (household, risk) just written (a unique constraint).
    created_pk: dict[tuple[int, str], int] = {}
    new_pairs = sorted({(a.household_id, a.risk_code) for a in to_create})
    for chunk in _chunks(sorted({hp for hp, _ in new_pairs})):
        created_pk.update(
            ((hp, risk), pk)
            for pk, hp, risk in Alert.objects.filter(
                household_id__in=chunk, status__in=Alert.OPEN_STATUSES
            ).values_list("pk", "household_id", "risk_code")
        )
    for a in to_create:
        a.pk = created_pk[(a.household_id, a.risk_code)]
    created = to_create
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
    alert_pk = {(a.household_id, a.risk_code): a.pk for a in [*created, *to_update]}
    counts.alerts_new, counts.alerts_merged = len(created), len(to_update)
    lap("store_alerts")

    def evidence_obj(ev: _Evidence, alert_id: int | None) -> AlertEvidence:
        return AlertEvidence(
            alert_id=alert_id,
            household_id=ev.household_pk,
            region_code=ev.region_code,
            risk_code=ev.risk_code,
            channel=DEPARTMENT,
            grade=ev.grade,
            reason=ev.reason,
            rule_version_id=versions.get((ev.rule_id, ev.version)),
            feed="" if ev.feed == REGISTRY_FEED else _cut(ev.feed, 20),
            delivery_id=index.delivery_for(ev.feed, ev.record_keys),
            record_keys=ev.record_keys,
            id_number=_cut(ev.id_number, 18),
            amount=ev.amount,
            threshold=ev.threshold,
            run_id=run.pk,
            dedup_key=ev.key,
            created_at=now,
        )

    evidence = [evidence_obj(ev, alert_pk[(ev.household_pk, ev.risk_code)]) for ev in new_alert_ev]
    evidence += [evidence_obj(ev, None) for ev in new_case_ev]
    insert_rows(AlertEvidence, evidence)
    counts.evidence_new, counts.case_evidence_new = len(new_alert_ev), len(new_case_ev)
    lap("store_evidence")

    counts.unmatched_new = _unmatched_store(unmatched, run=run, index=index, villages=villages, now=now)
    lap("store_unmatched")

    if created:
        source = ChangeLog.Source.SYSTEM if actor is None else ChangeLog.Source.WEB
        name = (actor.get_full_name() or actor.username) if actor is not None else "系统"
        insert_rows(
            ChangeLog,
            [
                ChangeLog(
                    at=now,
                    actor=actor,
                    actor_name=name,
                    source=source,
                    reference=f"screening:{run.pk}",
                    entity="alert",
                    entity_id=a.pk,
                    household_id=a.household_id,
                    action=ChangeLog.Action.CREATE,
                    summary=f"预警线索:{RISK_TYPES[a.risk_code].name} {a.grade}({Channel.DEPARTMENT.label},筛查 {run.period})",
                )
                for a in created
            ],
        )
    lap("store_audit")
    return counts


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
    rows: list[UnmatchedRecord] = []
    for i in range(unmatched.num_rows):
        feed, key = cols["feed"][i], _cut(cols["record_key"][i], 200)
        if (feed, key) in existing:
            continue
        existing.add((feed, key))
        delivery_id = index.delivery_for(feed, [cols["record_key"][i]])
        village_code = (cols["village_code"][i] or "").strip()
        region_id = villages.get(village_code) or index.region_of.get(delivery_id)
        if region_id is None:
            continue  # no delivery of this feed is live: nothing to route it to (cannot come from a run)
        rows.append(
            UnmatchedRecord(
                feed=feed,
                delivery_id=delivery_id,
                record_key=key,
                name=_cut(cols["name"][i], 50),
                id_number=_cut(cols["id_number"][i], 40),
                problem=_cut(cols["problem"][i], 20),
                reason=_cut(cols["reason"][i], 200),
                event_date=cols["event_date"][i],
                sex=_cut(cols["sex"][i], 6),
                birth_date=cols["birth_date"][i],
                village=_cut(cols["village"][i], 60),
                region_id=region_id,
                region_code=region_codes[region_id],
                status=UnmatchedRecord.Status.OPEN,
                run_id=run.pk,
                created_at=now,
                updated_at=now,
            )
        )
    insert_rows(UnmatchedRecord, rows)
    return len(rows)
