"""Writes for rules and screening runs."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from .engine import ScreeningInputError, default_rules, parse_period
from .models import Rule, RuleVersion, ScreeningRun
from .signals import screening_run_finished

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.common.models import Job
    from dixian.feeds.models import FeedDelivery

    from .scope import Scope

logger = logging.getLogger("dixian.screening")
SYSTEM_USERNAME = "dixian-system"
# The note of the shipped versions, as the rules pages show it (migration 0003 relabelled older rows).
DEFAULT_RULE_NOTE = "系统默认规则"


@transaction.atomic
def rules_seed_defaults() -> int:
    """Create the shipped rules (docs/rules.md R01–R17) not there yet; existing rules are left as edited.

    Returns the number of rules created.
    """
    created = 0
    existing = set(Rule.objects.values_list("rule_id", flat=True))
    for engine_rule in default_rules():
        if engine_rule.rule_id in existing:
            continue
        rule = Rule.objects.create(
            rule_id=engine_rule.rule_id,
            name=engine_rule.name,
            logic=engine_rule.logic,
            feeds=list(engine_rule.feeds),
        )
        data = engine_rule.to_dict()
        RuleVersion.objects.create(
            rule=rule,
            version=engine_rule.version,
            region_prefix=engine_rule.region,
            risk_code=engine_rule.risk_code,
            grade=engine_rule.grade,
            template=engine_rule.template,
            params=data["params"],
            escalations=data["escalations"],
            valid_from=engine_rule.valid_from,
            valid_to=engine_rule.valid_to,
            note=DEFAULT_RULE_NOTE,
        )
        existing.add(engine_rule.rule_id)
        created += 1
    return created


def rules_seed_defaults_on_migrate(**kwargs: Any) -> None:
    rules_seed_defaults()


def screening_enqueue_for_delivery(delivery: FeedDelivery, *, owner: User | None = None) -> Job:
    """Screen a delivery as soon as it lands: a `screen_delivery` job the worker picks up within a second.

    Deliveries landing close together are screened together (docs/security.md §3): while a job for the
    delivery's period waits in the queue, the delivery joins it (`params.delivery_ids`) instead of queuing
    a run of its own; once the job has started, the next delivery queues the next job. A run screens its
    period for every region, so one waiting job per period covers every region's deliveries.

    The job belongs to `owner`, else to the account that sent the delivery, else (generated demo data) to
    the platform's inactive system account.
    """
    from dixian.common.jobs import job_enqueue
    from dixian.common.locks import transaction_lock
    from dixian.common.models import Job

    with transaction.atomic():
        # Deliveries of one period take turns here; the worker's claim (which moves the job out of the
        # queue) and this update lock the same row, so a delivery never joins a job already running.
        transaction_lock(f"screening.delivery_job:{delivery.period}")
        waiting = (
            Job.objects.select_for_update()
            .filter(kind="screen_delivery", status=Job.Status.QUEUED, params__period=delivery.period)
            .order_by("id")
            .first()
        )
        if waiting is not None:
            ids = list(waiting.params.get("delivery_ids") or [waiting.params.get("delivery_id")])
            if delivery.pk not in ids:
                waiting.params = {**waiting.params, "delivery_ids": [*ids, delivery.pk]}
                waiting.save(update_fields=["params"])
            return waiting
        owner = owner or delivery.source or system_user()
        return job_enqueue(
            kind="screen_delivery",
            owner=owner,
            params={"delivery_id": delivery.pk, "period": delivery.period, "delivery_ids": [delivery.pk]},
        )


def screening_enqueue_on_delivery_changed(*, delivery: FeedDelivery, owner: User | None, **_: object) -> None:
    """feeds' `delivery_changed` signal: a delivery was accepted or one of its links decided; screen it."""
    screening_enqueue_for_delivery(delivery, owner=owner)


def screening_enqueue_for_period(*, period: str, actor: User) -> Job:
    """A monthly run of `period` in the background, started from the page by a county or city admin."""
    from dixian.common.jobs import job_enqueue

    period = period_check(period)
    return job_enqueue(kind="screen_period", owner=actor, params={"period": period})


