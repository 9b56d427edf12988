"""Reads of the roll and the monthly survey (docs/domain.md §23), scoped to the account's subtree.

Every list starts from the labour roll of the month (`roll.roll`, read from the registry) inside the
account's region (or the region picked below it); the month's and the previous month's records are read
for the shown workers in one query each, so a page costs the same number of queries whatever its length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.http import Http404

from dixian.common.access import code_in_scope, region_range_q, user_prefix
from dixian.domain import employment as e
from dixian.domain.dictionaries import EX_POOR
from dixian.regions.models import Region
from dixian.registry.models import Person

from . import roll as labour_roll
from .batched import in_batches
from .models import DepartmentFact, Employment
from .validation import FIELDS, carried_months_worked

if TYPE_CHECKING:
    from dixian.accounts.models import User

# Filters of the roll (劳动力名册).
KINDS = {"ex_poor": "脱贫劳动力", "monitored": "监测劳动力"}
RECORDED = {"yes": "本月已摸排", "no": "本月未摸排"}
# The 人社 facts that pre-fill a worker with no record yet (docs/domain.md §23).
PREFILL_FACTS = (
    DepartmentFact.Kind.EMPLOYED,
    DepartmentFact.Kind.UNEMPLOYED,
    DepartmentFact.Kind.INSURANCE_STOPPED,
)


def village_for_user(user: User, code: str) -> Region:
    """The village `code` inside the account's subtree; 404 otherwise (outside and nowhere answer alike)."""
    if not code_in_scope(user, code):
        raise Http404("没有找到该村。")
    village = Region.objects.filter(code=code, level=Region.Level.VILLAGE).first()
    if village is None:
        raise Http404("没有找到该村。")
    return village


def person_for_user(user: User, pk: int) -> Person:
    """A registry person of the account's subtree, with its household; 404 otherwise."""
    prefix = user_prefix(user)
    person = Person.objects.select_related("household").filter(pk=pk).first()
    if person is None or prefix is None or not person.region_code.startswith(prefix):
        raise Http404("没有找到该人员。")
    return person


def kind_of(person: Person) -> str:
    """脱贫劳动力 or 监测劳动力 (a 脱贫户 that is also monitored counts as 脱贫, roll.ROLL_KINDS)."""
    return labour_roll.ROLL_KINDS[labour_roll.roll_kind(person.household.kind)]


def roll_qs(
    user: User,
    month: dt.date,
    *,
    region: Region | None = None,
    kind: str = "",
    recorded: str = "",
    working: str = "",
    place_tier: str = "",
    channel: str = "",
) -> QuerySet[Person]:
    """The roll of `month` in the account's subtree (or `region`, already resolved inside it), filtered by
    脱贫 / 监测, by recorded or not this month, and by the month's record (working "1"/"0", place tier, channel:
    the lists behind the figures, employment/views_figures.py), in the registry's order (place, household,
    person)."""
    prefix = region.prefix if region is not None else user_prefix(user)
    if prefix is None:
        return Person.objects.none()
    qs = labour_roll.roll(month, prefix=prefix).select_related("household")
    if kind == "ex_poor":
        qs = qs.filter(household__kind=EX_POOR)
    elif kind == "monitored":
        qs = qs.exclude(household__kind=EX_POOR)
    if recorded in RECORDED:
        this_month = Exists(Employment.objects.filter(person_id=OuterRef("pk"), month=month))
        qs = qs.filter(this_month if recorded == "yes" else ~this_month)
    record: dict[str, object] = {}
    if working in ("1", "0"):
        record["working"] = working == "1"
    if place_tier in e.DICTIONARIES["place_tier"].labels:
        record["place_tier"] = place_tier
    if channel in e.DICTIONARIES["channel"].labels:
        record["channel"] = channel
    if record:
        qs = qs.filter(Exists(Employment.objects.filter(person_id=OuterRef("pk"), month=month, **record)))
    return qs.order_by("region_code", "household_id", "pk")


# What a one-line summary of a record reads (views_survey.record_summary): the lists load only these.
SUMMARY_FIELDS = ("person_id", "working", "place_tier", "channel", "not_working_reason", "willing", "source")


def records_of(
    person_ids: Iterable[int], month: dt.date, *, fields: tuple[str, ...] = ()
) -> dict[int, Employment]:
    """The month's records of these persons, by person id (one query); `fields`: only those columns."""
    ids = list(person_ids)
    if not ids:
        return {}
    qs = Employment.objects.filter(month=month, person_id__in=ids)
    if fields:
        qs = qs.only(*fields)
    return {r.person_id: r for r in qs}


