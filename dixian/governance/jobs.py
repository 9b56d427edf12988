"""Background work of village governance, run by `dixian run_worker` (see dixian.common.jobs)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dixian.common.jobs import job_schedule, schedule_due

from .services import governance_check

NIGHTLY_HOURS = (2, 6)  # local time, [from, to): after the day's entries, before the morning's work


@job_schedule
def governance_check_schedule(now: dt.datetime) -> tuple[int, int] | None:
    """Every night, the missing steps of 四议两公开 raised as findings (docs/domain.md §28). Once a night inside
    NIGHTLY_HOURS; `dixian governance_check` runs the same by hand."""
    local = timezone.localtime(now)
    start, end = NIGHTLY_HOURS
    if not start <= local.hour < end or not schedule_due("governance-check", now, dt.timedelta(hours=20)):
        return None
    return governance_check()
