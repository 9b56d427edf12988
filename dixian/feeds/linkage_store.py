"""Probabilistic linkage around the database: run it over deliveries, keep the candidates, review them.

- `deliveries_link` (called by the screening service before every run, for deliveries not linked yet):
  reads the deliveries' Parquet rows, calls `linkage.link_records`, stores the candidates in bulk and
  marks the deliveries linked. Automatic links (status auto) take part in screening at once; the others
  wait in the county reviewer's queue.
- `link_candidates_for_user` / `link_candidate_get_for_user`: the queue, scoped by the candidate
  person's region.
- `link_candidate_decide`: a reviewer accepts or rejects a candidate (accepting one rejects the record's
  other candidates), with an audit row, and the delivery's period is screened again.
"""
# ruff: noqa: S608 - SQL here reads Parquet files named by the deliveries; identifiers come from the catalogue.

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from dixian.accounts.capabilities import Capability, require, user_can
from dixian.common.access import scope_by_region
from dixian.common.audit import change_record
from dixian.common.masking import record_key_shown
from dixian.common.models import ChangeLog
from dixian.domain import catalogue
from dixian.domain.records import record_key_sql
from dixian.regions.models import Region
from dixian.registry.models import Person
from dixian.registry.signals import moved_rows, moves_by_region

from .labels import record_key_text
from .linkage import AUTO, METHOD_ID_EDIT, RECORD_COLUMNS, link_records
from .models import FeedDelivery, LinkCandidate
from .signals import delivery_changed

if TYPE_CHECKING:
    from dixian.accounts.models import User

_LOOKUP_CHUNK = 900  # ID numbers per query (SQLite allows 999 variables)


# Linking deliveries ---------------------------------------------------------------------------------


def _delivery_records(delivery: FeedDelivery) -> pa.Table | None:
    """The identity columns of a delivery's rows with their record key, as the screening engine keys them."""
    feed = catalogue.feed(delivery.feed)
    if feed.person_key is None or not delivery.rows_file:
        return None
    con = duckdb.connect(":memory:")
    try:
        # The path goes to DuckDB as a value, never as SQL text.
        con.read_parquet(str(delivery.rows_path)).create_view("src")
        present = set(con.sql("SELECT * FROM src LIMIT 0").columns)
        cols = [
            f"{col} AS {col}"
            if col in present
            else f"CAST(NULL AS {'DATE' if col == 'birth_date' else 'VARCHAR'}) AS {col}"
            for col in RECORD_COLUMNS
            if col not in ("feed", "record_key")
        ]
        return con.sql(
            f"SELECT '{feed.code}' AS feed, {record_key_sql(feed)} AS record_key, {', '.join(cols)}, "
            f"CAST({int(delivery.pk)} AS BIGINT) AS delivery_id FROM src"
        ).to_arrow_table()
    finally:
        con.close()


def _villages() -> pa.Table:
    rows = list(Region.objects.filter(level=Region.Level.VILLAGE).values_list("code", "name"))
    return pa.table(
        {"code": [r[0] for r in rows], "name": [r[1] for r in rows]},
        schema=pa.schema([("code", pa.string()), ("name", pa.string())]),
    )


def _person_keys(id_numbers: list[str]) -> dict[str, tuple[int, str, int]]:
    """{id_number: (person pk, region_code, household pk)} for the candidates' persons."""
    found: dict[str, tuple[int, str, int]] = {}
    for i in range(0, len(id_numbers), _LOOKUP_CHUNK):
        chunk = id_numbers[i : i + _LOOKUP_CHUNK]
        for idn, pk, region_code, household in Person.objects.filter(id_number__in=chunk).values_list(
            "id_number", "pk", "region_code", "household_id"
        ):
            found[idn] = (pk, region_code, household)
    return found


