"""Key groups (重点群体, docs/domain.md §23): kept from the survey records and the departments' facts, never typed.

`keygroups_refresh(person_ids)` recomputes, for these persons, every membership from the whole of their records
(a correction of March decides whether April's record makes a 返乡回流), and writes the difference: a new
membership is opened (`since` = the month, `entered_on` = the day the platform learnt it), one whose condition
ended is closed (`until` = the month it ended). It is idempotent (a second call writes nothing) and bulk (a few
queries per 2,000 persons). A membership that no longer has any support is deleted, unless follow-ups were
recorded on it: then it is kept, closed at its own first month, so the village's work is not lost.

The rules, per group (docs/domain.md §23):
- 返乡回流: the previous record working away (省内县外, 省外, 国外), this one not working; leaves at the first
  record working again;
- 雨露计划毕业生: graduated (教育 GRADUATED fact) from 中职 (含技工、技师学院) or 高职; leaves at the first record
  working from the graduation month on, which is the first job (its month is `until`);
- 有就业意愿未就业: the record not working and willing; leaves at a record working or not willing;
- 弱劳动力、半劳动力: 弱劳动力或半劳动力 (the registry's 劳动技能, as it is now), the record not working, and no
  公益性岗位 held in the record's month; leaves when working, holding a post, or no longer 弱劳动力.
A person no longer on the labour roll of the current month (died, moved out, past working age …) leaves every
group at the current month: a key-group member is someone to help into work, and the roll says who that is.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import code_in_scope, region_range_q
from dixian.domain import employment as e
from dixian.domain.dictionaries import LABOUR_WEAK
from dixian.regions.models import Region
from dixian.registry.models import Person
from dixian.registry.signals import moved_rows, moves_by_region

from .batched import in_batches
from .models import DepartmentFact, Employment, FollowUp, KeyGroupMember, PostHolding
from .roll import on_roll

if TYPE_CHECKING:
    from dixian.accounts.models import User

CHUNK = 2000
# The education feed's stages that make a 雨露计划 graduate (中职 includes 技工学校 and 技师学院: STAGE_LABELS).
YULU_STAGES: tuple[str, ...] = ("secondary_vocational", "higher_vocational")
REASON_MAX = 200
# Kept, not deleted, when the records no longer support a membership that has follow-ups.
CORRECTED = "摸排记录更正后不再符合,保留已记录的跟踪帮扶"
LEFT_ROLL = "不在本月劳动力名册"


def current_month(today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()).replace(day=1)


@dataclass
class Span:
    """A membership the records support: from `since` (a month) until `until` (the month it ended, or None)."""

    group: str
    since: dt.date
    # The day the platform learnt of the entry: the fact's date, or None for a survey record's (read, only for
    # the memberships being opened, from the record of `since`: a datetime per record is costly to convert).
    evidence_on: dt.date | None
    reason: str
    until: dt.date | None = None
    left: str = ""

    def text(self) -> str:
        return (self.reason + (f";{self.left}" if self.left else ""))[:REASON_MAX]


@dataclass
class _Record:
    month: dt.date
    working: bool
    place_tier: str
    willing: bool | None


@dataclass
class _Person:
    pk: int
    household_id: int
    region_code: str
    weak: bool
    records: list[_Record] = field(default_factory=list)
    graduations: list[tuple[dt.date, str]] = field(default_factory=list)
    holdings: list[tuple[dt.date, dt.date | None]] = field(default_factory=list)


def _tier(code: str) -> str:
    return dict(e.choices("place_tier")).get(code, code)


def _holds_post(p: _Person, month: dt.date) -> bool:
    end = e.month_end(month)
    return any(start <= end and (stop is None or stop >= month) for start, stop in p.holdings)


Holds = Callable[["_Person", "_Record | None", "_Record", bool], bool]
Entry = Callable[["_Record | None", "_Record"], str]
Leave = Callable[["_Record"], str]


def _condition_spans(p: _Person, group: str, holds: Holds, entry: Entry, leave_text: Leave) -> list[Span]:
    """Spans of a group whose condition is read record by record: open at the first record that holds it,
    closed at the first that does not."""
    spans: list[Span] = []
    current: Span | None = None
    previous: _Record | None = None
    for record in p.records:
        inside = holds(p, previous, record, current is not None)
        if inside and current is None:
            current = Span(group, record.month, None, entry(previous, record))
            spans.append(current)
        elif not inside and current is not None:
            current.until, current.left = record.month, leave_text(record)
            current = None
        previous = record
    return spans


def _returned(p: _Person) -> list[Span]:
    def holds(_p: _Person, prev: _Record | None, rec: _Record, inside: bool) -> bool:
        if rec.working:
            return False
        if inside:
            return True  # still home: stays until working again
        return prev is not None and prev.working and prev.place_tier in e.AWAY_TIERS

    def entry(prev: _Record | None, rec: _Record) -> str:
        assert prev is not None
        return (
            f"{e.month_label(prev.month)}在{_tier(prev.place_tier)}务工,{e.month_label(rec.month)}返乡未务工"
        )

    return _condition_spans(p, e.RETURNED, holds, entry, lambda r: f"{e.month_label(r.month)}重新务工")


def _willing_idle(p: _Person) -> list[Span]:
    def holds(_p: _Person, _prev: _Record | None, rec: _Record, _inside: bool) -> bool:
        return not rec.working and rec.willing is True

    def left(rec: _Record) -> str:
        return f"{e.month_label(rec.month)}{'已务工' if rec.working else '无就业意愿'}"

    return _condition_spans(
        p, e.WILLING_IDLE, holds, lambda _prev, rec: f"{e.month_label(rec.month)}未务工、有就业意愿", left
    )


def _weak_labour(p: _Person) -> list[Span]:
    """弱劳动力、半劳动力 not working and holding no 公益性岗位 (docs/domain.md §23). The post is read not only at
    the months with a record: a post taken in a month without one closes the span at that month."""
    if not p.weak:
        return []
    post_months = {start.replace(day=1) for start, _ in p.holdings}
    records = {r.month: r for r in p.records}
    spans: list[Span] = []
    current: Span | None = None
    for month in sorted(post_months | set(records)):
        record = records.get(month)
        if record is None:  # a post starts in a month without a record: it can close, never open
            if current is not None and _holds_post(p, month):
                current.until, current.left = month, f"{e.month_label(month)}已安置公益性岗位"
                current = None
            continue
        inside = not record.working and not _holds_post(p, month)
        if inside and current is None:
            reason = f"弱劳动力或半劳动力,{e.month_label(month)}未务工、未在公益性岗位"
            current = Span(e.WEAK_LABOUR, month, None, reason)
            spans.append(current)
        elif not inside and current is not None:
            left = "已务工" if record.working else "已安置公益性岗位"
            current.until, current.left = month, f"{e.month_label(month)}{left}"
            current = None
    return spans


def _yulu(p: _Person) -> list[Span]:
    spans: list[Span] = []
    for on, stage in sorted(p.graduations):
        month = on.replace(day=1)
        if spans and (spans[-1].until is None or spans[-1].until >= month):
            continue  # still a graduate looking for the first job (a second diploma changes nothing)
        label = "高职" if stage == "higher_vocational" else "中职(技工)"
        span = Span(e.YULU_GRADUATE, month, on, f"{on:%Y-%m-%d}{label}毕业")
        for record in p.records:
            if record.month >= month and record.working:
                span.until = record.month
                span.left = f"{e.month_label(record.month)}首次就业"
                break
        spans.append(span)
    return spans


def spans_of(p: _Person) -> list[Span]:
    """Every membership the person's records and facts support (the rules of docs/domain.md §23)."""
    return [*_returned(p), *_yulu(p), *_willing_idle(p), *_weak_labour(p)]


