"""A delivery is screened as soon as it lands: a job, the worker, alerts."""

from __future__ import annotations

import pytest

from dixian.cases.models import Alert, AlertEvidence
from dixian.common.jobs import job_enqueue, worker_run_once
from dixian.common.models import Job
from dixian.feeds.models import FeedDelivery
from dixian.screening.models import ScreeningRun
from dixian.screening.services import SYSTEM_USERNAME, screening_enqueue_for_delivery

from .run_fixtures import deliver, head, medical_row

pytestmark = pytest.mark.django_db


def test_a_pushed_delivery_becomes_alerts_through_the_worker(world, people):
    uploader = people["department_uploader"]
    delivery = deliver(
        "medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county, source=uploader
    )

    job = screening_enqueue_for_delivery(delivery)
    assert job.owner == uploader
    assert worker_run_once()

    job.refresh_from_db()
    delivery.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    assert "新增预警 1 条" in job.message
    assert delivery.status == FeedDelivery.Status.SCREENED and delivery.screened_at is not None
    alert = Alert.objects.get(household=world.home)
    evidence = AlertEvidence.objects.get(alert=alert)
    assert evidence.delivery == delivery
    run = ScreeningRun.objects.get()
    assert (run.trigger, run.delivery, run.actor, run.status) == ("delivery", delivery, None, "done")


def test_a_generated_delivery_is_screened_under_the_inactive_system_account(world):
    delivery = deliver("medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county)
    job = screening_enqueue_for_delivery(delivery)
    assert job.owner.username == SYSTEM_USERNAME
    assert not job.owner.is_active and not job.owner.has_usable_password()
    assert worker_run_once()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert Alert.objects.filter(household=world.home).exists()


def test_a_rejected_delivery_is_not_screened(world, people):
    delivery = deliver(
        "medical",
        [medical_row(head(world.home), "JS001", 8000)],
        region=world.county,
        status=FeedDelivery.Status.REJECTED,
    )
    job = screening_enqueue_for_delivery(delivery, owner=people["county_admin"])
    worker_run_once()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "只有已接收的报送才能筛查" in job.message
    assert not ScreeningRun.objects.exists() and not Alert.objects.exists()


def test_a_period_job_runs_a_monthly_screening_as_its_owner(world, people):
    deliver("medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county)
    job = job_enqueue(kind="screen_period", owner=people["county_admin"], params={"period": "2026-10"})
    worker_run_once()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    run = ScreeningRun.objects.get()
    assert (run.trigger, run.actor, run.period) == ("monthly", people["county_admin"], "2026-10")


def test_a_period_job_with_a_bad_period_fails_with_a_chinese_message(world, people):
    job = job_enqueue(kind="screen_period", owner=people["county_admin"], params={"period": "2026-13"})
    worker_run_once()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "YYYY-MM" in job.message


def test_a_delivery_run_screens_only_the_households_its_rows_name_and_the_monthly_run_all(world):
    """docs/scale.md §3: the delivery's run is incremental (the household of JS001's person, with every
    rule over its rows of every feed); the neighbour's housing row waits for its own run or the monthly."""
    import datetime as dt

    medical = deliver("medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county)
    housing = deliver(
        "housing",
        [
            {
                "name": "李四",
                "id_number": head(world.neighbour).id_number,
                "appraisal_date": dt.date(2026, 10, 3),
                "grade": "D",
            }
        ],
        region=world.county,
    )
    screening_enqueue_for_delivery(medical)
    worker_run_once()
    run = ScreeningRun.objects.get()
    housing.refresh_from_db()
    assert run.deliveries == [medical.pk]
    assert (run.mode, run.households) == (ScreeningRun.Mode.INCREMENTAL, 1)
    assert housing.status == FeedDelivery.Status.ACCEPTED
    assert not Alert.objects.filter(household=world.neighbour).exists()

    job_enqueue(kind="screen_period", owner=people_owner(world), params={"period": "2026-10"})
    worker_run_once()
    housing.refresh_from_db()
    assert housing.status == FeedDelivery.Status.SCREENED
    assert Alert.objects.filter(household=world.neighbour, risk_code="91").exists()


def people_owner(world):
    from dixian.common.testing import persona

    return persona("owner", world.county, "county_admin")


def test_deliveries_landing_close_together_are_screened_by_one_run(world, people):
    """Queue flooding (docs/security.md §3): several deliveries while a job waits → one job, one run."""
    uploader = people["department_uploader"]
    sent = [
        deliver(
            "medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county, source=uploader
        ),
        deliver(
            "medical",
            [medical_row(head(world.neighbour), "JS002", 9000)],
            region=world.county,
            source=uploader,
        ),
        deliver("medical", [medical_row(head(world.far), "JS003", 9500)], region=world.other_county),
    ]
    jobs = {screening_enqueue_for_delivery(d).pk for d in sent}
    assert len(jobs) == 1 and Job.objects.filter(kind="screen_delivery").count() == 1
    job = Job.objects.get()
    assert job.params["delivery_ids"] == [d.pk for d in sent] and job.owner == uploader
    assert worker_run_once()
    assert not worker_run_once()
    run = ScreeningRun.objects.get()
    assert run.status == "done" and run.delivery == sent[0]
    for d in sent:
        d.refresh_from_db()
        assert d.status == FeedDelivery.Status.SCREENED and d.screened_at is not None
    assert {a.household for a in Alert.objects.all()} == {world.home, world.neighbour, world.far}
    # Once the job has run, the next delivery queues the next run.
    late = deliver("medical", [medical_row(head(world.home), "JS004", 100)], region=world.county)
    assert screening_enqueue_for_delivery(late).pk not in jobs
    # A delivery of another period waits in a job of its own.
    other = deliver(
        "medical", [medical_row(head(world.home), "JS005", 100)], region=world.county, period="2026-09"
    )
    assert screening_enqueue_for_delivery(other).params["delivery_ids"] == [other.pk]
    assert Job.objects.filter(status=Job.Status.QUEUED).count() == 2
