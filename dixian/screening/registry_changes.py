"""Registry edits queue an incremental screening of the households they touch (docs/scale.md §3).

A household, person or income saved or removed, a household or person moved: the households concerned (and
the ID numbers a person left, whose feed rows now match nobody or somebody else) are collected while the
edit's transaction runs, and once it has committed one `screen_households` job is queued for them, or they
join the job already waiting for the period (one job for many edits, as deliveries are coalesced). A
rolled-back edit queues nothing. Bulk writes (the registry import) send no model signal, only
`person_moved` for persons moved to another village (with the households they left): the monthly run,
always a full one, screens the rest of what they changed.

The period screened is the latest one with a finished run: the households' alerts are those of that month's
screening. Before any run there is nothing to keep current.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

_HELD = "_dixian_screening_registry_changes"


def registry_changed(*, households: Iterable[int | None] = (), id_numbers: Iterable[str | None] = ()) -> None:
    """Note households (pks) and ID numbers to screen again once the current transaction commits."""
    pks = {int(pk) for pk in households if pk is not None}
    ids = {str(i) for i in id_numbers if i}
    if not pks and not ids:
        return
    conn = transaction.get_connection()
    held = conn.__dict__.get(_HELD)
    # The callback queued at commit is still pending exactly while it is in run_on_commit (Django drops it
    # when its savepoint or the transaction rolls back).
    if conn.in_atomic_block and held is not None and any(f is held[0] for _s, f, _r in conn.run_on_commit):
        held[1].update(pks)
        held[2].update(ids)
        return
    data: tuple[set[int], set[str]] = (pks, ids)

    def flush() -> None:
        conn.__dict__.pop(_HELD, None)
        try:
            registry_changes_enqueue(households=data[0], id_numbers=data[1])
        except Exception:
            # The edit is committed: a failure to queue its screening (the database locked, …) must not
            # reach the editing request as an error page. Logged; the monthly run, always a full one,
            # screens these households anyway (docs/scale.md §3).
            logger.exception("could not queue the screening of households %s after a registry edit", data[0])

    conn.__dict__[_HELD] = (flush, data[0], data[1])
    transaction.on_commit(flush)


def registry_changes_enqueue(*, households: set[int], id_numbers: set[str]) -> Any:
    """Queue (or join) the `screen_households` job of the latest screened period. Returns the job or None."""
    from dixian.common.jobs import job_enqueue
    from dixian.common.locks import transaction_lock
    from dixian.common.models import Job

    from .models import ScreeningRun
    from .services import system_user

    period = (
        ScreeningRun.objects.filter(status=ScreeningRun.Status.DONE)
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )
    if period is None:
        return None
    with transaction.atomic():
        transaction_lock(f"screening.households_job:{period}")
        waiting = (
            Job.objects.select_for_update()
            .filter(kind="screen_households", status=Job.Status.QUEUED, params__period=period)
            .order_by("id")
            .first()
        )
        if waiting is not None:
            waiting.params = {
                **waiting.params,
                "household_ids": sorted(set(waiting.params.get("household_ids") or []) | households),
                "id_numbers": sorted(set(waiting.params.get("id_numbers") or []) | id_numbers),
            }
            waiting.save(update_fields=["params"])
            return waiting
        return job_enqueue(
            kind="screen_households",
            owner=system_user(),
            params={"period": period, "household_ids": sorted(households), "id_numbers": sorted(id_numbers)},
        )


# Receivers (connected in ScreeningConfig.ready) ------------------------------------------------------


def before_person_saved(
    *, sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **_: object
) -> None:
    """Keep the person's ID number and household as they were: the old ones must be screened again too."""
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"id_number", "household", "household_id"} & set(update_fields):
        return
    instance._screening_before = (
        sender.objects.filter(pk=instance.pk).values_list("id_number", "household_id").first()
    )


def on_person_saved(*, instance: Any, raw: bool = False, **_: object) -> None:
    if raw:
        return
    before = getattr(instance, "_screening_before", None) or (None, None)
    old_id = before[0] if before[0] != instance.id_number else None
    registry_changed(households=[instance.household_id, before[1]], id_numbers=[old_id])


def on_person_deleted(*, instance: Any, **_: object) -> None:
    registry_changed(households=[instance.household_id], id_numbers=[instance.id_number])


def on_household_row(*, instance: Any, raw: bool = False, **_: object) -> None:
    """A household saved or removed (its kind, category, region), or one of its incomes."""
    if not raw:
        registry_changed(households=[getattr(instance, "household_id", None) or instance.pk])


def on_household_moved(*, moves: dict[int, Any], **_: object) -> dict[int, dict[str, list[int]]]:
    registry_changed(households=moves)
    return {}  # no rows of screening's own moved


def on_person_moved(*, moves: dict[int, str], left: dict[int, int] | None = None, **_: object) -> None:
    """Persons moved (a bulk import's moves send no model signal): the households they joined, read now,
    and those they left, which the sender names (`left`)."""
    from dixian.registry.models import Person

    joined = list(Person.objects.filter(pk__in=list(moves)).values_list("household_id", flat=True))
    registry_changed(households=[*joined, *(left or {}).values()])


def registry_changes_connect() -> None:
    from django.db.models.signals import post_delete, post_save, pre_save

    from dixian.registry.models import Household, HouseholdIncome, Person
    from dixian.registry.signals import household_moved, person_moved

    pre_save.connect(before_person_saved, sender=Person, dispatch_uid="screening_person_before")
    post_save.connect(on_person_saved, sender=Person, dispatch_uid="screening_person_saved")
    post_delete.connect(on_person_deleted, sender=Person, dispatch_uid="screening_person_deleted")
    for model in (Household, HouseholdIncome):
        post_save.connect(on_household_row, sender=model, dispatch_uid=f"screening_saved_{model.__name__}")
        post_delete.connect(
            on_household_row, sender=model, dispatch_uid=f"screening_deleted_{model.__name__}"
        )
    household_moved.connect(on_household_moved, dispatch_uid="screening_household_moved")
    person_moved.connect(on_person_moved, dispatch_uid="screening_person_moved")
