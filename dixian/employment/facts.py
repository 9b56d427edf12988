"""Departments' facts about registry persons (docs/domain.md §23 "Departments' facts"): the accepted
deliveries of 人社 (`employment`: 就业登记 / 失业登记 / 社保断缴 with employer and place), 公安
(`civil_registry`: 死亡 / 迁出 / 迁入) and 教育 (`education`: 毕业 with the stage) copied into `DepartmentFact`
for the persons they name, so that the roll, the survey's pre-fill, the cross-check with 人社 and the key
groups read them with one indexed query instead of opening Parquet files.

- A delivery's rows are read from its canonical Parquet file (dixian/feeds/services.py) with the ID number
  normalised once in `NORMALISED_ID_COLUMN` (as dixian/funds/recipients.py reads them); a row names a person
  by that number, or, when it has none usable, by a probabilistic link that holds (automatic or accepted by a
  reviewer, `LinkCandidate`), keyed by the record key as screening keys it (dixian/domain/records.py).
- feeds sends `delivery_changed` inside the transaction that accepted a delivery or decided one of its links
  (dixian/feeds/signals.py); `delivery_facts_replace` runs in that same transaction and replaces the
  delivery's facts whole, so the facts exist exactly when the delivery does. A rejected delivery keeps none
  (an accepted one cannot be rejected afterwards: FeedDelivery.save refuses it); a deleted one loses them by
  CASCADE; `facts_rebuild` also drops the facts of any delivery not accepted (a status changed in bulk).
- Idempotent: replacing twice gives the same rows. `dixian employment_facts_rebuild` re-derives them all.
- `region_code` is the person's, and follows the person when the registry moves them (household_moved,
  person_moved), like every per-person record (docs/security.md §4).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from django.db import transaction

from dixian.domain import catalogue
from dixian.domain import dictionaries as d
from dixian.domain.idnumber import normalised_id
from dixian.domain.records import NORMALISED_ID_COLUMN, record_key
from dixian.feeds.models import FeedDelivery, LinkCandidate
from dixian.registry.models import Person
from dixian.registry.signals import moved_rows, moves_by_region

from .models import DepartmentFact

if TYPE_CHECKING:
    from dixian.regions.models import Region

logger = logging.getLogger("dixian.employment")

BATCH = 5_000  # rows per bulk INSERT and per IN list
LIVE = (FeedDelivery.Status.ACCEPTED, FeedDelivery.Status.SCREENED)
K = DepartmentFact.Kind

# The feed's value (its catalogue choice) → the fact's kind. 人社 and 公安 rows are facts whatever they say;
# 教育 rows are facts only when they say 毕业 (the other statuses are the registry's business, docs §23).
EVENTS: dict[str, dict[str, str]] = {
    "employment": {"就业登记": K.EMPLOYED, "失业登记": K.UNEMPLOYED, "社保断缴": K.INSURANCE_STOPPED},
    "civil_registry": {"死亡": K.DIED, "迁出": K.MOVED_OUT, "迁入": K.MOVED_IN},
    "education": {"毕业": K.GRADUATED},
}
FEEDS: tuple[str, ...] = tuple(EVENTS)
# Which column holds the event and which its date, per feed (dixian/domain/catalogue.py).
EVENT_COLUMN = {"employment": "event_type", "civil_registry": "change_type", "education": "enrolment_status"}
DATE_COLUMN = {"employment": "event_date", "civil_registry": "change_date", "education": "status_date"}
TEXT_MAX = 100  # DepartmentFact.employer / place


def stage_of(value: object) -> str:
    """The stage (dixian.domain.dictionaries STAGES) of the education feed's 学段 (中职 → secondary_vocational);
    "" when the value names none."""
    try:
        code = d.parse("student_status", value)
    except d.ParseError:
        return ""
    return d.student_stage(str(code))


@dataclass(frozen=True)
class Row:
    key: str | None  # the normalised ID number, None when the row has none usable
    record: str  # the record key (for probabilistic links)
    kind: str
    on: dt.date
    employer: str
    place: str
    stage: str


def _text(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())[:TEXT_MAX]


def delivery_rows(delivery: FeedDelivery) -> list[Row]:
    """The delivery's rows that are facts (an event of EVENTS with a date), from its Parquet file."""
    path: Path | None = delivery.rows_path
    if delivery.feed not in EVENTS or path is None or not path.exists():
        return []
    spec = catalogue.feed(delivery.feed)
    frame = pl.read_parquet(path)
    names = frame.columns
    event, day = EVENT_COLUMN[delivery.feed], DATE_COLUMN[delivery.feed]
    if event not in names or day not in names:
        return []
    # A delivery stored before the normalised column existed: normalise its numbers here (as recipients.py).
    if NORMALISED_ID_COLUMN not in names:
        frame = frame.with_columns(
            pl.col("id_number")
            .map_elements(normalised_id, return_dtype=pl.String)
            .alias(NORMALISED_ID_COLUMN)
            if "id_number" in names
            else pl.lit(None, dtype=pl.String).alias(NORMALISED_ID_COLUMN)
        )
    kinds = EVENTS[delivery.feed]
    frame = frame.filter(pl.col(event).is_in(list(kinds)) & pl.col(day).is_not_null())
    key_columns = [c for c in spec.record_key if c in names]
    out: list[Row] = []
    for values in frame.iter_rows(named=True):
        on = values[day]
        if isinstance(on, dt.datetime):
            on = on.date()
        if not isinstance(on, dt.date):
            continue
        key = values[NORMALISED_ID_COLUMN]
        out.append(
            Row(
                key=key or None,
                record="" if key else record_key(spec, {c: values.get(c) for c in key_columns}),
                kind=kinds[values[event]],
                on=on,
                employer=_text(values.get("employer")),
                place=_text(values.get("work_place")),
                stage=stage_of(values.get("stage")) if delivery.feed == "education" else "",
            )
        )
    return out


