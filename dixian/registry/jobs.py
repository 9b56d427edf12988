"""Background jobs of the registry, run by `dixian run_worker` (see dixian.common.jobs)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dixian.common.jobs import Progress, job_handler, job_schedule, schedule_due
from dixian.common.models import Job

from . import exports, imports
from .services import households_refresh_by_age

# --- export of the household list (农户信息导出) ----------------------------------------------------------


@job_handler(exports.JOB_KIND)
def registry_export(job: Job, progress: Progress) -> None:
    exports.household_export_job(job, progress)


# --- import of a registry workbook (农户信息导入) --------------------------------------------------------


@job_handler("registry_import")
def registry_import(job: Job, progress: Progress) -> None:
    imports.registry_import_job(job, progress)


# --- daily: flags that move with the calendar ------------------------------------------------------------


@job_schedule
def education_flags_schedule(now: dt.datetime) -> int | None:
    """Once a day, education_ok follows the dropout members' ages (see households_refresh_by_age)."""
    if not schedule_due("registry-education-flags", now, dt.timedelta(days=1)):
        return None
    return households_refresh_by_age(today=timezone.localdate(now))