def place_names(codes: Iterable[str]) -> dict[str, str]:
    """The village (and group) names of region codes, by code (one query)."""
    wanted = {c for code in codes for c in (code, code[:12])}
    if not wanted:
        return {}
    names = dict(Region.objects.filter(code__in=wanted).values_list("code", "name"))
    out = {}
    for code in wanted:
        village = names.get(code[:12], "")
        group = names.get(code, "") if len(code) > 12 else ""
        out[code] = f"{village}{group}"
    return out


# Labels of the coded fields a summary shows (the model's choices are these dictionaries).
_LABELS: dict[str, dict[str, str]] = {
    name: dict(e.choices(name)) for name in ("place_tier", "channel", "not_working_reason")
}
_SKILLS: dict[str, str] = {str(k): str(v) for k, v in Person._meta.get_field("labour_skill").flatchoices}


def summary_of(record: Mapping[str, Any] | Employment | None) -> str:
    """One line of a record, without personal data: 务工 · 省外(跨省) · 劳务输出, or 未务工 · 照料家庭 · 有就业意愿
    (a record or the mapping of its SUMMARY_FIELDS)."""
    if record is None:
        return ""

    def get(name: str) -> Any:
        return record.get(name) if isinstance(record, Mapping) else getattr(record, name)

    if get("working"):
        parts = [
            "务工",
            _LABELS["place_tier"].get(str(get("place_tier")), ""),
            _LABELS["channel"].get(str(get("channel")), ""),
        ]
    else:
        answer = get("willing")
        willing = "" if answer is None else ("有就业意愿" if answer else "无就业意愿")
        parts = ["未务工", _LABELS["not_working_reason"].get(str(get("not_working_reason")), ""), willing]
    return " · ".join(p for p in parts if p)


def place_names_under(prefix: str) -> dict[str, str]:
    """The names of every village and group under `prefix`, by code (one query, for an export)."""
    rows = Region.objects.filter(
        region_range_q(prefix, "code"), level__in=(Region.Level.VILLAGE, Region.Level.GROUP)
    ).values_list("code", "name")
    names = dict(rows)
    return {
        code: (f"{names.get(code[:12], '')}{name}" if len(code) > 12 else name)
        for code, name in names.items()
    }


def record_places(person_ids: Iterable[int], months: Iterable[dt.date]) -> set[str]:
    """The region codes where the records of these persons and months were made (reports/triggers.py marks
    them): in SQL (`batched.in_batches`), on the (person, month) index; a workbook of 100,000 rows sends them
    all, and the ORM spent more building the IN list than the database answering it."""
    ids = sorted(set(person_ids))
    days = [connection.ops.adapt_datefield_value(m) for m in sorted(set(months))]
    if not ids or not days:
        return set()
    table = connection.ops.quote_name(Employment._meta.db_table)
    found: set[str] = set()
    with connection.cursor() as cursor:
        for condition, params in in_batches(ids):
            cursor.execute(
                f"SELECT DISTINCT region_code FROM {table} WHERE month IN ({', '.join(['%s'] * len(days))}) "  # noqa: S608 - the model's table; values are parameters
                f"AND person_id {condition}",
                [*days, *params],
            )
            found.update(code for (code,) in cursor.fetchall())
    return found


@dataclass
class WorkerRow:
    pk: int
    name: str
    skill: str
    head_name: str
    kind: str
    record: dict[str, Any] | None  # this month's (SUMMARY_FIELDS)
    previous: dict[str, Any] | None  # last month's


def _summaries(ids: list[int], months: list[dt.date]) -> dict[tuple[int, dt.date], dict[str, Any]]:
    """The records of these persons in these months, as SUMMARY_FIELDS mappings by (person, month): one query,
    in SQL on the (person, month) index; the ORM spent more building a few hundred ids into an IN list than the
    database spent answering it (bench/bench_survey_page.py)."""
    if not ids:
        return {}
    ops = connection.ops
    table = ops.quote_name(Employment._meta.db_table)
    names = (
        "month",
        "person_id",
        "working",
        "place_tier",
        "channel",
        "not_working_reason",
        "willing",
        "source",
    )
    columns = ", ".join(ops.quote_name(n) for n in names)
    out: dict[tuple[int, dt.date], dict[str, Any]] = {}
    day = {ops.adapt_datefield_value(m): m for m in months}
    with connection.cursor() as cursor:
        for condition, params in in_batches(ids):
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE month IN ({', '.join(['%s'] * len(day))}) "  # noqa: S608 - the model's table and columns; values are parameters
                f"AND person_id {condition}",
                [*day, *params],
            )
            for month, person, working, tier, channel, reason, willing, source in cursor.fetchall():
                # As the model holds them (SQLite answers dates as text and booleans as 0/1).
                m = month if isinstance(month, dt.date) else dt.date.fromisoformat(month)
                out[(person, m)] = {
                    "person_id": person,
                    "working": bool(working),
                    "place_tier": tier,
                    "channel": channel,
                    "not_working_reason": reason,
                    "willing": None if willing is None else bool(willing),
                    "source": source,
                }
    return out


