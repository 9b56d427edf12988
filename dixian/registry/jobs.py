"""Background jobs of the registry, run by `dixian run_worker` (see dixian.common.jobs)."""

from __future__ import annotations

from dixian.common.jobs import Progress, job_handler
from dixian.common.models import Job

from . import exports, imports

# --- export of the household list (农户信息导出) ----------------------------------------------------------


@job_handler(exports.JOB_KIND)
def registry_export(job: Job, progress: Progress) -> None:
    exports.household_export_job(job, progress)


# --- import of a registry workbook (农户信息导入) --------------------------------------------------------


@job_handler("registry_import")
def registry_import(job: Job, progress: Progress) -> None:
    imports.registry_import_job(job, progress)
