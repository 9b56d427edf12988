"""Keeping the facts current (docs/domain.md §21): what happens in the apps below marks the villages, and
the months, whose figures it changed.

The apps below never import reports (docs/architecture.md): their own signals, and Django's model signals
on their models, are connected here in `ReportsConfig.ready()`. A receiver only marks (`facts_mark_stale`,
one INSERT … ON CONFLICT DO NOTHING inside the change's own transaction, so a rolled-back change leaves no
mark); the job worker refreshes the marked villages (reports/jobs.py). A month is marked besides the current
one when the event is dated in it: a step of a case recorded on an earlier day, an alert raised last month
and closed today, a visit entered late. Stocks are the current month's; flows are the event's month.

A screening run is the exception: it touches villages all over the city at once, so its job refreshes the
alert producers of the month for every village right after the run has committed (`facts_after_screening`),
instead of marking thousands of villages. Bulk writes send no model signal (the screening store, the
registry import, the synthetic loaders): the run refreshes itself, an import marks its region's villages
when its batch is done, and the loaders end with a full refresh.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from .periods import Period
from .producers import PRODUCERS, village_of
from .services import MARKS_HELD, RefreshStats, facts_mark_stale, facts_refresh

logger = logging.getLogger("dixian.reports")

# The producers a screening run moves: every producer of the alerts' module (alerts by line, feed, risk and
# outcome, each rule's yield, the feeds' deliveries), whatever their names (reports/producers.py).
ALERT_MODULE = "dixian.reports.producers_alerts"


def alert_producers() -> list[str]:
    return sorted(name for name, p in PRODUCERS.items() if p.compute.__module__ == ALERT_MODULE)


def _periods(*days: dt.date | dt.datetime | None) -> list[Period]:
    """The current month and the months of `days` (none after it: a date ahead is not a month to count)."""
    current = Period.current()
    found = {current}
    for day in days:
        if day is None:
            continue
        if isinstance(day, dt.datetime):
            day = timezone.localdate(day) if timezone.is_aware(day) else day.date()
        found.add(min(Period.of(day), current))
    return sorted(found)


def _mark(codes: Iterable[str | None], *days: dt.date | dt.datetime | None) -> None:
    pairs = {(village_of(c), p) for c in codes if c and len(c) >= 12 for p in _periods(*days)}
    by_period: dict[Period, list[str]] = defaultdict(list)
    for village, period in sorted(_unmarked(pairs)):
        by_period[period].append(village)
    for period, villages in by_period.items():
        facts_mark_stale(villages, periods=[period])


# The marks already written in the current transaction, per savepoint stack, with the on_commit sentinel
# registered at that stack: Django drops a sentinel when a savepoint it was registered under rolls back
# (and all of them when the transaction ends), so a mark is known exactly while its row can still be in the
# transaction. A bulk action that closes 200 alerts of one village then writes one mark, not 200.


def _unmarked(pairs: set[tuple[str, Period]]) -> set[tuple[str, Period]]:
    conn = transaction.get_connection()
    if not conn.in_atomic_block or not pairs:
        return pairs
    live = {id(func) for _sids, func, _robust in conn.run_on_commit}
    held: dict[tuple[str | None, ...], tuple[Callable[[], None], set[tuple[str, Period]]]] = {
        stack: entry for stack, entry in conn.__dict__.get(MARKS_HELD, {}).items() if id(entry[0]) in live
    }
    known = set().union(*(marked for _sentinel, marked in held.values()))
    fresh = pairs - known
    if fresh:
        stack = tuple(conn.savepoint_ids)
        if stack not in held:

            def sentinel() -> None:
                """Nothing to do at the commit: its presence in run_on_commit is what counts."""

            transaction.on_commit(sentinel)
            held[stack] = (sentinel, set())
        held[stack][1].update(fresh)
    conn.__dict__[MARKS_HELD] = held
    return fresh


def _code_of(obj: Any, relation: str) -> str:
    """The region code of `obj.<relation>` (a household, a case), read from the related object the service
    already holds, or by one query when it is not loaded."""
    field = type(obj)._meta.get_field(relation)
    if field.is_cached(obj):
        return str(getattr(obj, relation).region_code)
    pk = getattr(obj, field.attname)
    if pk is None:
        return ""
    return str(field.related_model.objects.filter(pk=pk).values_list("region_code", flat=True).first() or "")


# --- the case workflow (monitoring) -------------------------------------------------------------------------


def on_case_transition(*, instance: Any, created: bool, raw: bool = False, **_: object) -> None:
    """Every step of a case is one CaseTransition row (monitoring.services._record), dated `on`."""
    if created and not raw:
        _mark([_code_of(instance, "case")], instance.on)


def on_case_part(*, instance: Any, raw: bool = False, **_: object) -> None:
    """A measure or a helper pairing changes the 'with a helper / with a development measure' figures."""
    if raw:
        return
    relation = "case" if hasattr(instance, "case_id") else "household"
    _mark([_code_of(instance, relation)])


# --- alerts (cases) and visits --------------------------------------------------------------------------------


def on_alert_saved(*, instance: Any, raw: bool = False, **_: object) -> None:
    """An alert raised, merged or closed outside a screening run (a visit, a declaration, the village's
    verification, a case's outcome). The run's own bulk writes send no signal: it refreshes after itself."""
    if not raw:
        _mark([instance.region_code], instance.raised_at, instance.closed_at)


def on_alert_status_changed(*, alert: Any, **_: object) -> None:
    """cases' signal: also sent by the bulk verification, whose bulk_update sends no post_save."""
    _mark([alert.region_code], alert.raised_at, alert.closed_at)


def on_visit(*, instance: Any, created: bool, raw: bool = False, **_: object) -> None:
    if created and not raw:
        _mark([instance.region_code], instance.visit_date)


# --- the registry ---------------------------------------------------------------------------------------------


def before_region_change(
    *, sender: Any, instance: Any, update_fields: Any = None, raw: bool = False, **_: object
) -> None:
    """A household or person saved with a region code: the village it leaves loses it (one query, and only
    when the code may change)."""
    if raw or instance.pk is None or (update_fields is not None and "region_code" not in update_fields):
        return
    old = sender.objects.filter(pk=instance.pk).values_list("region_code", flat=True).first()
    if old and old[:12] != instance.region_code[:12]:
        _mark([old])


def on_registry_row(*, instance: Any, raw: bool = False, **_: object) -> None:
    """A household or person created, changed or removed (their kind, category, flags, members)."""
    if not raw:
        _mark([instance.region_code])


def on_income(*, instance: Any, raw: bool = False, **_: object) -> None:
    if not raw:
        _mark([_code_of(instance, "household")])


def on_household_moved(*, moves: dict[int, Any], **_: object) -> dict[int, dict[str, list[int]]]:
    """registry's signal: the villages the households move to (the ones they leave are marked by the save
    that moves them, or by the import's batch). Answers that it moved no rows of its own."""
    _mark(region.code for region in moves.values())
    return {}


def on_person_moved(*, moves: dict[int, str], **_: object) -> None:
    _mark(moves.values())


def on_import_batch(*, instance: Any, raw: bool = False, **_: object) -> None:
    """A registry import done: its rows went in by bulk writes (no model signal), anywhere in the region it
    was imported for, so every village of that region is marked (docs/domain.md §21)."""
    from dixian.regions.models import Region
    from dixian.registry.models import ImportBatch

    if raw or instance.status != ImportBatch.Status.IMPORTED:
        return
    prefix = instance.region.prefix
    villages = Region.objects.filter(
        level=Region.Level.VILLAGE, code__gte=prefix, code__lt=prefix + "~"
    ).values_list("code", flat=True)
    _mark(villages)


# --- funds and projects (docs/domain.md §22) -----------------------------------------------------------------
# The funds producers recompute every unit whenever anything is marked (reports/producers_funds.py), so one
# mark per change is enough: the row's own code (a county's for an allocation, which then stands for no
# village and costs its refresh nothing else) and the months of its dates.

FUNDS_DATES: dict[str, tuple[str, ...]] = {
    "Allocation": ("doc_date",),
    "Arrangement": ("arranged_on",),
    "Project": ("planned_on", "started_on", "completed_on", "accepted_on"),
    "Payment": ("paid_on",),
}


def _funds_days(instance: Any) -> list[dt.date | None]:
    return [getattr(instance, name) for name in FUNDS_DATES.get(type(instance).__name__, ())]


def before_funds_change(*, sender: Any, instance: Any, raw: bool = False, **_: object) -> None:
    """A project's dates or place corrected: the months (and unit) it leaves are recounted too."""
    if raw or instance.pk is None:
        return
    fields = ["region_code", *FUNDS_DATES.get(sender.__name__, ())]
    old = sender.objects.filter(pk=instance.pk).values_list(*fields).first()
    if old is not None:
        _mark([old[0]], *old[1:])


def on_funds_row(*, instance: Any, raw: bool = False, **_: object) -> None:
    """An allocation, arrangement, project, payment, asset or benefit link written or removed."""
    if not raw:
        _mark([instance.region_code], *_funds_days(instance))


def on_funds_import_batch(*, instance: Any, raw: bool = False, **_: object) -> None:
    """The finance office's workbook imported: its rows went in by bulk writes (no model signal), dated any
    month of this year or the last, so the importing unit is marked for each of those months (the funds
    producers then recount every unit of the month, docs/domain.md §21)."""
    from dixian.funds.models import FundsImportBatch

    if raw or instance.status != FundsImportBatch.Status.IMPORTED:
        return
    today = timezone.localdate()
    months = [dt.date(year, month, 1) for year in (today.year - 1, today.year) for month in range(1, 13)]
    _mark([instance.region_code], *months)


def on_project_part(*, instance: Any, raw: bool = False, **_: object) -> None:
    """A project's budget line: the plan's total investment."""
    if not raw:
        _mark([_code_of(instance, "project")])


# --- the employment survey ---------------------------------------------------------------------------------


def on_survey_changed(
    *,
    person_ids: Iterable[int],
    months: Iterable[dt.date],
    record_places: Iterable[str] | None = None,
    **_: object,
) -> None:
    """employment's signal (employment/signals.py), sent inside the write's transaction: the villages where
    the records of these persons and months were made (`record_places` when the writer knows them), for each
    month, the month after (its fall from the previous month, the falling townships) and the same month of
    every later year (a base year's or a previous year's month is compared with them), up to now
    (reports/producers_employment.py)."""
    from dixian.employment import selectors

    months = sorted(set(months))
    person_ids = list(person_ids)
    if not months or not person_ids:
        return
    codes = set(record_places) if record_places is not None else selectors.record_places(person_ids, months)
    if not codes:
        return
    today = timezone.localdate()
    days: set[dt.date] = set()
    for month in months:
        days.add(month)
        days.add(dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1))
        days.update(dt.date(year, month.month, 1) for year in range(month.year + 1, today.year + 1))
    _mark(codes, *sorted(days))


