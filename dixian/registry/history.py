"""The change log as people read it: Chinese field labels, choice labels, and personal data masked.

ChangeLog rows store raw values (codes, ISO dates, full ID numbers), because the log is the record. What a
page shows depends on who looks: ID numbers and phones are masked, and health data hidden, for accounts
that may not see personal information; a household named in a move is shown only when the viewer may see
that household.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field, Model
from django.utils import timezone

from dixian.common.access import may_view_pii
from dixian.common.masking import field_masked, text_shown
from dixian.common.models import ChangeLog

from .models import Household, HouseholdIncome, Person

if TYPE_CHECKING:
    from dixian.accounts.models import User

EMPTY = "空"
ENTITY_MODELS: dict[str, type[Model]] = {
    "household": Household,
    "person": Person,
    "income": HouseholdIncome,
    "householdincome": HouseholdIncome,
}
ENTITY_LABELS = {"household": "农户", "person": "成员", "income": "收入", "householdincome": "收入"}
# Entities written by the apps above the registry (alerts, declarations, visits, feed links …) are found by
# model name, so that their fields and codes read in Chinese (状态:待核实 → 核实中, never status: open →
# verifying) without the registry importing those apps. Names that differ from the model's are listed here.
ENTITY_ALIASES = {"unmatched": "unmatchedrecord"}
# How a move names the households in `changes`: by primary key (services) or also by number (import).
MOVE_FIELDS = ("household", "household_id", "household_no")
OTHER_HOUSEHOLD = "其他户(不在您的管辖范围内)"
# Keys a change-log row holds that are no model field: what moved with a household (docs/security.md §4).
EXTRA_LABELS = {"moved_with": "随户迁移"}


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    actor_name: str
    source: str
    action: str
    entity: str
    summary: str
    reference: str
    changes: list[FieldChange] = field(default_factory=list)


def entity_model(entity: str) -> type[Model] | None:
    """The model a change-log row's `entity` names (household, alert, link_candidate …), or None."""
    entity = entity.lower()
    if entity in ENTITY_MODELS:
        return ENTITY_MODELS[entity]
    wanted = ENTITY_ALIASES.get(entity, entity.replace("_", ""))
    for model in apps.get_models():
        if model._meta.model_name == wanted:
            return model
    return None


def field_label(model: type[Model] | None, name: str) -> str:
    if name in MOVE_FIELDS:
        return "所在户" if name != "household_no" else "所在户编号"
    if name in EXTRA_LABELS:
        return EXTRA_LABELS[name]
    if model is None:
        return name
    try:
        return str(model._meta.get_field(name).verbose_name)  # type: ignore[union-attr]  # a concrete field's name, never a reverse relation
    except FieldDoesNotExist:
        return name


def value_label(model: type[Model] | None, name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if model is not None:
        try:
            model_field: Field[Any, Any] | None = model._meta.get_field(name)  # type: ignore[assignment]  # a concrete field's name, never a reverse relation
        except FieldDoesNotExist:
            model_field = None
        # Choice lists label their blank too (未填写, 非在校生, 未参保...): use it before the generic "空".
        if model_field is not None and model_field.choices and value is not None:
            labels = dict(model_field.flatchoices)
            if value in labels:
                return str(labels[value])
    if value is None or value == "":
        return EMPTY
    return str(value)


def _display(
    model: type[Model] | None, name: str, value: Any, *, pii: bool, households: dict[int, str]
) -> str:
    if name in MOVE_FIELDS:
        if value is None or value == "":
            return EMPTY
        if name == "household_no":
            return value if value in households.values() else OTHER_HOUSEHOLD
        return households.get(value, OTHER_HOUSEHOLD)
    masked = field_masked(name, value, pii=pii)
    if masked is not None:
        return masked
    return value_label(model, name, value)


def moved_household_refs(rows: Iterable[ChangeLog]) -> tuple[set[int], set[str]]:
    """Primary keys and household numbers that move rows mention (to look up which the viewer may see)."""
    ids: set[int] = set()
    numbers: set[str] = set()
    for row in rows:
        if row.action != ChangeLog.Action.MOVE:
            continue
        for name in MOVE_FIELDS:
            for value in (row.changes or {}).get(name) or []:
                if isinstance(value, int) and name != "household_no":
                    ids.add(value)
                elif isinstance(value, str) and value:
                    numbers.add(value)
    return ids, numbers


def _summary(row: ChangeLog, visible_numbers: set[str]) -> str:
    """A move's summary may name the other household: hide its number when the viewer may not see it."""
    summary = row.summary
    if row.action == ChangeLog.Action.MOVE:
        for number in (row.changes or {}).get("household_no") or []:
            if isinstance(number, str) and number and number not in visible_numbers:
                summary = summary.replace(number, "其他")
    return summary


def history_entries(
    rows: Iterable[ChangeLog], *, user: User, visible_households: dict[int, str]
) -> list[HistoryEntry]:
    """Readable entries for `rows`. `visible_households` maps the pks the viewer may see to household numbers."""
    pii = may_view_pii(user)
    visible_numbers = set(visible_households.values())
    entries = []
    for row in rows:
        entity = row.entity.lower()
        model = entity_model(entity)
        changes = [
            FieldChange(
                field_label(model, name),
                _display(model, name, pair[0], pii=pii, households=visible_households),
                _display(model, name, pair[1], pii=pii, households=visible_households),
            )
            for name, pair in (row.changes or {}).items()
            if isinstance(pair, (list, tuple)) and len(pair) == 2
        ]
        entries.append(
            HistoryEntry(
                at=timezone.localtime(row.at),
                actor_name=row.actor_name or "系统",
                source=row.get_source_display(),
                action=row.get_action_display(),
                entity=ENTITY_LABELS.get(entity) or (str(model._meta.verbose_name) if model else row.entity),
                summary=text_shown(_summary(row, visible_numbers), pii=pii),
                reference=row.reference,
                changes=changes,
            )
        )
    return entries
