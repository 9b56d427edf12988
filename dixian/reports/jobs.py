"""The leaders' figures kept current by the job worker (docs/domain.md §21; see dixian.common.jobs).

Every minute the villages marked stale are refreshed, in the worker's loop (a few villages take well under
a second; a month with many of them, after an import, is recomputed whole). Every night, after the
consistency check (monitoring/jobs.py), a job recomputes every figure of the current and the last month:
the stocks read then are the month's end, and whatever a bulk write changed without a mark is caught.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dixian.common.jobs import JobError, Progress, job_enqueue, job_handler, job_schedule, schedule_due
from dixian.common.models import Job
from dixian.screening.services import system_user

from .models import FactRefresh
from .periods import Period, PeriodError
from .services import RefreshStats, facts_refresh, facts_refresh_stale

STALE_EVERY = dt.timedelta(minutes=1)
REFRESH_LOG_KEPT = dt.timedelta(days=31)
NIGHTLY_HOURS = (3, 6)  # local time, [from, to): after the consistency check opens at 2 (monitoring/jobs.py)


@job_schedule
def facts_stale_schedule(now: dt.datetime) -> RefreshStats | None:
    """The villages whose data changed since the last refresh (reports/triggers.py marks them)."""
    if not schedule_due("reports-stale", now, STALE_EVERY):
        return None
    return facts_refresh_stale()


@job_schedule
def facts_nightly_schedule(now: dt.datetime) -> Job | None:
    """Once a night inside NIGHTLY_HOURS, the figures of the current and the last month recomputed whole, as a job (under the
    worker's limits, and on the job list with its outcome)."""
    local = timezone.localtime(now)
    start, end = NIGHTLY_HOURS
    if not start <= local.hour < end or not schedule_due("reports-nightly", now, dt.timedelta(hours=20)):
        return None
    # Last month too: its flows keep moving as its alerts are worked (rule yield, outcomes), deliveries for
    # it arrive after its run, and a change marked but read by a refresh racing its commit is caught here.
    current = Period.of(local.date())
    periods = [str(current.previous()), str(current)]
    return job_enqueue(kind="facts_refresh", owner=system_user(), params={"periods": periods})


@job_handler("facts_refresh")
def facts_refresh_job(job: Job, progress: Progress) -> None:
    """Recompute every producer's figures of params.periods (default: the current month)."""
    try:
        periods = [Period.parse(p) for p in job.params.get("periods") or []] or [Period.current()]
    except PeriodError as exc:
        raise JobError(str(exc)) from exc
    progress(0, 1)
    stats = facts_refresh(periods=periods, scope="每日更新")
    # The log of refreshes gains a row a minute while villages change: a month of it is kept.
    FactRefresh.objects.filter(finished_at__lt=timezone.now() - REFRESH_LOG_KEPT).delete()
    job.message = (
        f"统计数已更新:{'、'.join(stats.periods)},写入 {stats.rows} 条,用时 {stats.seconds:.1f} 秒。"[:500]
    )
    progress(1, 1)