# --- a screening run ----------------------------------------------------------------------------------------------


def facts_after_screening(*, periods: Iterable[Period]) -> RefreshStats | None:
    """Recompute the alert producers' facts of `periods` for every village (what a run changes)."""
    names = alert_producers()
    if not names:
        return None
    return facts_refresh(periods=sorted(set(periods)), producers=names, scope="筛查后更新")


def on_screening_finished(*, run: Any, **_: object) -> None:
    """screening's signal, sent after the run has committed, in the job (or command) that ran it: the
    month's alert figures, and those of the screened period when it is an earlier month. A failure here
    leaves the run as it is (stored and done) and the figures to the nightly refresh."""
    current = Period.current()
    periods = {current}
    with suppress(ValueError):  # a run's period is checked before it runs; nothing to add otherwise
        periods.add(min(Period.parse(run.period), current))
    if getattr(run, "mode", "full") == "incremental":
        # An incremental run (docs/scale.md §3) wrote about a few households: their villages are marked,
        # and the worker refreshes them, instead of every village of the city after each pushed batch.
        from dixian.cases.models import AlertEvidence, UnmatchedRecord

        codes = set(AlertEvidence.objects.filter(run_id=run.pk).values_list("region_code", flat=True))
        codes |= set(UnmatchedRecord.objects.filter(run_id=run.pk).values_list("region_code", flat=True))
        if codes:
            facts_mark_stale(codes, periods=sorted(periods))
        return
    try:
        facts_after_screening(periods=periods)
    except Exception:
        logger.exception("refreshing the alert figures after screening run %s failed", run.pk)


