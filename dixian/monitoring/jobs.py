"""Background work of the monitoring lifecycle, run by `dixian run_worker` (see dixian.common.jobs)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dixian.common.jobs import job_schedule, schedule_due

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
