"""Background jobs: a Job row plus `dixian run_worker`, the same code on SQLite and PostgreSQL.

A job kind is registered with `@job_handler("kind")`; the handler receives the Job and a `progress`
callback, and returns nothing (it sets `result_file`/`message` on the job) or raises `JobError` with a
Chinese message for the user. Any other exception is logged and shown as a generic failure.

Work that is due by the calendar (the monthly screening run) is registered with `@job_schedule`: the
worker calls each schedule about once a minute with the time, and the schedule enqueues a job when one is
due. A schedule must be idempotent: several workers call it, and it is called again every minute.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Job

if TYPE_CHECKING:
    from dixian.accounts.models import User

logger = logging.getLogger("dixian.jobs")

Progress = Callable[[int, int], None]
Handler = Callable[[Job, Progress], None]
Schedule = Callable[[dt.datetime], object]
_HANDLERS: dict[str, Handler] = {}
_SCHEDULES: list[Schedule] = []
SCHEDULE_EVERY_SECONDS = 60.0


class JobError(Exception):
    """A failure whose message (in Chinese) is meant for the user."""


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def job_schedule[S: Schedule](fn: S) -> S:
    _SCHEDULES.append(fn)
    return fn


def schedules_run(now: dt.datetime | None = None) -> None:
    """Give every schedule the chance to enqueue what is due. A failing schedule is logged and the others
    still run: the worker must go on running jobs."""
    _load_handlers()  # schedules live beside the handlers, in the apps' jobs modules
    now = now or timezone.now()
    for schedule in _SCHEDULES:
        try:
            schedule(now)
        except Exception:
            logger.exception("schedule %s failed", getattr(schedule, "__name__", schedule))


def schedule_due(name: str, now: dt.datetime, every: dt.timedelta) -> bool:
    """True at most once per `every` for `name`, whichever worker asks: the time of a marker file under
    DATA_DIR/jobs says when it was last due (each worker may hold another database connection, not
    another disk)."""
    marker = job_dir() / f"schedule-{name}"
    if marker.exists() and now.timestamp() - marker.stat().st_mtime < every.total_seconds():
        return False
    marker.touch()
    os.utime(marker, (now.timestamp(), now.timestamp()))
    return True


def job_dir() -> Path:
    path = Path(settings.DATA_DIR) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- result files: rights and expiry (docs/security.md §5) ------------------------------------------------


def job_result_rights(job: Job, *, pii: bool, region_code: str, capability: str) -> None:
    """Record with a result file what reading it takes: the personal-data right if it holds full numbers,
    the region it covers and the capability its page needs. The download checks them against the
    account's rights at that moment (`views_jobs.job_download`)."""
    job.params = {
        **job.params,
        "rights": {"pii": pii, "region_code": region_code, "capability": capability},
    }


def export_ttl() -> dt.timedelta:
    return dt.timedelta(days=settings.DIXIAN_EXPORT_TTL_DAYS)


def job_result_expired(job: Job, now: dt.datetime | None = None) -> bool:
    """Whether the job's result file is past DIXIAN_EXPORT_TTL_DAYS (deleted, or about to be)."""
    if job.finished_at is None or not job.result_name:
        return False
    return job.finished_at + export_ttl() <= (now or timezone.now())


def job_result_path(job: Job) -> Path | None:
    """The result file's path inside DATA_DIR/jobs, or None (no file, or a name pointing elsewhere)."""
    if not job.result_file:
        return None
    path = (job_dir() / job.result_file).resolve()
    return path if job_dir().resolve() in path.parents else None


def job_result_delete(job: Job) -> None:
    """Delete the result file; the job keeps its download name, so its page can say the file expired."""
    path = job_result_path(job)
    if path is not None:
        path.unlink(missing_ok=True)
    Job.objects.filter(pk=job.pk).update(result_file="")
    job.result_file = ""


def expired_results_purge(now: dt.datetime | None = None) -> int:
    """Delete every result file older than DIXIAN_EXPORT_TTL_DAYS; returns how many jobs had one."""
    cutoff = (now or timezone.now()) - export_ttl()
    jobs = list(Job.objects.filter(finished_at__lte=cutoff).exclude(result_file=""))
    for job in jobs:
        job_result_delete(job)
    return len(jobs)


def job_enqueue(*, kind: str, owner: User, params: dict[str, object], total: int = 0) -> Job:
    if kind not in _HANDLERS:
        _load_handlers()
    if kind not in _HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    return Job.objects.create(kind=kind, owner=owner, params=params, total=total)


def _load_handlers() -> None:
    # Handlers live in the apps' jobs modules; importing them registers them.
    from importlib import import_module

    from django.apps import apps
    from django.utils.module_loading import module_has_submodule

    for app in apps.get_app_configs():
        if module_has_submodule(app.module, "jobs") and app.name != "dixian.common":
            import_module(f"{app.name}.jobs")


def _claim_next() -> Job | None:
    with transaction.atomic():
        qs = Job.objects.filter(status=Job.Status.QUEUED).order_by("created_at", "id")
        if transaction.get_connection().features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        job = qs.first()
        if job is None:
            return None
        job.status = Job.Status.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
        return job


def job_run(job: Job) -> Job:
    """Run one claimed job to its end, recording progress, result or a user-facing failure."""
    _load_handlers()
    handler = _HANDLERS.get(job.kind)
    last_write = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last_write
        now = time.monotonic()
        if now - last_write >= 0.5 or done >= total:
            Job.objects.filter(pk=job.pk).update(progress=done, total=total)
            job.progress, job.total = done, total
            last_write = now

    try:
        if handler is None:
            raise JobError("未知的任务类型,请联系管理员。")
        handler(job, progress)
    except JobError as exc:
        job.status, job.message = Job.Status.FAILED, str(exc)[:500]
    except Exception:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        job.status, job.message = Job.Status.FAILED, "任务执行时出现意外错误,已记录日志。请重试或联系管理员。"
    else:
        job.status = Job.Status.DONE
        job.progress = max(job.progress, job.total)
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "message",
            "progress",
            "total",
            "result_file",
            "result_name",
            "finished_at",
            "params",
        ]
    )
    return job


def worker_run_once() -> bool:
    """Claim and run one queued job; False when the queue is empty."""
    job = _claim_next()
    if job is None:
        return False
    job_run(job)
    return True


def worker_loop(*, poll_seconds: float = 1.0, stop_after_idle: float | None = None) -> None:
    idle_since = time.monotonic()
    scheduled_at: float | None = None
    while True:
        if scheduled_at is None or time.monotonic() - scheduled_at >= SCHEDULE_EVERY_SECONDS:
            schedules_run()
            scheduled_at = time.monotonic()
        if worker_run_once():
            idle_since = time.monotonic()
            continue
        if stop_after_idle is not None and time.monotonic() - idle_since >= stop_after_idle:
            return
        time.sleep(poll_seconds)


# --- retention: the worker deletes what is kept only for a while (docs/security.md §5) -----------------------


@job_schedule
def expired_results_schedule(now: dt.datetime) -> int | None:
    """Hourly: delete export files past DIXIAN_EXPORT_TTL_DAYS."""
    if not schedule_due("common-expired-results", now, dt.timedelta(hours=1)):
        return None
    return expired_results_purge(now)


@job_schedule
def access_log_schedule(now: dt.datetime) -> int | None:
    """Daily: delete access-log rows past DIXIAN_ACCESS_LOG_DAYS (the only deletion of the log)."""
    if not schedule_due("common-access-log-retention", now, dt.timedelta(days=1)):
        return None
    from .access_log import access_log_purge

    return access_log_purge(now=now)