def _load(ids: Sequence[int]) -> dict[int, _Person]:
    persons = {
        pk: _Person(pk, household_id, region_code, skill == LABOUR_WEAK)
        for pk, household_id, region_code, skill in Person.objects.filter(pk__in=ids).values_list(
            "pk", "household_id", "region_code", "labour_skill"
        )
    }
    records = (
        Employment.objects.filter(person_id__in=ids)
        .order_by("person_id", "month")
        .values_list("person_id", "month", "working", "place_tier", "willing")
    )
    for person_id, month, working, tier, willing in records:
        if person_id in persons:
            persons[person_id].records.append(_Record(month, working, tier, willing))
    facts = DepartmentFact.objects.filter(
        person_id__in=ids, kind=DepartmentFact.Kind.GRADUATED, stage__in=YULU_STAGES
    ).values_list("person_id", "on", "stage")
    for person_id, on, stage in facts:
        if person_id in persons:
            persons[person_id].graduations.append((on, stage))
    for person_id, start, end in PostHolding.objects.filter(person_id__in=ids).values_list(
        "person_id", "start", "end"
    ):
        if person_id in persons:
            persons[person_id].holdings.append((start, end))
    return persons


@dataclass
class RefreshStats:
    persons: int = 0
    opened: int = 0
    closed: int = 0
    changed: int = 0
    deleted: int = 0

    def add(self, other: RefreshStats) -> None:
        self.persons += other.persons
        self.opened += other.opened
        self.closed += other.closed
        self.changed += other.changed
        self.deleted += other.deleted