def system_user() -> User:
    """The account that owns work nobody started (jobs for generated deliveries). It cannot log in:
    inactive, no password, no region, no roles."""
    from dixian.accounts.models import User

    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False, "first_name": "系统"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def period_check(period: str) -> str:
    """'2026-10' (also '2026-1' → '2026-01'); anything else raises ValidationError in Chinese."""
    try:
        start, _ = parse_period(period or "")
    except ScreeningInputError as exc:
        raise ValidationError(str(exc)) from None
    if start.year < 2000 or start.year > 2100:
        raise ValidationError(f"筛查期间 {period} 的年份不合理,请填写 2000–2100 年之间的月份,例如 2026-10")
    return f"{start.year:04d}-{start.month:02d}"


class ScreeningFailed(Exception):
    """A run that could not finish; the message (Chinese) is meant for the user, the run row says FAILED."""


# Rows of the deliveries an incremental run was started for beyond which it runs in full instead.
INCREMENTAL_MAX_ROWS = 50_000


def _without_households(result: Any, household_nos: Any) -> Any:
    """`result` without the alerts and case evidence of these households (its 应纳未纳 rows stay)."""
    import dataclasses

    import pyarrow.compute as pc

    def keep(table: Any) -> Any:
        return table.filter(pc.invert(pc.is_in(table.column("household_no"), value_set=household_nos)))

    return dataclasses.replace(result, alerts=keep(result.alerts), case_evidence=keep(result.case_evidence))


def rule_set_of(rules: list[Any], period: str) -> dict[str, list[str]]:
    """{rule id: ["<region prefix>:<version>", …]} of the rule versions valid at the end of `period` (what a
    run of that period screens with; docs/scale.md §3)."""
    from .engine import select_versions

    out: dict[str, list[str]] = {}
    for rule in select_versions(rules, parse_period(period)[1]):
        out.setdefault(rule.rule_id, []).append(f"{rule.region}:{rule.version}")
    return {k: sorted(v) for k, v in sorted(out.items())}


def rules_changed(before: dict[str, list[str]], now: dict[str, list[str]]) -> list[str]:
    """The rules whose versions differ between two rule sets, and the rules added (those removed raise
    nothing new). An unknown earlier set (a run stored before runs kept theirs: {}) counts every rule."""
    if not before:
        return sorted(now)
    return sorted(rule for rule, versions in now.items() if before.get(rule) != versions)


