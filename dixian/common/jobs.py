"""Background jobs: a Job row plus `dixian run_worker`, the same code on SQLite and PostgreSQL.

A job kind is registered with `@job_handler("kind")`; the handler receives the Job and a `progress`
callback, and returns nothing (it sets `result_file`/`message` on the job) or raises `JobError` with a
Chinese message for the user. Any other exception is logged and shown as a generic failure.

Work that is due by the calendar (the monthly screening run) is registered with `@job_schedule`: the
worker calls each schedule about once a minute with the time, and the schedule enqueues a job when one is
due. A schedule must be idempotent: several workers call it, and it is called again every minute.

Each job runs in a child process of the worker (forked), under resource limits (address space, CPU time:
DIXIAN_JOB_MAX_MEMORY_MB, DIXIAN_JOB_MAX_CPU_SECONDS), and the worker writes the job's outcome: a job
that raises, runs out of memory, segfaults or is killed is marked failed with a Chinese message and the
next job runs (docs/security.md §2). While a job runs, its worker touches a heartbeat file under
DATA_DIR/jobs; a job left "running" without a heartbeat for DIXIAN_JOB_STALE_SECONDS (its worker died) is
marked failed when a worker starts and once a minute after. DIXIAN_JOBS_IN_PROCESS=1 runs jobs in the
worker's own process (the tests, whose database lives in the test process).
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections, transaction
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
HEARTBEAT_SECONDS = 10.0
FINAL_FIELDS = [
    "status",
    "message",
    "progress",
    "total",
    "result_file",
    "result_name",
    "finished_at",
    "params",
]
MESSAGE_FAILED = "任务执行时出现意外错误,已记录日志。请重试或联系管理员。"
MESSAGE_MEMORY = (
    "任务运行时占用内存超过上限({limit}),已中止。文件可能过大或异常:请分成几个较小的文件后重试,或联系管理员。"
)
MESSAGE_CPU = "任务运行时间超过上限({limit} 秒),已中止。请分成几个较小的文件后重试,或联系管理员。"
MESSAGE_CRASH = "任务运行时处理程序意外退出({how}),已中止。请检查文件后重试,或联系管理员。"
MESSAGE_STALE = "运行该任务的后台进程已停止(可能被重启或崩溃),任务没有完成。请重新提交。"


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
    try:
        jobs_fail_stale(now)
    except Exception:
        logger.exception("marking stale jobs failed")
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


def _execute(job: Job) -> None:
    """Run the job's handler and set its outcome on `job` (not saved)."""
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
    except MemoryError:
        logger.exception("job %s (%s) ran out of memory", job.pk, job.kind)
        job.status, job.message = Job.Status.FAILED, MESSAGE_MEMORY.format(limit=_memory_limit_text())
    except Exception:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        job.status, job.message = Job.Status.FAILED, MESSAGE_FAILED
    else:
        job.status = Job.Status.DONE
        job.progress = max(job.progress, job.total)


def job_run(job: Job) -> Job:
    """Run one claimed job to its end in this process, recording progress, result or a user-facing
    failure."""
    with _heartbeat(job):
        _execute(job)
    job.finished_at = timezone.now()
    job.save(update_fields=FINAL_FIELDS)
    return job


def _memory_limit_text() -> str:
    mb = int(getattr(settings, "DIXIAN_JOB_MAX_MEMORY_MB", 0) or 0)
    return f"{mb:,} MB" if mb else "本机内存"


def _apply_limits() -> None:
    import resource

    mb = int(getattr(settings, "DIXIAN_JOB_MAX_MEMORY_MB", 0) or 0)
    if mb > 0:
        limit = mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard if hard != resource.RLIM_INFINITY else limit))
    seconds = int(getattr(settings, "DIXIAN_JOB_MAX_CPU_SECONDS", 0) or 0)
    if seconds > 0:
        used = int(time.process_time())
        resource.setrlimit(resource.RLIMIT_CPU, (used + seconds, used + seconds + 30))