def deliveries_link(*, deliveries: list[FeedDelivery], persons: pa.Table) -> int:
    """Link the rows of `deliveries` that have no usable ID number; returns the number of candidates.

    persons: the registry as the screening run loaded it (id_number, name, sex, birth_date, region_code).
    Every delivery given is marked linked, also when none of its rows needed it. Candidates already stored
    for a record (an earlier delivery sent the same row) are kept as they are, decisions included.
    """
    tables = [t for t in (_delivery_records(d) for d in deliveries) if t is not None and t.num_rows]
    links = None
    if tables:
        records = pa.concat_tables(tables, promote_options="permissive")
        links = link_records(
            records,
            persons,
            upper=settings.DIXIAN_LINK_UPPER,
            lower=settings.DIXIAN_LINK_LOWER,
            villages=_villages(),
        )
    candidates: list[LinkCandidate] = []
    if links is not None and links.num_rows:
        # The record's own fields, for the reviewer's side-by-side view (first delivery that sent it).
        con = duckdb.connect(":memory:")
        try:
            con.register("records", records)
            con.register("links", links)
            rows = con.sql(
                """
SELECT l.feed, l.record_key, l.id_number, l.match_probability, l.match_weight, l.status,
       l.method, l.edit_kind, l.edit_position, r.delivery_id, r.name, r.id_number AS id_number_raw, r.sex, r.birth_date, r.village, r.village_code
FROM links l JOIN (
  SELECT * FROM records QUALIFY row_number() OVER (PARTITION BY feed, record_key ORDER BY delivery_id) = 1
) r ON r.feed = l.feed AND r.record_key = l.record_key
ORDER BY l.feed, l.record_key, l.match_probability DESC, l.id_number"""
            ).fetchall()
        finally:
            con.close()
        keys = _person_keys(sorted({row[2] for row in rows}))
        for row in rows:
            feed, key, idn, prob, weight, status, method, edit_kind, edit_position = row[:9]
            delivery_id, name, raw, sex, birth, village, vcode = row[9:]
            if idn not in keys:  # the person left the registry since the run loaded it
                continue
            person_pk, region_code, _ = keys[idn]
            candidates.append(
                LinkCandidate(
                    delivery_id=delivery_id,
                    feed=feed,
                    record_key=key[:200],
                    name=(name or "")[:50],
                    id_number_raw=(raw or "")[:40],
                    sex=(sex or "")[:6],
                    birth_date=birth,
                    village=(village or vcode or "")[:60],
                    person_id=person_pk,
                    region_code=region_code,
                    match_probability=prob,
                    match_weight=weight,
                    status=LinkCandidate.Status.AUTO if status == AUTO else LinkCandidate.Status.PENDING,
                    method=method,
                    edit_kind=edit_kind or "",
                    edit_position=edit_position,
                )
            )
    now = timezone.now()
    with transaction.atomic():
        LinkCandidate.objects.bulk_create(candidates, batch_size=2000, ignore_conflicts=True)
        FeedDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(linked_at=now)
        for d in deliveries:
            d.linked_at = now
            mine = [c for c in candidates if c.delivery_id == d.pk]
            if mine:
                auto = sum(1 for c in mine if c.status == LinkCandidate.Status.AUTO)
                edits = sum(1 for c in mine if c.method == METHOD_ID_EDIT)
                change_record(
                    actor=None,
                    source=ChangeLog.Source.SYSTEM,
                    entity="feed_delivery",
                    entity_id=d.pk,
                    household_id=None,
                    action=ChangeLog.Action.UPDATE,
                    summary=f"概率匹配:自动匹配 {auto} 条,待复核 {len(mine) - auto} 条"
                    + (f"(其中按姓名和录错一位的证件号码找到 {edits} 条)" if edits else ""),
                    reference=str(d.pk),
                )
    return len(candidates)


# The review queue -----------------------------------------------------------------------------------


def link_candidates_for_user(
    user: User, *, status: str = LinkCandidate.Status.PENDING
) -> QuerySet[LinkCandidate]:
    """Candidates whose person lies in the account's subtree; nothing for accounts that may not review."""
    if not user_can(user, Capability.LINKS_REVIEW):
        return LinkCandidate.objects.none()
    qs = LinkCandidate.objects.filter(status=status)
    return scope_by_region(user, qs, field="region_code").select_related(
        "delivery", "person", "person__household", "person__household__region"
    )