def screening_run(
    *,
    period: str,
    trigger: str,
    actor: User | None = None,
    delivery: FeedDelivery | None = None,
    changed: list[FeedDelivery] | None = None,
    scope: Scope | None = None,
    backend: str = "duckdb",
    backend_options: dict[str, Any] | None = None,
) -> ScreeningRun:
    """Screen `period`: read the registry, rules and live deliveries, link the deliveries not yet linked,
    run the engine, and store what it found (alerts, evidence, case evidence, 应纳未纳) in one transaction.

    `delivery`/`changed`: the run screens deliveries that just landed (the first names the run; `changed`
    lists every delivery of a coalesced job, docs/security.md §3), reading only the feeds they concern.

    `scope`: an incremental run (docs/scale.md §3): only the households the change touches (the persons of
    `scope.deliveries`, the households and ID numbers edited), with every rule, over their rows in every
    live delivery; it stores what a full run would find for them. When the rule versions valid in the
    period differ from those of the period's last run, the rules that changed are screened in full first
    (all households), and the run says so.

    Re-running a period adds nothing (evidence is deduplicated). The run row is written first and kept
    whatever happens: a failure marks it FAILED with its reason and leaves no result half-stored.
    """
    from dixian.common.audit import change_record
    from dixian.common.models import ChangeLog
    from dixian.feeds.models import FeedDelivery

    from . import loading, store
    from .engine import screen
    from .spark import spark_backend

    period = period_check(period)
    if changed is None:
        changed = [delivery] if delivery is not None else []
    elif delivery is None and changed:
        delivery = changed[0]
    if backend not in ("duckdb", "spark"):
        raise ValidationError("筛查引擎只能是 duckdb 或 spark")
    # A big delivery (a month of a department's whole data, or one whose link was decided) touches most
    # households: the full run of its feeds is then the cheaper way to the same result (docs/scale.md §3).
    too_big = scope is not None and sum(d.row_count for d in changed) > INCREMENTAL_MAX_ROWS
    if too_big:
        scope = None
    incremental = scope is not None
    too_wide = False  # an incremental run whose households kept growing: screened in full (docs/scale.md §3)
    run = ScreeningRun.objects.create(
        period=period,
        trigger=trigger,
        actor=actor,
        delivery=delivery,
        backend=backend,
        mode=ScreeningRun.Mode.INCREMENTAL if incremental else ScreeningRun.Mode.FULL,
    )
    timings: dict[str, float] = {}
    started = t0 = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t0
        t1 = time.perf_counter()
        timings[name] = round(t1 - t0, 3)
        t0 = t1

    try:
        # Spark first: a session that cannot start fails the run at once, before anything is read or linked.
        engine_backend = spark_backend() if backend == "spark" else backend
        rules = loading.rules_load()
        rule_set = rule_set_of(rules, period)
        deliveries = loading.deliveries_for(period)
        # Each part is one engine run: (rules, registry, feeds, period feeds, deliveries read, and for the
        # scope its rows of each delivery).
        parts: list[
            tuple[list[Any], dict[str, Any], dict[str, Any], dict[str, Any], list[FeedDelivery], Any]
        ] = []
        full_rules: list[str] = []
        households = 0
        # The rule versions this run leaves every household screened with (docs/scale.md §3): all of them,
        # except on a delivery's full run that reads only some feeds (below).
        recorded = rule_set
        if scope is not None:
            from .scope import MAX_ROUNDS, Scope, scope_feeds

            scope = Scope(set(scope.households), set(scope.id_numbers), set(scope.deliveries))
            scope.deliveries |= {d.pk for d in changed}
            last = (
                ScreeningRun.objects.filter(period=period, status=ScreeningRun.Status.DONE)
                .exclude(pk=run.pk)
                .order_by("-pk")
                .first()
            )
            if last is not None:
                full_rules = rules_changed(last.rule_set, rule_set)
            unlinked = [d for d in deliveries if d.linked_at is None]
            # Deliveries not linked yet are new: they are read whole, like the ones that landed.
            scope.deliveries |= {d.pk for d in unlinked}
            lap("load_registry")
            if unlinked:
                _link(unlinked, _persons_for_linking(unlinked))
            lap("link")
            links = loading.links_load()
            monitored = loading.monitored_risks_load()
            scoped = scope_feeds(scope=scope, deliveries=deliveries, links=links, period=period)
            timings.update(scoped.timings)
            if scoped.whole:
                # The households kept growing (a chain of re-sent keys): a full run of every rule.
                too_wide, incremental, full_rules = True, False, []
                registry = loading.registry_load(period)
                households = registry["households"].num_rows
                parts.append(
                    (
                        rules,
                        registry,
                        loading.feeds_load(deliveries),
                        loading.feeds_load([d for d in deliveries if d.period == period]),
                        deliveries,
                        None,
                    )
                )
        if scope is not None and not too_wide:
            registry = loading.registry_load(period, households=scoped.households)
            households = registry["households"].num_rows  # those still in the registry
            with_rows = [d for d in deliveries if d.pk in scoped.deliveries]
            lap("load_other")
            if full_rules:
                # The rules whose versions changed screen every household (their new thresholds may
                # find anything), over the feeds they read; the scope then runs every rule.
                wanted = {f for r in rules if r.rule_id in full_rules for f in r.feeds}
                read = [d for d in deliveries if d.feed in wanted]
                parts.append(
                    (
                        [r for r in rules if r.rule_id in full_rules],
                        loading.registry_load(period),
                        loading.feeds_load(read),
                        loading.feeds_load([d for d in read if d.period == period]),
                        read,
                        None,
                    )
                )
            parts.append((rules, registry, scoped.feeds, scoped.period_feeds, with_rows, scoped.rows_of))
        elif scope is None:
            links = None
            if changed:
                # Screening as deliveries land: only the feeds whose rules can see something new in them
                # (their own, and those read together with them, e.g. education for R14). The monthly run
                # reads all.
                sent = {d.feed for d in changed}
                wanted = sent | {f for r in rules if sent & set(r.feeds) for f in r.feeds}
                deliveries = [d for d in deliveries if d.feed in wanted]
                # A rule whose feeds were not all read was not run over every household with its new
                # version: the earlier run's version stays recorded, so a later incremental run still sees
                # the change and screens that rule in full.
                covered = {r.rule_id for r in rules if set(r.feeds) <= wanted}
                before = (
                    ScreeningRun.objects.filter(period=period, status=ScreeningRun.Status.DONE)
                    .exclude(pk=run.pk)
                    .order_by("-pk")
                    .values_list("rule_set", flat=True)
                    .first()
                ) or {}
                recorded = {
                    rule: before[rule] if rule not in covered else versions
                    for rule, versions in rule_set.items()
                    if rule in covered or rule in before
                }
            unlinked = [d for d in deliveries if d.linked_at is None]
            registry = loading.registry_load(period, identity=bool(unlinked))
            lap("load_registry")
            if unlinked:
                _link(unlinked, registry["persons"])
            lap("link")
            links = loading.links_load()
            monitored = loading.monitored_risks_load()
            # This period's deliveries: their rows older than the rules' windows are listed when they match
            # nobody (no run screens them).
            parts.append(
                (
                    rules,
                    registry,
                    loading.feeds_load(deliveries),
                    loading.feeds_load([d for d in deliveries if d.period == period]),
                    deliveries,
                    None,
                )
            )
            lap("load_other")
        results = []
        for part_rules, part_registry, feeds, period_feeds, _read, _rows in parts:
            results.append(
                screen(
                    part_registry,
                    feeds,
                    part_rules,
                    period,
                    engine_backend,
                    links=links,
                    monitored_risks=monitored,
                    period_feeds=period_feeds,
                    backend_options=backend_options,
                )
            )
        if len(results) == 2:
            # The full part keeps to the households outside the scope (the scope part ran every rule for
            # those): no household gets the two parts' evidence one after the other, which would order its
            # alert's reasons, and count it, unlike a full run (docs/scale.md §3).
            results[0] = _without_households(results[0], parts[1][1]["households"].column("household_no"))
        lap("engine")
        read_pks = sorted({d.pk for part in parts for d in part[4]})
        with store.run_page_cache(), transaction.atomic():
            store.run_transaction_settings()
            now = timezone.now()
            counts = store.StoreCounts()
            for result, part in zip(results, parts, strict=True):
                part_counts = store.result_store(
                    result=result,
                    run=run,
                    households=part[1]["households"],
                    deliveries=part[4],
                    actor=actor,
                    now=now,
                    rows_of=part[5],
                )
                counts.add(part_counts)
            # A full run has read every row of its deliveries; an incremental one only the rows of its
            # households, so only the deliveries it was started for count as screened.
            done = [d.pk for d in changed] if incremental else read_pks
            done += [pk for pk in (scope.deliveries if scope is not None else ()) if pk not in done]
            FeedDelivery.objects.filter(pk__in=done, status=FeedDelivery.Status.ACCEPTED).update(
                status=FeedDelivery.Status.SCREENED, screened_at=now
            )
            if changed:
                FeedDelivery.objects.filter(pk__in=[d.pk for d in changed]).update(screened_at=now)
            lap("store")
            timings.update({f"store.{k}": v for k, v in counts.timings.items()})
            timings["total"] = round(time.perf_counter() - started, 3)
            run.status = ScreeningRun.Status.DONE
            run.finished_at = timezone.now()
            run.rules_run = sorted({r for result in results for r in result.rules_run})
            run.rules_skipped = {k: v for result in results for k, v in result.rules_skipped.items()}
            run.rule_set = recorded
            run.rules_full = full_rules
            run.households = households
            run.deliveries = read_pks
            run.alerts_new = counts.alerts_new
            run.evidence_new = counts.evidence_new
            run.case_evidence_new = counts.case_evidence_new
            run.unmatched_new = counts.unmatched_new
            run.timings = timings
            message = _run_message(
                counts, incremental=incremental, households=households, full_rules=full_rules
            )
            if too_wide:
                run.mode = ScreeningRun.Mode.FULL
                message = f"变更涉及的户经相同记录号相互牵连超过 {MAX_ROUNDS} 轮,本次按全量筛查。" + message
            run.message = (("报送行数较多,本次按全量筛查。" if too_big else "") + message)[:500]
            run.save()
            change_record(
                actor=actor,
                source=ChangeLog.Source.SYSTEM if actor is None else ChangeLog.Source.WEB,
                entity="screening_run",
                entity_id=run.pk,
                household_id=None,
                action=ChangeLog.Action.CREATE,
                summary=(
                    f"筛查 {period}({run.get_trigger_display()}、{run.get_mode_display()}):"
                    f"新增预警 {run.alerts_new} 条、证据 {run.evidence_new} 条、应纳未纳 {run.unmatched_new} 条"
                )[:200],
                reference=f"screening:{run.pk}",
            )
            stored_at = time.perf_counter()
    except Exception as exc:
        if isinstance(exc, ScreeningInputError | ValidationError):
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        else:
            logger.exception("screening run %s of %s failed", run.pk, period)
            message = "筛查时出现意外错误,已记录日志,没有写入任何结果。请重试或联系管理员。"
        timings["total"] = round(time.perf_counter() - started, 3)
        ScreeningRun.objects.filter(pk=run.pk).update(
            status=ScreeningRun.Status.FAILED,
            finished_at=timezone.now(),
            message=message[:500],
            timings=timings,
        )
        raise ScreeningFailed(message) from exc
    if full_rules:
        logger.info("screening run %s of %s: %s", run.pk, period, run.message)
    # The commit checks the foreign keys of every row written (PostgreSQL defers them): part of the run.
    # Recorded after it, outside the try: the run is stored whatever happens to this one figure.
    timings["commit"] = round(time.perf_counter() - stored_at, 3)
    timings["total"] = round(time.perf_counter() - started, 3)
    try:
        ScreeningRun.objects.filter(pk=run.pk).update(timings=timings)
    except DatabaseError:
        logger.warning("screening run %s: timings not recorded", run.pk, exc_info=True)
    # The apps above follow a finished run (reports refreshes the month's alert figures): after the commit,
    # so that they read what the run stored (screening/signals.py).
    screening_run_finished.send(sender=ScreeningRun, run=run)
    return run


