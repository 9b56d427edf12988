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
        update_fields=["status", "message", "progress", "total", "result_file", "result_name", "finished_at"]
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