def link_candidate_get_for_user(user: User, pk: int) -> LinkCandidate:
    """One candidate in the account's scope (any status). 403 for roles that review nothing, 404 otherwise."""
    require(user, Capability.LINKS_REVIEW)
    qs = scope_by_region(user, LinkCandidate.objects.all(), field="region_code").select_related(
        "delivery", "person", "person__household", "person__household__region"
    )
    try:
        return qs.get(pk=pk)
    except LinkCandidate.DoesNotExist:
        raise Http404("候选记录不存在或不在您的管辖范围内") from None


@transaction.atomic
def link_candidate_decide(*, actor: User, candidate: LinkCandidate, accept: bool) -> LinkCandidate:
    """Accept or reject a pending candidate; accepting it rejects the record's other pending candidates.

    The delivery's period is screened again (screening enqueues a job on the `delivery_changed` signal), so
    that an accepted link becomes an alert at once and a rejected record goes back to the 应纳未纳 list.
    """
    locked = LinkCandidate.objects.select_for_update().get(pk=candidate.pk)
    if locked.status != LinkCandidate.Status.PENDING:
        raise ValidationError(f"这条候选已处理({locked.get_status_display()}),无需再复核;请刷新列表")
    now = timezone.now()
    new = LinkCandidate.Status.ACCEPTED if accept else LinkCandidate.Status.REJECTED
    others: list[LinkCandidate] = []
    if accept:
        others = list(
            LinkCandidate.objects.select_for_update()
            .filter(feed=locked.feed, record_key=locked.record_key, status=LinkCandidate.Status.PENDING)
            .exclude(pk=locked.pk)
        )
    household_of = dict(
        Person.objects.filter(pk__in=[locked.person_id, *(o.person_id for o in others)]).values_list(
            "pk", "household_id"
        )
    )
    for c, status in ((locked, new), *((o, LinkCandidate.Status.REJECTED) for o in others)):
        old = c.status
        c.status, c.decided_by, c.decided_at = status, actor, now
        c.save(update_fields=["status", "decided_by", "decided_at"])
        change_record(
            actor=actor,
            source=ChangeLog.Source.WEB,
            entity="link_candidate",
            entity_id=c.pk,
            household_id=household_of.get(c.person_id),
            action=ChangeLog.Action.UPDATE,
            changes={"status": [old, status]},
            summary=(
                f"概率匹配复核:{c.get_feed_display()}记录({record_key_text(c.feed, record_key_shown(c.feed, c.record_key, pii=False))})"
                f"{'确认为' if status == LinkCandidate.Status.ACCEPTED else '不是'}该人员"
                + ("(同一记录的另一候选已确认)" if c is not locked else "")
            ),
            reference=str(c.delivery_id),
        )
    delivery_changed.send(sender=LinkCandidate, delivery=locked.delivery, owner=actor)
    return locked


# Persons per UPDATE when their candidates follow a move (an IN list both databases take).
FOLLOW_CHUNK = 500


def candidates_follow_households(
    *, moves: Mapping[int, Region], **_: object
) -> dict[int, dict[str, list[int]]]:
    """The link candidates of a moved household's members take its new code: the reviewer of where the
    person lives now decides them (docs/security.md §4). Connected to registry's `household_moved`
    (apps.py), in the move's transaction."""
    moved: dict[int, dict[str, list[int]]] = {}
    for region, pks in moves_by_region(moves):
        for i in range(0, len(pks), FOLLOW_CHUNK):
            found = LinkCandidate.objects.filter(person__household_id__in=pks[i : i + FOLLOW_CHUNK])
            rows = list(found.order_by().values_list("pk", "person__household_id"))
            found.update(region_code=region.code)
            for owner, named in moved_rows(rows, str(LinkCandidate._meta.verbose_name)).items():
                moved.setdefault(owner, {}).update(named)
    return moved


def candidates_follow_persons(*, moves: Mapping[int, str], **_: object) -> None:
    """A person moved to a household of another village: their link candidates take its code
    (docs/security.md §4). Connected to registry's `person_moved` (apps.py), in the move's transaction."""
    by_code: dict[str, list[int]] = {}
    for pk, code in moves.items():
        by_code.setdefault(code, []).append(pk)
    for code, pks in sorted(by_code.items()):
        for i in range(0, len(pks), FOLLOW_CHUNK):
            LinkCandidate.objects.filter(person_id__in=pks[i : i + FOLLOW_CHUNK]).update(region_code=code)
