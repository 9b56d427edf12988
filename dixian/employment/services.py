"""Writes of the monthly survey (就业信息摸排, docs/domain.md §23): one worker's record of a month from the
village form, and 本月无变化 (last month's records carried over).

Each write:
- refuses a person outside the actor's subtree (docs/security.md §3), a month after the current one, a
  person not on the labour roll of the month (`roll.on_roll`), and a row that breaks the rules of
  `validation.py`, with a Chinese message saying what to do;
- keeps one record per person and month: a second record of the month replaces the first and the change is
  kept in the change log (entity "employment", on the person's household);
- sends `signals.survey_changed(person_ids, months)` inside its transaction, so the key groups follow in the
  same commit.

`actor=None` is the platform itself (the generator, a command): no capability or scope check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dixian.accounts.capabilities import Capability, require
from dixian.common.access import code_in_scope
from dixian.common.audit import change_record, diff_fields
from dixian.common.models import ChangeLog
from dixian.domain import employment as e
from dixian.regions.models import Region
from dixian.registry.models import Person

from . import roll as labour_roll
from .models import Employment
from .signals import survey_changed
from .validation import FIELDS, carried_months_worked, month_errors, normalised, survey_row_errors

if TYPE_CHECKING:
    from dixian.accounts.models import User

ENTITY = "employment"
OUT_OF_SCOPE = "该人员不在您的管辖范围内。"


def _check_actor(actor: User | None, region_code: str) -> None:
    if actor is None:
        return
    require(actor, Capability.EMPLOYMENT_SURVEY)
    if not code_in_scope(actor, region_code):
        raise PermissionDenied(OUT_OF_SCOPE)


def _first_day(month: dt.date) -> dt.date:
    return dt.date(month.year, month.month, 1)


def _refuse_future(month: dt.date, today: dt.date) -> None:
    errors = month_errors(month, today)
    if errors:
        raise ValidationError({"month": [m for _, m in errors]})


def not_on_roll_message(person: Person, month: dt.date) -> str:
    return (
        f"{person.name}不在{e.month_label(month)}的劳动力名册上(须为脱贫户或监测户中劳动年龄内、有劳动能力、"
        "不在校的成员),不能录入该月的就业信息摸排;如信息有误,请先在农户信息中更正"
    )


@dataclass
class Recorded:
    record: Employment
    status: str  # "created", "replaced" or "unchanged"


def survey_record(
    actor: User | None,
    person: Person,
    month: dt.date,
    values: Mapping[str, Any],
    source: str = Employment.Source.FORM,
    *,
    today: dt.date | None = None,
) -> Recorded:
    """Record `person`'s survey of `month` (any day of it): create the month's record or replace it.

    Raises PermissionDenied (capability, scope) or ValidationError (field → messages; "month" for the month,
    the roll's refusal as a non-field error)."""
    today = today or timezone.localdate()
    month = _first_day(month)
    _check_actor(actor, person.region_code)
    _refuse_future(month, today)
    errors = survey_row_errors(values, month, today)
    if errors:
        by_field: dict[str, list[str]] = {}
        for name, message in errors:
            by_field.setdefault(name, []).append(message)
        raise ValidationError(by_field)
    if person.pk not in labour_roll.on_roll([person.pk], month):
        raise ValidationError(not_on_roll_message(person, month))
    row = normalised(values)
    now = timezone.now()
    stored = {
        **row,
        "source": source,
        "household_id": person.household_id,
        "region_code": person.region_code,
        "recorded_by": actor if actor is not None and actor.is_authenticated else None,
        "recorded_at": now,
    }
    with transaction.atomic():
        existing = Employment.objects.select_for_update().filter(person=person, month=month).first()
        if existing is None:
            try:
                with transaction.atomic():
                    record = Employment.objects.create(person=person, month=month, **stored)
            except IntegrityError:  # recorded by someone else in the meantime: ours is a correction
                existing = Employment.objects.select_for_update().get(person=person, month=month)
            else:
                survey_changed.send(sender=Employment, person_ids=[person.pk], months=[month])
                return Recorded(record, "created")
        old = {f: getattr(existing, f) for f in FIELDS}
        changes = diff_fields(old, row, FIELDS)
        if not changes:
            return Recorded(existing, "unchanged")
        for name, value in stored.items():
            # region_code and household are the person's at the time of recording (docs/domain.md §23): a
            # correction after a move keeps the month counted where it was recorded.
            if name not in ("household_id", "region_code"):
                setattr(existing, name, value)
        existing.save()
        change_record(
            actor=actor,
            source=ChangeLog.Source.WEB if source == Employment.Source.FORM else ChangeLog.Source.SYSTEM,
            entity=ENTITY,
            entity_id=existing.pk,
            household_id=person.household_id,
            action=ChangeLog.Action.UPDATE,
            changes=changes,
            summary=f"更正{person.name}{e.month_label(month)}的就业信息摸排",
        )
        survey_changed.send(sender=Employment, person_ids=[person.pk], months=[month])
        return Recorded(existing, "replaced")


@dataclass
class CarryResult:
    carried: list[int] = field(default_factory=list)  # person ids whose record was carried over
    already: list[int] = field(default_factory=list)  # recorded this month already: left as they are
    no_previous: list[int] = field(default_factory=list)  # no record last month: to be recorded one by one
    not_on_roll: list[int] = field(default_factory=list)  # listed, but not on the village's roll

    def message(self, month: dt.date) -> str:
        parts = [f"{len(self.carried)}人沿用{e.month_label(e.month_add(month, -1))}的摸排结果"]
        if self.no_previous:
            parts.append(f"{len(self.no_previous)}人上月没有摸排记录,请逐人录入")
        if self.already:
            parts.append(f"{len(self.already)}人本月已录入,未改动")
        if self.not_on_roll:
            parts.append(f"{len(self.not_on_roll)}人不在本村本月的劳动力名册上,未录入")
        return ";".join(parts) + "。"


def survey_carry_over(
    actor: User | None,
    village: Region,
    month: dt.date,
    person_ids: Iterable[int] | None = None,
    *,
    today: dt.date | None = None,
) -> CarryResult:
    """本月无变化: copy last month's record to `month` for the listed workers of `village`, or, with
    `person_ids` None, for every roll worker of the village without a record this month who has one last
    month. Months worked grow by one when working in the same year (`carried_months_worked`); the source is
    CARRIED. Workers recorded this month already are left as they are (a change is made on the form)."""
    today = today or timezone.localdate()
    month = _first_day(month)
    _check_actor(actor, village.code)
    _refuse_future(month, today)
    previous_month = e.month_add(month, -1)
    workers = {
        p.pk: p
        for p in labour_roll.roll(month, prefix=village.prefix).only("pk", "household_id", "region_code")
    }
    result = CarryResult()
    if person_ids is None:
        wanted = list(workers)
    else:
        wanted = []
        for pk in dict.fromkeys(person_ids):
            (wanted if pk in workers else result.not_on_roll).append(pk)
    now = timezone.now()
    with transaction.atomic():
        done = set(
            Employment.objects.filter(month=month, person_id__in=wanted).values_list("person_id", flat=True)
        )
        before = {
            r.person_id: r
            for r in Employment.objects.filter(month=previous_month, person_id__in=wanted).only(
                *FIELDS, "person_id"
            )
        }
        rows = []
        for pk in wanted:
            if pk in done:
                result.already.append(pk)
                continue
            old = before.get(pk)
            if old is None:
                result.no_previous.append(pk)
                continue
            values = {f: getattr(old, f) for f in FIELDS}
            values["months_worked"] = carried_months_worked(
                old.months_worked, bool(old.working), previous_month, month
            )
            if survey_row_errors(values, month, today):  # an old record the rules now refuse: type it anew
                result.no_previous.append(pk)
                continue
            person = workers[pk]
            rows.append(
                Employment(
                    person_id=pk,
                    household_id=person.household_id,
                    region_code=person.region_code,
                    month=month,
                    source=Employment.Source.CARRIED,
                    recorded_by=actor if actor is not None and actor.is_authenticated else None,
                    recorded_at=now,
                    **normalised(values),
                )
            )
            result.carried.append(pk)
        try:
            with transaction.atomic():
                Employment.objects.bulk_create(rows, batch_size=500)
        except IntegrityError:
            raise ValidationError("本月的摸排记录刚被其他人修改,请刷新页面后重试。") from None
        if result.carried:
            survey_changed.send(sender=Employment, person_ids=list(result.carried), months=[month])
    return result