def _persons(keys: list[str]) -> dict[str, tuple[int, str]]:
    """Normalised ID number → (person pk, region code), one IN list per BATCH numbers."""
    out: dict[str, tuple[int, str]] = {}
    for i in range(0, len(keys), BATCH):
        rows = Person.objects.filter(id_number__in=keys[i : i + BATCH]).values_list(
            "id_number", "pk", "region_code"
        )
        out.update((n, (pk, code)) for n, pk, code in rows)
    return out


def _linked(feed: str, records: list[str]) -> dict[str, tuple[int, str]]:
    """Record key → (person pk, region code) of the probabilistic links that hold (automatic or accepted)."""
    out: dict[str, tuple[int, str]] = {}
    holding = [LinkCandidate.Status.AUTO, LinkCandidate.Status.ACCEPTED]
    for i in range(0, len(records), BATCH):
        rows = LinkCandidate.objects.filter(
            feed=feed, status__in=holding, record_key__in=records[i : i + BATCH]
        ).values_list("record_key", "person_id", "person__region_code")
        out.update((key, (pk, code)) for key, pk, code in rows)
    return out


def delivery_facts_replace(delivery: FeedDelivery) -> int:
    """Make the facts of `delivery` what its rows say now; returns the number of facts it has.

    A delivery of another feed, or not (or no longer) accepted, keeps none. Two rows of one delivery about
    the same person, kind and day are one fact (the first row's employer and place). Only the difference is
    written: facts that no longer hold are deleted, new ones inserted in bulk, unchanged ones left alone, so
    that a reviewer's link decision on a large delivery (which sends `delivery_changed` again) costs a read."""
    with transaction.atomic():
        if delivery.feed not in EVENTS or delivery.status not in LIVE:
            DepartmentFact.objects.filter(delivery_id=delivery.pk).delete()
            return 0
        rows = delivery_rows(delivery)
        persons = _persons(sorted({r.key for r in rows if r.key}))
        unmatched = sorted({r.record for r in rows if not r.key or r.key not in persons} - {""})
        links = _linked(delivery.feed, unmatched) if unmatched else {}
        wanted: dict[tuple[int, str, dt.date], tuple[str, str, str, str]] = {}
        for r in rows:
            person = persons.get(r.key) if r.key else None
            if person is None:
                person = links.get(r.record) if r.record else None
            if person is None:
                continue
            wanted.setdefault((person[0], r.kind, r.on), (person[1], r.employer, r.place, r.stage))
        stale: list[int] = []
        for pk, person_id, kind, on, *values in DepartmentFact.objects.filter(
            delivery_id=delivery.pk
        ).values_list("pk", "person_id", "kind", "on", "region_code", "employer", "place", "stage"):
            key = (person_id, kind, on)
            if wanted.get(key) == tuple(values):
                wanted.pop(key)  # already stored as it should be
                continue
            stale.append(pk)
        for i in range(0, len(stale), BATCH):
            DepartmentFact.objects.filter(pk__in=stale[i : i + BATCH]).delete()
        facts = [
            DepartmentFact(
                person_id=person_id,
                region_code=region_code,
                delivery_id=delivery.pk,
                kind=kind,
                on=on,
                employer=employer,
                place=place,
                stage=stage,
            )
            for (person_id, kind, on), (region_code, employer, place, stage) in wanted.items()
        ]
        DepartmentFact.objects.bulk_create(facts, batch_size=BATCH)
        return DepartmentFact.objects.filter(delivery_id=delivery.pk).count()


