"""Background screening: a delivery is screened as soon as it lands, a period on request, and the previous
month's period every month once its department data is in (`DIXIAN_MONTHLY_RUN_DAY`)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dixian.common.jobs import JobError, Progress, job_enqueue, job_handler, job_schedule
from dixian.common.locks import transaction_lock
from dixian.common.models import Job
from dixian.feeds.models import FeedDelivery

from .models import ScreeningRun
from .scope import Scope
from .services import ScreeningFailed, screening_run, system_user


@job_handler("screen_delivery")
def screen_delivery(job: Job, progress: Progress) -> None:
    """Screen the period of the deliveries that just landed (params: delivery_ids, or delivery_id of a
    job queued before coalescing): one run for all of them (docs/security.md §3); they are marked screened."""
    ids = [i for i in (job.params.get("delivery_ids") or [job.params.get("delivery_id")]) if i is not None]
    found = list(FeedDelivery.objects.filter(pk__in=ids).order_by("id"))
    if not found:
        raise JobError("要筛查的报送不存在(可能已被删除)。")
    live = [d for d in found if d.is_live]
    if not live:
        raise JobError(f"该报送状态为“{found[0].get_status_display()}”,只有已接收的报送才能筛查。")
    progress(0, 1)
    try:
        # Incremental (docs/scale.md §3): the households the deliveries' rows name, not the whole period.
        run = screening_run(
            period=live[0].period,
            trigger=ScreeningRun.Trigger.DELIVERY,
            delivery=live[0],
            changed=live,
            scope=Scope(),
        )
    except ScreeningFailed as exc:
        raise JobError(str(exc)) from exc
    job.message = _summary(run)
    progress(1, 1)


@job_handler("screen_households")
def screen_households(job: Job, progress: Progress) -> None:
    """Screen again the households registry edits touched (params: period, household_ids, id_numbers;
    queued after the edits' commit, coalesced while it waits: `registry_changes_enqueue`)."""
    progress(0, 1)
    scope = Scope(
        households={int(pk) for pk in job.params.get("household_ids") or []},
        id_numbers={str(i) for i in job.params.get("id_numbers") or []},
    )
    try:
        run = screening_run(
            period=str(job.params.get("period", "")), trigger=ScreeningRun.Trigger.REGISTRY, scope=scope
        )
    except ValidationError as exc:
        raise JobError("; ".join(exc.messages)) from exc
    except ScreeningFailed as exc:
        raise JobError(str(exc)) from exc
    finally:
        # Plain ID numbers wait in the queued job only (jobs are kept, and shown in admin): once it has
        # run, done or failed, only their count stays (docs/scale.md §3). A job killed mid-run keeps them.
        job.params = {
            **{k: v for k, v in job.params.items() if k != "id_numbers"},
            "id_numbers_count": len(scope.id_numbers),
        }
        Job.objects.filter(pk=job.pk).update(params=job.params)
    job.message = _summary(run)
    progress(1, 1)


@job_handler("screen_period")
def screen_period(job: Job, progress: Progress) -> None:
    """A monthly run of a period (params: period, optional backend), started by `job.owner` or, with
    params.scheduled, by the monthly schedule below."""
    progress(0, 1)
    try:
        run = screening_run(
            period=str(job.params.get("period", "")),
            trigger=ScreeningRun.Trigger.MONTHLY,
            # A scheduled run was started by nobody: its audit rows say 系统, as a delivery's run's do.
            actor=None if job.params.get("scheduled") else job.owner,
            backend=str(job.params.get("backend", "duckdb")),
        )
    except ValidationError as exc:
        raise JobError("; ".join(exc.messages)) from exc
    except ScreeningFailed as exc:
        raise JobError(str(exc)) from exc
    job.message = _summary(run)
    progress(1, 1)


def _summary(run: ScreeningRun) -> str:
    scope = ""
    if run.mode == ScreeningRun.Mode.INCREMENTAL:
        scope = f"(增量,{run.households} 户" + (
            f";规则 {'、'.join(run.rules_full)} 版本有变更,已全量筛查)" if run.rules_full else ")"
        )
    return (
        f"筛查 {run.period}{scope} 完成:新增预警 {run.alerts_new} 条,新增证据 {run.evidence_new} 条,"
        f"补充到监测户 {run.case_evidence_new} 条,应纳未纳 {run.unmatched_new} 条。"
    )[:500]


@job_schedule
def monthly_run_schedule(now: dt.datetime) -> Job | None:
    """From day `DIXIAN_MONTHLY_RUN_DAY` of a month (Beijing time; 0 turns it off), the previous month is
    screened once by the system account, unless a monthly run of that period was already made or asked for
    (by hand or by this schedule, whatever its outcome: a failed run is not retried every minute, it shows
    on /screening/ for an administrator to start again). Returns the job it queued."""
    day = settings.DIXIAN_MONTHLY_RUN_DAY
    today = timezone.localdate(now)
    if not day or today.day < day:
        return None
    last = today.replace(day=1) - dt.timedelta(days=1)
    period = f"{last.year:04d}-{last.month:02d}"
    with transaction.atomic():
        transaction_lock("screening.monthly_schedule")  # workers deciding whether it is due take turns
        if (
            ScreeningRun.objects.filter(period=period, trigger=ScreeningRun.Trigger.MONTHLY).exists()
            or Job.objects.filter(kind="screen_period", params__period=period).exists()
        ):
            return None
        return job_enqueue(
            kind="screen_period", owner=system_user(), params={"period": period, "scheduled": True}
        )
