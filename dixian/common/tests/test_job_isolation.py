"""The worker survives a job that fails in any way (docs/security.md §2): each job runs in a forked child
under resource limits, and the worker marks it failed when the child raises, runs out of memory, dies
by a signal or exits without a word; the next job still runs. A job left running by a dead worker is
marked failed once its heartbeat is older than DIXIAN_JOB_STALE_SECONDS."""

from __future__ import annotations

import ctypes
import datetime as dt
import os

import pytest
from django.utils import timezone

from dixian.common import jobs
from dixian.common.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


@jobs.job_handler("test_hog")
def _hog(job: Job, progress: jobs.Progress) -> None:
    block = bytearray(3 * 1024 * 1024 * 1024)  # 3 GB: beyond the child's address-space limit
    job.message = str(len(block))


@jobs.job_handler("test_exit")
def _exit(job: Job, progress: jobs.Progress) -> None:
    os._exit(3)


@jobs.job_handler("test_segfault")
def _segfault(job: Job, progress: jobs.Progress) -> None:
    import faulthandler

    faulthandler.disable()  # pytest's traceback dump would only clutter the output
    ctypes.string_at(0)  # reads address 0: SIGSEGV


@jobs.job_handler("test_ok")
def _ok(job: Job, progress: jobs.Progress) -> None:
    job.message = f"在子进程 {os.getpid()} 中完成"


@jobs.job_handler("test_export_rights")
def _export_rights(job: Job, progress: jobs.Progress) -> None:
    jobs.job_result_rights(job, pii=True, region_code="360424", capability="registry_export")


@pytest.fixture
def isolated(settings):
    settings.DIXIAN_JOBS_IN_PROCESS = False
    settings.DIXIAN_JOB_MAX_MEMORY_MB = 2048


def _user():
    from dixian.accounts.models import User

    return User.objects.create_user(username="job-owner", password="x-Password-1")


def test_a_crashing_job_fails_with_a_message_and_the_next_job_runs(isolated):
    owner = _user()
    kinds = ["test_hog", "test_exit", "test_segfault", "test_ok"]
    queued = [jobs.job_enqueue(kind=k, owner=owner, params={}) for k in kinds]
    for _ in kinds:
        assert jobs.worker_run_once()
    assert not jobs.worker_run_once()
    hog, exited, segfault, ok = (Job.objects.get(pk=j.pk) for j in queued)
    assert hog.status == Job.Status.FAILED
    assert hog.message.startswith("任务运行时占用内存超过上限(2,048 MB),已中止")
    assert exited.status == Job.Status.FAILED and "退出码 3" in exited.message
    assert segfault.status == Job.Status.FAILED and "SIGSEGV" in segfault.message
    assert ok.status == Job.Status.DONE
    assert ok.message.startswith("在子进程") and str(os.getpid()) not in ok.message
    assert all(j.finished_at is not None for j in (hog, exited, segfault, ok))


def test_a_job_left_running_by_a_dead_worker_is_failed_on_the_next_start(isolated, settings):
    owner = _user()
    stale = jobs.job_enqueue(kind="test_ok", owner=owner, params={})
    Job.objects.filter(pk=stale.pk).update(
        status=Job.Status.RUNNING, started_at=timezone.now() - dt.timedelta(hours=1)
    )
    fresh = jobs.job_enqueue(kind="test_ok", owner=owner, params={})
    Job.objects.filter(pk=fresh.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
    nxt = jobs.job_enqueue(kind="test_ok", owner=owner, params={})
    jobs.worker_loop(poll_seconds=0.05, stop_after_idle=0.1)
    stale.refresh_from_db()
    fresh.refresh_from_db()
    nxt.refresh_from_db()
    assert stale.status == Job.Status.FAILED and "后台进程已停止" in stale.message
    assert fresh.status == Job.Status.RUNNING  # another worker's job, beating recently: left alone
    assert nxt.status == Job.Status.DONE


def test_what_reading_a_result_takes_comes_back_from_the_child(isolated):
    # The download re-checks these rights (docs/security.md §5): a child that set them and a parent that
    # dropped them would leave every export without its recorded right.
    job = jobs.job_enqueue(kind="test_export_rights", owner=_user(), params={"again": "/households/"})
    assert jobs.worker_run_once()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert job.params == {
        "again": "/households/",
        "rights": {"pii": True, "region_code": "360424", "capability": "registry_export"},
    }