def _detach_connections() -> None:
    """In the forked child: never talk on the parent's database sockets. Each connection is dropped
    without closing it (closing would end the parent's session) and reopened on first use; an in-memory
    SQLite database (the tests') is process memory, copied by the fork, and kept."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        if conn.vendor == "sqlite" and conn.is_in_memory_db():  # type: ignore[attr-defined]  # SQLite's wrapper has it
            continue
        _INHERITED.append(conn.connection)  # kept alive until os._exit: no finaliser runs on the socket
        conn.connection = None
        conn.in_atomic_block = False
        conn.savepoint_ids = []
        conn.needs_rollback = False


_INHERITED: list[Any] = []


def _child_main(job_pk: int, sender: Any) -> None:
    """The forked child: limits, its own database connections, the handler; the outcome goes back to the
    parent through the pipe (the parent writes it)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _detach_connections()
    _apply_limits()
    job = Job.objects.get(pk=job_pk)
    _execute(job)
    sender.send(
        {
            "status": job.status,
            "message": job.message,
            "progress": job.progress,
            "total": job.total,
            "result_file": job.result_file,
            "result_name": job.result_name,
            "params": job.params,  # what reading the result takes (job_result_rights)
        }
    )
    sender.close()


def job_run_isolated(job: Job) -> Job:
    """Run one claimed job in a forked child process under resource limits; whatever becomes of the child,
    the job ends done or failed with a message, written by this process."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(job.pk, sender), name=f"dixian-job-{job.pk}")
    child.start()  # before the heartbeat thread: fork a process with no thread of ours running
    sender.close()
    with _heartbeat(job):
        outcome: dict[str, Any] | None = None
        while outcome is None and (child.is_alive() or receiver.poll()):
            if receiver.poll(HEARTBEAT_SECONDS):
                try:
                    outcome = receiver.recv()
                except (EOFError, OSError):
                    break
        child.join()
    receiver.close()
    if outcome is not None:
        for name, value in outcome.items():
            setattr(job, name, value)
    else:
        job.status, job.message = Job.Status.FAILED, _death_message(child.exitcode)
        logger.error("job %s (%s): child process ended with %s", job.pk, job.kind, child.exitcode)
    job.finished_at = timezone.now()
    job.save(update_fields=FINAL_FIELDS)
    return job


def _death_message(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        sig = -exitcode
        if sig in (signal.SIGKILL, signal.SIGABRT):
            # SIGKILL: the kernel's OOM killer; SIGABRT: a native library (Rust, C) whose allocation failed.
            return MESSAGE_MEMORY.format(limit=_memory_limit_text())
        if sig == signal.SIGXCPU:
            return MESSAGE_CPU.format(limit=getattr(settings, "DIXIAN_JOB_MAX_CPU_SECONDS", 0))
        return MESSAGE_CRASH.format(how=f"信号 {signal.Signals(sig).name}")
    return MESSAGE_CRASH.format(how=f"退出码 {exitcode}")


def _heartbeat_file(pk: int) -> Path:
    return job_dir() / f"running-{pk}"


@contextmanager
def _heartbeat(job: Job) -> Iterator[None]:
    """Touch the job's heartbeat file every HEARTBEAT_SECONDS while it runs (a thread of the worker)."""
    marker = _heartbeat_file(job.pk)
    marker.touch()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            with suppress(OSError):
                marker.touch()

    thread = threading.Thread(target=beat, name=f"dixian-heartbeat-{job.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        marker.unlink(missing_ok=True)


def jobs_fail_stale(now: dt.datetime | None = None) -> int:
    """Mark failed the jobs left "running" by a worker that died: no heartbeat for
    DIXIAN_JOB_STALE_SECONDS (or, without a heartbeat file, started that long ago)."""
    now = now or timezone.now()
    limit = float(getattr(settings, "DIXIAN_JOB_STALE_SECONDS", 300))
    failed = 0
    for job in Job.objects.filter(status=Job.Status.RUNNING).only("pk", "started_at"):
        marker = _heartbeat_file(job.pk)
        last = marker.stat().st_mtime if marker.exists() else None
        if last is None and job.started_at is not None:
            last = job.started_at.timestamp()
        if last is not None and now.timestamp() - last < limit:
            continue
        failed += Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(
            status=Job.Status.FAILED, message=MESSAGE_STALE, finished_at=now
        )
        marker.unlink(missing_ok=True)
    if failed:
        logger.warning("%d job(s) left running by a stopped worker marked failed", failed)
    return failed


def worker_run_once() -> bool:
    """Claim and run one queued job (in a child process unless DIXIAN_JOBS_IN_PROCESS); False when the
    queue is empty."""
    job = _claim_next()
    if job is None:
        return False
    if getattr(settings, "DIXIAN_JOBS_IN_PROCESS", False):
        job_run(job)
    else:
        job_run_isolated(job)
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