# --- relocation follow-up (docs/domain.md §24) ---------------------------------------------------------------
# The relocation producer recomputes every unit whenever anything is marked (reports/producers_relocation.py):
# the row's own code is enough. Households are linked by a bulk write, after which the service saves the site.


def on_relocation_row(*, instance: Any, raw: bool = False, **_: object) -> None:
    """A site saved (its facts, or households linked to it), a problem, a project link or a household's link
    written or removed."""
    if not raw:
        _mark([instance.region_code])


def triggers_connect() -> None:
    """Called once from ReportsConfig.ready()."""
    from dixian.cases.models import Alert
    from dixian.cases.signals import alert_status_changed
    from dixian.employment.signals import survey_changed
    from dixian.funds.models import (
        Allocation,
        Arrangement,
        Asset,
        BenefitLink,
        FundsImportBatch,
        Payment,
        Project,
        ProjectBudget,
    )
    from dixian.monitoring.models import CaseTransition, Measure
    from dixian.registry.models import HelperAssignment, Household, HouseholdIncome, ImportBatch, Person
    from dixian.registry.signals import household_moved, person_moved
    from dixian.screening.signals import screening_run_finished
    from dixian.visits.models import Visit

    post_save.connect(on_case_transition, sender=CaseTransition, dispatch_uid="reports_case_transition")
    post_save.connect(on_case_part, sender=Measure, dispatch_uid="reports_measure")
    post_save.connect(on_case_part, sender=HelperAssignment, dispatch_uid="reports_helper")
    post_save.connect(on_alert_saved, sender=Alert, dispatch_uid="reports_alert")
    alert_status_changed.connect(on_alert_status_changed, dispatch_uid="reports_alert_status")
    post_save.connect(on_visit, sender=Visit, dispatch_uid="reports_visit")
    for model in (Household, Person):
        pre_save.connect(before_region_change, sender=model, dispatch_uid=f"reports_leave_{model.__name__}")
        post_save.connect(on_registry_row, sender=model, dispatch_uid=f"reports_saved_{model.__name__}")
        post_delete.connect(on_registry_row, sender=model, dispatch_uid=f"reports_deleted_{model.__name__}")
    post_save.connect(on_income, sender=HouseholdIncome, dispatch_uid="reports_income")
    household_moved.connect(on_household_moved, dispatch_uid="reports_household_moved")
    person_moved.connect(on_person_moved, dispatch_uid="reports_person_moved")
    post_save.connect(on_import_batch, sender=ImportBatch, dispatch_uid="reports_import_batch")
    funds_models: tuple[type[Model], ...] = (Allocation, Arrangement, Project, Payment, Asset, BenefitLink)
    for funds_model in funds_models:
        name = funds_model.__name__
        if name in ("Project", "Payment"):
            pre_save.connect(
                before_funds_change, sender=funds_model, dispatch_uid=f"reports_funds_old_{name}"
            )
        post_save.connect(on_funds_row, sender=funds_model, dispatch_uid=f"reports_funds_saved_{name}")
        post_delete.connect(on_funds_row, sender=funds_model, dispatch_uid=f"reports_funds_deleted_{name}")
    post_save.connect(on_project_part, sender=ProjectBudget, dispatch_uid="reports_funds_budget")
    post_save.connect(on_funds_import_batch, sender=FundsImportBatch, dispatch_uid="reports_funds_import")
    screening_run_finished.connect(on_screening_finished, dispatch_uid="reports_screening_finished")
    survey_changed.connect(on_survey_changed, dispatch_uid="reports_survey_changed")
    from dixian.relocation.models import RelocationSite, SiteHousehold, SiteProblem, SiteProject

    for relocation_model in (RelocationSite, SiteHousehold, SiteProblem, SiteProject):
        name = relocation_model.__name__
        post_save.connect(
            on_relocation_row, sender=relocation_model, dispatch_uid=f"reports_relocation_{name}"
        )
        post_delete.connect(
            on_relocation_row, sender=relocation_model, dispatch_uid=f"reports_relocation_d_{name}"
        )
