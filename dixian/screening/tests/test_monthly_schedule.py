"""The worker screens the previous month by itself, once, from DIXIAN_MONTHLY_RUN_DAY of each month."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from django.core.management import call_command

from dixian.cases.models import Alert
from dixian.common import jobs
from dixian.common.models import ChangeLog, Job
from dixian.screening.jobs import monthly_run_schedule
from dixian.screening.models import ScreeningRun
from dixian.screening.services import SYSTEM_USERNAME, screening_enqueue_for_period

from .run_fixtures import deliver, head, medical_row

pytestmark = pytest.mark.django_db

BEIJING = dt.timezone(dt.timedelta(hours=8))


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=BEIJING)


def monthly_jobs() -> list[Job]:
    return list(Job.objects.filter(kind="screen_period").order_by("id"))


def test_from_the_day_on_the_worker_screens_the_previous_month_once(world, settings):
    settings.DIXIAN_MONTHLY_RUN_DAY = 6
    deliver("medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county)

    with time_machine.travel(at("2026-11-05", 23), tick=False):
        call_command("run_worker", "--once")
    assert monthly_jobs() == []

    # 2026-11-05 23:30 UTC is the 6th in Beijing: due.
    with time_machine.travel(dt.datetime(2026, 11, 5, 23, 30, tzinfo=dt.UTC), tick=False):
        call_command("run_worker", "--once")
        call_command("run_worker", "--once")  # a minute later, or a second worker: nothing more
    (job,) = monthly_jobs()
    assert job.params == {"period": "2026-10", "scheduled": True}
    assert job.owner.username == SYSTEM_USERNAME and job.status == Job.Status.DONE, job.message
    run = ScreeningRun.objects.get(trigger=ScreeningRun.Trigger.MONTHLY)
    assert (run.period, run.status, run.actor) == ("2026-10", ScreeningRun.Status.DONE, None)
    alert = Alert.objects.get(household=world.home)
    assert ChangeLog.objects.get(entity="alert", entity_id=alert.pk).source == ChangeLog.Source.SYSTEM

    with time_machine.travel(at("2026-11-28"), tick=False):
        assert monthly_run_schedule(jobs.timezone.now()) is None
    with time_machine.travel(at("2026-12-06"), tick=False):
        scheduled = monthly_run_schedule(jobs.timezone.now())
        assert scheduled is not None and scheduled.params["period"] == "2026-11"


def test_a_run_asked_for_by_hand_or_one_that_failed_is_not_queued_again(world, people, settings):
    settings.DIXIAN_MONTHLY_RUN_DAY = 6
    screening_enqueue_for_period(period="2026-10", actor=people["county_admin"])
    assert monthly_run_schedule(at("2026-11-07")) is None

    Job.objects.all().delete()
    ScreeningRun.objects.create(
        period="2026-10", trigger=ScreeningRun.Trigger.MONTHLY, status=ScreeningRun.Status.FAILED
    )
    assert monthly_run_schedule(at("2026-11-07")) is None
    assert monthly_jobs() == []


def test_day_zero_turns_the_schedule_off(settings):
    settings.DIXIAN_MONTHLY_RUN_DAY = 0
    assert monthly_run_schedule(at("2026-11-20")) is None
    assert monthly_jobs() == []


def test_a_failing_schedule_is_logged_and_the_others_still_run(monkeypatch, caplog, settings):
    settings.DIXIAN_MONTHLY_RUN_DAY = 6
    calls = []

    def broken(now: dt.datetime) -> None:
        raise RuntimeError("boom")

    jobs._load_handlers()
    monkeypatch.setattr(jobs, "_SCHEDULES", [broken, lambda now: calls.append(now), *jobs._SCHEDULES])
    with caplog.at_level(logging.ERROR, logger="dixian.jobs"):
        jobs.schedules_run(at("2026-11-07"))
    assert calls == [at("2026-11-07")]
    assert "schedule broken failed" in caplog.text
    assert [j.params["period"] for j in monthly_jobs()] == ["2026-10"]