def _run_message(counts: Any, *, incremental: bool, households: int, full_rules: list[str]) -> str:
    text = f"新增预警 {counts.alerts_new} 条,并入已有预警 {counts.alerts_merged} 条" + (
        f";外地记录待核实 {counts.out_of_region} 条(未计入预警)" if counts.out_of_region else ""
    )
    if not incremental:
        return text
    scope = f"增量筛查:只筛查了变更涉及的 {households} 户"
    if full_rules:
        scope += (
            f";规则 {'、'.join(full_rules)} 的版本自本期上次筛查后有变更,这些规则已对全部农户重新筛查(全量)"
        )
    return f"{scope}。{text}"[:500]


def _persons_for_linking(unlinked: list[FeedDelivery]) -> Any:
    """The registry's persons as probabilistic linkage reads them, when a row of the deliveries needs it
    (no usable ID number, or one nobody in the registry has); else none (an empty table: nothing is read).
    At city scale reading the persons costs seconds: a batch whose rows all carry known ID numbers skips it."""
    from . import loading
    from .scope import needs_linking

    if needs_linking(unlinked):
        return loading.persons_for_linking()
    return loading.persons_for_linking(empty=True)


def _link(deliveries: list[FeedDelivery], persons: Any) -> None:
    """Probabilistic linkage of the rows without a usable ID number (feeds.linkage_store, Splink)."""
    from dixian.feeds.linkage_store import deliveries_link

    cols = ["id_number", "name", "sex", "birth_date", "region_code", "household_no"]
    deliveries_link(
        deliveries=deliveries, persons=persons.select([c for c in cols if c in persons.column_names])
    )