def keygroups_refresh(
    person_ids: Iterable[int], months: Iterable[dt.date] = (), *, today: dt.date | None = None
) -> RefreshStats:
    """Recompute the key-group memberships of `person_ids` (docs/domain.md §23) and write the difference.

    `months` (the survey months that changed) is accepted for the signal and not needed: the whole history
    of each person is read, since one month's record decides the next month's entry. Runs in the caller's
    transaction, or its own per chunk."""
    today = today or timezone.localdate()
    ids = sorted(set(person_ids))
    stats = RefreshStats()
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            stats.add(_refresh_chunk(ids[start : start + CHUNK], today))
    return stats


def _refresh_chunk(ids: list[int], today: dt.date) -> RefreshStats:
    stats = RefreshStats(persons=len(ids))
    # Two refreshes of the same persons at once (a survey write and the nightly job) would both insert the
    # same open membership (key_group_member_unique/open): the persons are locked first, in one order, so the
    # second waits and reads the first's rows. SQLite ignores the lock (its writers take turns anyway).
    list(Person.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    persons = _load(ids)
    month = current_month(today)
    # A record of a month to come (refused by the survey) opens nothing yet.
    found_spans = {p.pk: [s for s in spans_of(p) if s.since <= month] for p in persons.values()}
    # The roll is asked only about the persons an open membership would keep in a group.
    still_on_roll = on_roll(
        [pk for pk, found in found_spans.items() if any(s.until is None for s in found)], month
    )
    wanted: dict[tuple[int, str], list[Span]] = defaultdict(list)
    for pk, found in found_spans.items():
        for span in found:
            if span.until is None and pk not in still_on_roll:
                span.until, span.left = max(month, span.since), LEFT_ROLL
            wanted[(pk, span.group)].append(span)
    existing: dict[tuple[int, str], list[KeyGroupMember]] = defaultdict(list)
    members = (
        KeyGroupMember.objects.filter(person_id__in=ids)
        .annotate(follow_up_count=Count("follow_ups"))
        .order_by("person_id", "group", "since")
    )
    for m in members:
        existing[(m.person_id, m.group)].append(m)

    deletes: list[int] = []
    closed_updates: list[KeyGroupMember] = []
    open_updates: list[KeyGroupMember] = []
    creates: list[KeyGroupMember] = []
    for key in set(wanted) | set(existing):
        person = persons.get(key[0])
        spans = wanted.get(key, [])
        rows = existing.get(key, [])
        matched = _match(spans, rows)
        for span, row in matched:
            if row is not None and span.left == LEFT_ROLL and row.until is not None:
                span.until = row.until  # left the roll in an earlier month: that month stays
            if row is None:
                assert person is not None
                creates.append(
                    KeyGroupMember(
                        person_id=person.pk,
                        household_id=person.household_id,
                        region_code=person.region_code,
                        group=span.group,
                        since=span.since,
                        entered_on=span.evidence_on or span.since,  # see _entered_on_fill
                        until=span.until,
                        reason=span.text(),
                    )
                )
                stats.opened += 1
                continue
            new: dict[str, object] = {"since": span.since, "until": span.until, "reason": span.text()}
            if person is not None:
                new |= {"household_id": person.household_id, "region_code": person.region_code}
            if any(getattr(row, name) != value for name, value in new.items()):
                if row.until is None and span.until is not None:
                    stats.closed += 1
                else:
                    stats.changed += 1
                for name, value in new.items():
                    setattr(row, name, value)
                (open_updates if row.until is None else closed_updates).append(row)
        used = {row.pk for _, row in matched if row is not None}
        for row in rows:
            if row.pk in used:
                continue
            if row.follow_up_count:  # type: ignore[attr-defined]  # the annotation above
                if row.until != row.since or row.reason != CORRECTED:
                    row.until, row.reason = row.since, CORRECTED
                    closed_updates.append(row)
                    stats.closed += 1
            else:
                deletes.append(row.pk)
                stats.deleted += 1
    # In this order, so neither unique constraint (one open row; one row per since) sees two rows at once.
    if deletes:
        KeyGroupMember.objects.filter(pk__in=deletes).delete()
    fields = ["since", "until", "reason", "household_id", "region_code"]
    if closed_updates:
        KeyGroupMember.objects.bulk_update(closed_updates, fields, batch_size=500)
    if open_updates:
        KeyGroupMember.objects.bulk_update(open_updates, fields, batch_size=500)
    if creates:
        _entered_on_fill(creates, today)
        KeyGroupMember.objects.bulk_create(creates, batch_size=500)
    return stats


def _entered_on_fill(creates: list[KeyGroupMember], today: dt.date) -> None:
    """The day each new membership entered: the day the record of its first month was recorded (one query),
    or the fact's date already set; never before that month, never after today."""
    by_record = {(m.person_id, m.since): m for m in creates if m.group != e.YULU_GRADUATE}
    if by_record:
        recorded = Employment.objects.filter(
            person_id__in={p for p, _ in by_record}, month__in={s for _, s in by_record}
        ).values_list("person_id", "month", "recorded_at")
        for person_id, month, recorded_at in recorded:
            member = by_record.get((person_id, month))
            if member is not None and recorded_at is not None:
                member.entered_on = timezone.localdate(recorded_at)
    for m in creates:
        m.entered_on = min(today, max(m.since, m.entered_on))


def _match(spans: list[Span], rows: list[KeyGroupMember]) -> list[tuple[Span, KeyGroupMember | None]]:
    """Pair each wanted span with the stored row that stands for it: the row of the same first month, else
    a row whose months overlap it (a correction moved the entry), else none (a new membership)."""
    free = list(rows)
    paired: list[tuple[Span, KeyGroupMember | None]] = []
    pending: list[Span] = []
    for span in spans:
        row = next((r for r in free if r.since == span.since), None)
        if row is None:
            pending.append(span)
        else:
            free.remove(row)
            paired.append((span, row))
    for span in pending:
        row = next((r for r in free if _overlap(span, r)), None)
        if row is not None:
            free.remove(row)
        paired.append((span, row))
    return paired


def _overlap(span: Span, row: KeyGroupMember) -> bool:
    far = dt.date.max
    return span.since <= (row.until or far) and row.since <= (span.until or far)


# ---- who to refresh -----------------------------------------------------------------------------------


def persons_to_refresh(prefix: str = "") -> QuerySet[Person]:
    """Every person a key group may hold or holds: with a survey record, a 雨露计划 graduation or a
    membership, within the region `prefix` ("" = everywhere)."""
    from django.db.models import Exists, OuterRef

    qs = Person.objects.filter(
        Q(Exists(Employment.objects.filter(person_id=OuterRef("pk"))))
        | Q(
            Exists(
                DepartmentFact.objects.filter(
                    person_id=OuterRef("pk"), kind=DepartmentFact.Kind.GRADUATED, stage__in=YULU_STAGES
                )
            )
        )
        | Q(Exists(KeyGroupMember.objects.filter(person_id=OuterRef("pk"))))
    )
    if prefix:
        qs = qs.filter(region_range_q(prefix))
    return qs


def keygroups_refresh_all(
    prefix: str = "", *, today: dt.date | None = None, progress: Callable[[int, int], None] | None = None
) -> RefreshStats:
    """The full refresh (the nightly job and `dixian employment_keygroups_refresh`): every person of the
    region, chunk by chunk, each chunk in its own transaction. Catches what sends no signal: a person whose
    labour skill changed, who died, moved or aged off the roll, a month that turned."""
    ids = list(persons_to_refresh(prefix).order_by("pk").values_list("pk", flat=True))
    # A person who moved out of the region keeps memberships stored under its old code: refreshed too.
    if prefix:
        ids = sorted(
            set(ids)
            | set(
                KeyGroupMember.objects.filter(region_range_q(prefix), until__isnull=True).values_list(
                    "person_id", flat=True
                )
            )
        )
    stats = RefreshStats()
    for start in range(0, len(ids), CHUNK):
        stats.add(keygroups_refresh(ids[start : start + CHUNK], today=today))
        if progress is not None:
            progress(min(start + CHUNK, len(ids)), len(ids))
    return stats


# A survey write of more workers than this (a township's workbook) has its key groups refreshed by a job queued
# after its commit instead of in its transaction: the refresh reads each person's whole history, about 12 s of
# CPU for 100,000 workers (docs/benchmarks.md "Key-group refresh"), more than the whole import may take
# (20,000 rows/s, docs/benchmarks.md "Survey workbook import"). A village's form or a small book stays inline.
INLINE_LIMIT = 2_000


def on_survey_changed(
    sender: object,
    person_ids: Iterable[int],
    months: Iterable[dt.date] = (),
    person_places: Iterable[str] | None = None,
    **_: object,
) -> None:
    """Receiver of `employment.signals.survey_changed` (docs/domain.md §23): in the write's transaction, or, for
    a write of more than INLINE_LIMIT workers, a refresh of the smallest region holding them all, queued once
    the write commits (and not queued twice while one waits). `person_places`: where the persons live, when the
    writer knows it (signals.py)."""
    ids = sorted(set(person_ids))
    if len(ids) <= INLINE_LIMIT:
        keygroups_refresh(ids, months)
        return
    codes = _lowest_and_highest(ids) if person_places is None else person_places
    places = [code for code in codes if code]
    prefix = _common_prefix(min(places), max(places)) if places else ""
    transaction.on_commit(lambda: _refresh_enqueue(prefix))


def _lowest_and_highest(ids: list[int]) -> list[str]:
    """The lowest and highest region code where these persons live (per batch of `in_batches`)."""
    found: list[str] = []
    table = connection.ops.quote_name(Person._meta.db_table)
    with connection.cursor() as cursor:
        # In SQL: the ORM spent more building a workbook's 100,000 ids into IN lists than the database spent
        # answering them.
        for condition, params in in_batches(ids):
            cursor.execute(
                f"SELECT min(region_code), max(region_code) FROM {table} WHERE id {condition}",  # noqa: S608 - the model's table; values are parameters
                params,
            )
            found += [code for code in cursor.fetchone() or () if code]
    return found


def _common_prefix(first: str, last: str) -> str:
    """The region code prefix two codes share, cut to a whole level (2 province, 4 city, 6 county, 9 township,
    12 village digits) so that the job refreshes a real unit."""
    shared = 0
    while shared < min(len(first), len(last)) and first[shared] == last[shared]:
        shared += 1
    return next((first[:n] for n in (12, 9, 6, 4, 2) if n <= shared), "")


def _refresh_enqueue(prefix: str) -> None:
    from dixian.common.jobs import job_enqueue
    from dixian.common.models import Job
    from dixian.screening.services import system_user

    from .jobs import KEYGROUPS_JOB

    waiting = Job.objects.filter(kind=KEYGROUPS_JOB, status=Job.Status.QUEUED)
    if any(prefix.startswith(str((job.params or {}).get("region") or "")) for job in waiting):
        return
    job_enqueue(kind=KEYGROUPS_JOB, owner=system_user(), params={"region": prefix})


# ---- overdue (超期未跟进) -------------------------------------------------------------------------------


def overdue_q(today: dt.date | None = None) -> Q:
    """Open members with no follow-up for FOLLOW_UP_DAYS since entering the group or since the last one."""
    cutoff = (today or timezone.localdate()) - dt.timedelta(days=e.FOLLOW_UP_DAYS)
    return Q(until__isnull=True) & (
        Q(last_follow_up__lt=cutoff) | Q(last_follow_up__isnull=True, entered_on__lt=cutoff)
    )


def is_overdue(member: KeyGroupMember, today: dt.date | None = None) -> bool:
    if member.until is not None:
        return False
    cutoff = (today or timezone.localdate()) - dt.timedelta(days=e.FOLLOW_UP_DAYS)
    return (member.last_follow_up or member.entered_on) < cutoff


# ---- follow-up (跟踪帮扶) ---------------------------------------------------------------------------------


def follow_up_record(*, actor: User, member: KeyGroupMember, kind: str, on: dt.date, detail: str) -> FollowUp:
    """A follow-up given to a key-group member (docs/domain.md §23): a kind of the dictionary, a date not in
    the future nor before the month the member entered the group, and what was done. Moves the member's
    `last_follow_up`, from which the 30 days of the overdue finding count again."""
    if not user_can(actor, Capability.EMPLOYMENT_FOLLOW_UP):
        raise PermissionDenied(f"您的账号没有“{Capability.EMPLOYMENT_FOLLOW_UP.label}”的权限")
    if not code_in_scope(actor, member.region_code):
        raise ValidationError("该记录不存在或不在您的管辖范围内")
    if kind not in dict(e.choices("follow_up_kind")):
        raise ValidationError({"kind": "请选择帮扶方式"})
    detail = (detail or "").strip()
    if not detail:
        raise ValidationError({"detail": "请填写帮扶内容,例如推荐的岗位、参加的培训"})
    if on > timezone.localdate():
        raise ValidationError({"on": "跟踪日期不能晚于今天"})
    if on < member.since:
        raise ValidationError({"on": f"跟踪日期不能早于列入重点群体的月份({e.month_label(member.since)})"})
    with transaction.atomic():
        member = KeyGroupMember.objects.select_for_update().get(pk=member.pk)
        if member.until is not None:
            raise ValidationError(
                f"该人员已于{e.month_label(member.until)}退出“{member.get_group_display()}”,无需再记录跟踪帮扶"
            )
        follow_up = FollowUp.objects.create(
            member=member,
            region_code=member.region_code,
            kind=kind,
            on=on,
            detail=detail[:200],
            recorded_by=actor,
        )
        if member.last_follow_up is None or on > member.last_follow_up:
            member.last_follow_up = on
            member.save(update_fields=["last_follow_up"])
        return follow_up


# ---- moves (registry signals, docs/security.md §4) --------------------------------------------------------


def members_follow_households(*, moves: Mapping[int, Region], **_: object) -> dict[int, dict[str, list[int]]]:
    """registry's `household_moved`: the key-group memberships of the household and their follow-ups take its
    new code (scoping follows the household); answers the rows moved (registry/signals.py moved_rows)."""
    moved: dict[int, dict[str, list[int]]] = {}
    for region, pks in moves_by_region(moves):
        for i in range(0, len(pks), CHUNK):
            chunk = pks[i : i + CHUNK]
            members = list(
                KeyGroupMember.objects.filter(household_id__in=chunk).values_list("pk", "household_id")
            )
            follow_ups = list(
                FollowUp.objects.filter(member__household_id__in=chunk).values_list(
                    "pk", "member__household_id"
                )
            )
            if members:
                KeyGroupMember.objects.filter(pk__in=[pk for pk, _ in members]).update(
                    region_code=region.code
                )
            if follow_ups:
                FollowUp.objects.filter(pk__in=[pk for pk, _ in follow_ups]).update(region_code=region.code)
            for rows, model in ((members, KeyGroupMember), (follow_ups, FollowUp)):
                for owner, named in moved_rows(rows, str(model._meta.verbose_name)).items():
                    moved.setdefault(owner, {}).update(named)
    return moved


def members_follow_persons(*, moves: Mapping[int, str], **_: object) -> None:
    """registry's `person_moved`: a person's key-group memberships (with the new household, as a refresh would
    write it) and their follow-ups take the new household's code."""
    by_code: dict[str, list[int]] = defaultdict(list)
    for pk, code in moves.items():
        by_code[code].append(pk)
    for code, pks in sorted(by_code.items()):
        for i in range(0, len(pks), CHUNK):
            chunk = pks[i : i + CHUNK]
            KeyGroupMember.objects.filter(person_id__in=chunk).update(
                region_code=code,
                household_id=Subquery(
                    Person.objects.filter(pk=OuterRef("person_id")).values("household_id")[:1]
                ),
            )
            FollowUp.objects.filter(member__person_id__in=chunk).update(region_code=code)