def village_sheet(village: Region, month: dt.date) -> list[WorkerRow]:
    """Every roll worker of `village` in `month`, with this month's and last month's records: two queries,
    however many workers, read as plain rows (a village holds hundreds: bench/bench_survey_page.py)."""
    people = list(
        labour_roll.roll(month, prefix=village.prefix)
        .order_by("household__household_no", "pk")
        .values_list("pk", "name", "labour_skill", "household__kind", "household__head_name")
    )
    previous = e.month_add(month, -1)
    records = _summaries([p[0] for p in people], [month, previous])
    return [
        WorkerRow(
            pk,
            name,
            _SKILLS.get(skill, skill),
            head_name,
            labour_roll.ROLL_KINDS[labour_roll.roll_kind(kind)],
            records.get((pk, month)),
            records.get((pk, previous)),
        )
        for pk, name, skill, kind, head_name in people
    ]


@dataclass
class Prefill:
    values: dict[str, Any]
    source: str  # what the form was filled from, in Chinese ("" when nothing)
    record: Employment | None  # this month's record, when there is one


def prefill_for(person: Person, month: dt.date) -> Prefill:
    """What the worker's form starts from (docs/domain.md §23): this month's record; else the latest record
    before it (months worked carried into this month); else the latest 人社 fact up to the month's end
    (就业登记 with employer: working; 失业登记 / 社保断缴: not working)."""
    current = Employment.objects.filter(person=person, month=month).first()
    if current is not None:
        return Prefill({f: getattr(current, f) for f in FIELDS}, "本月已录入的摸排记录", current)
    last = Employment.objects.filter(person=person, month__lt=month).order_by("-month").first()
    if last is not None:
        values = {f: getattr(last, f) for f in FIELDS}
        values["months_worked"] = carried_months_worked(
            last.months_worked, bool(last.working), last.month, month
        )
        values["note"] = ""
        return Prefill(values, f"{e.month_label(last.month)}的摸排记录", None)
    fact = (
        DepartmentFact.objects.filter(person=person, kind__in=PREFILL_FACTS, on__lte=e.month_end(month))
        .order_by("-on", "-pk")
        .first()
    )
    if fact is not None:
        working = fact.kind == DepartmentFact.Kind.EMPLOYED
        values = {"working": working, "employer": fact.employer if working else ""}
        return Prefill(values, f"人社部门{fact.get_kind_display()}({fact.on:%Y-%m-%d})", None)
    return Prefill({}, "", None)


def latest_fact(person: Person, month: dt.date) -> DepartmentFact | None:
    """The latest 人社 fact up to the month's end (shown beside the form for a look)."""
    return (
        DepartmentFact.objects.filter(person=person, kind__in=PREFILL_FACTS, on__lte=e.month_end(month))
        .order_by("-on", "-pk")
        .first()
    )


def export_rows(
    qs: QuerySet[Person], month: dt.date, *, chunk: int = 2000
) -> Iterator[tuple[Person, Employment | None]]:
    """The roll's persons with their record of the month, read in chunks of `chunk` (a county's roll
    streams without holding it in memory)."""
    last_key: tuple[str, int, int] | None = None
    while True:
        page = qs
        if last_key is not None:
            code, household, pk = last_key
            page = page.filter(
                Q(region_code__gt=code)
                | Q(region_code=code, household_id__gt=household)
                | Q(region_code=code, household_id=household, pk__gt=pk)
            )
        people = list(page[:chunk])
        if not people:
            return
        records = records_of([p.pk for p in people], month)
        for p in people:
            yield p, records.get(p.pk)
        tail = people[-1]
        last_key = (tail.region_code, tail.household_id, tail.pk)


def month_to_record(village: Region, today: dt.date) -> dt.date:
    """The month a village's survey opens on when none is asked: the month after its latest recorded month while
    that is before the current one (a month left undone comes first, so 本月无变化 has last month to copy),
    else the current month (docs/domain.md §23)."""
    current = today.replace(day=1)
    latest = Employment.objects.filter(region_range_q(village.prefix), month__lte=current).aggregate(
        m=Max("month")
    )["m"]
    if latest is None or latest >= current:
        return current
    return e.month_add(latest, 1)
