"""Change-log helpers: every write to a household, person or income records who, when, old and new."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Model
from django.utils import timezone

from .models import ChangeLog

if TYPE_CHECKING:
    from dixian.accounts.models import User


def plain(value: Any) -> Any:
    """A JSON-safe form of a field value, as it should read in the history."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    return value


def diff_fields(
    old: Mapping[str, Any], new: Mapping[str, Any], fields: Iterable[str]
) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for f in fields:
        before, after = plain(old.get(f)), plain(new.get(f))
        if before != after:
            changes[f] = [before, after]
    return changes


def change_record(
    *,
    actor: User | None,
    source: str,
    entity: str,
    entity_id: int,
    household_id: int | None,
    action: str,
    changes: dict[str, list[Any]] | None = None,
    summary: str = "",
    reference: str = "",
) -> ChangeLog:
    return ChangeLog.objects.create(
        at=timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=(actor.get_full_name() or actor.username)
        if actor is not None and actor.is_authenticated
        else "系统",
        source=source,
        reference=reference,
        entity=entity,
        entity_id=entity_id,
        household_id=household_id,
        action=action,
        summary=summary[:200],
        changes=changes or {},
    )