def facts_rebuild(*, feeds: Iterable[str] = FEEDS) -> dict[str, int]:
    """Re-derive the facts of every delivery of `feeds`: {"deliveries": n, "facts": n, "removed": n}.
    Facts of deliveries that are no longer accepted are removed (a rejection the signal did not see)."""
    wanted = [f for f in feeds if f in EVENTS]
    with transaction.atomic():
        removed, _ = (
            DepartmentFact.objects.filter(delivery__feed__in=wanted)
            .exclude(delivery__status__in=LIVE)
            .delete()
        )
        deliveries = list(
            FeedDelivery.objects.filter(feed__in=wanted, status__in=LIVE).order_by("created_at", "pk")
        )
        written = sum(delivery_facts_replace(delivery) for delivery in deliveries)
    return {"deliveries": len(deliveries), "facts": written, "removed": removed}


# ---- receivers (connected in EmploymentConfig.ready()) --------------------------------------------------


def facts_on_delivery_changed(*, delivery: FeedDelivery, **_: object) -> None:
    """feeds' `delivery_changed`: a delivery was accepted or one of its links decided; replace its facts."""
    if delivery.feed in EVENTS:
        written = delivery_facts_replace(delivery)
        logger.info("delivery %s (%s): %s department facts", delivery.pk, delivery.feed, written)


def facts_follow_households(*, moves: Mapping[int, Region], **_: object) -> dict[int, dict[str, list[int]]]:
    """registry's `household_moved`: the facts of the members take the household's new code."""
    moved: dict[int, dict[str, list[int]]] = {}
    for region, pks in moves_by_region(moves):
        for i in range(0, len(pks), BATCH):
            found = DepartmentFact.objects.filter(person__household_id__in=pks[i : i + BATCH])
            rows = list(found.order_by().values_list("pk", "person__household_id"))
            if rows:
                DepartmentFact.objects.filter(pk__in=[pk for pk, _ in rows]).update(region_code=region.code)
            for owner, named in moved_rows(rows, str(DepartmentFact._meta.verbose_name)).items():
                moved.setdefault(owner, {}).update(named)
    return moved


def facts_follow_persons(*, moves: Mapping[int, str], **_: Any) -> None:
    """registry's `person_moved`: a person's facts take the new household's code."""
    by_code: dict[str, list[int]] = {}
    for pk, code in moves.items():
        by_code.setdefault(code, []).append(pk)
    for code, pks in sorted(by_code.items()):
        for i in range(0, len(pks), BATCH):
            DepartmentFact.objects.filter(person_id__in=pks[i : i + BATCH]).update(region_code=code)
