"""Background work of the monitoring lifecycle, run by `dixian run_worker` (see dixian.common.jobs)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dixian.common.jobs import job_schedule, schedule_due

from .consistency import CheckResult, consistency_check
from .deadlines import deadline_counts_write

# Today's counts are rewritten every hour, so the day's row ends with the day's last state and a worker
# that was down in the morning still writes the day (docs/domain.md §20).
DEADLINE_COUNTS_EVERY = dt.timedelta(hours=1)


@job_schedule
def deadline_counts_schedule(now: dt.datetime) -> int | None:
    """Each village's open, due-soon and overdue identification cases of today (DeadlineDailyCount)."""
    if not schedule_due("monitoring-deadline-counts", now, DEADLINE_COUNTS_EVERY):
        return None
    return deadline_counts_write(timezone.localdate(now))


NIGHTLY_HOURS = (2, 6)  # local time, [from, to): after the day's entries, before the morning's work


@job_schedule
def consistency_schedule(now: dt.datetime) -> CheckResult | None:
    """Every night, the 疑点核查 over every region (docs/domain.md §20.1): findings open, stay or close.
    Once a night inside NIGHTLY_HOURS (a worker that is down then skips a night; the command runs it by hand)."""
    local = timezone.localtime(now)
    start, end = NIGHTLY_HOURS
    if not start <= local.hour < end or not schedule_due(
        "monitoring-consistency", now, dt.timedelta(hours=20)
    ):
        return None
    return consistency_check(today=local.date())
