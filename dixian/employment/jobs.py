"""Background work of employment monitoring, run by `dixian run_worker` (see dixian.common.jobs)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dixian.common.jobs import Progress, job_enqueue, job_handler, job_schedule, schedule_due
from dixian.common.models import Job
from dixian.screening.services import system_user

from .keygroups import keygroups_refresh_all

# Key groups follow the survey through its signal; what sends none (a labour skill changed, a death or a
# move reported, a birthday past the working age, the month turning) is caught by a full refresh each night,
# before the leaders' figures are recomputed (reports/jobs.py, from 3 o'clock).
KEYGROUPS_NIGHTLY_HOURS = (1, 3)  # local time, [from, to)
KEYGROUPS_JOB = "employment_keygroups_refresh"


@job_schedule
def keygroups_nightly_schedule(now: dt.datetime) -> Job | None:
    """Once a night inside KEYGROUPS_NIGHTLY_HOURS, the full refresh of the key groups, as a job (under the
    worker's limits, on the job list with its outcome). A worker down then skips a night; the command
    `dixian employment_keygroups_refresh` runs it by hand."""
    local = timezone.localtime(now)
    start, end = KEYGROUPS_NIGHTLY_HOURS
    if not start <= local.hour < end or not schedule_due("employment-keygroups", now, dt.timedelta(hours=20)):
        return None
    return job_enqueue(kind=KEYGROUPS_JOB, owner=system_user(), params={"region": ""})


@job_handler(KEYGROUPS_JOB)
def keygroups_refresh_job(job: Job, progress: Progress) -> None:
    prefix = str(job.params.get("region") or "")
    stats = keygroups_refresh_all(prefix, progress=progress)
    job.message = (
        f"重点群体已更新:核对 {stats.persons} 人,新列入 {stats.opened} 条,退出 {stats.closed} 条,"
        f"更正 {stats.changed} 条。"
    )[:500]
