"""Export files (job results) expire and are re-checked against the account's current rights at download
(docs/security.md §5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dixian.common.jobs import expired_results_purge, job_dir, job_enqueue, schedules_run, worker_run_once
from dixian.common.models import AccessLog, Job
from dixian.registry import exports

pytestmark = pytest.mark.django_db


@pytest.fixture
def export_job(world, people, client):
    """A background registry export by the county administrator (who has the personal-data right)."""
    admin = people["county_admin"]
    job = job_enqueue(
        kind=exports.JOB_KIND,
        owner=admin,
        params=exports.export_params(exports.HouseholdFilterForm({}, user=admin).filters(), persons=True),
    )
    assert worker_run_once()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and (job_dir() / job.result_file).exists()
    client.force_login(admin)
    return job


def download(client, job):
    return client.get(reverse("jobs:download", args=[job.pk]))


def test_the_job_records_the_rights_its_file_needs_and_its_export_is_logged(export_job):
    rights = export_job.params["rights"]
    assert rights == {"pii": True, "region_code": "360424", "capability": "registry_view"}
    row = AccessLog.objects.get(action=AccessLog.Action.EXPORT)
    assert row.path == f"/jobs/{export_job.pk}/" and row.record_count == 2 + 4 and not row.masked


def test_a_fresh_file_downloads_uncached_and_the_download_is_logged(client, export_job):
    response = download(client, export_job)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    b"".join(response.streaming_content)
    row = AccessLog.objects.get(action=AccessLog.Action.DOWNLOAD)
    assert row.account_id == export_job.owner_id and not row.masked and row.region_code == "360424"


def test_an_expired_file_is_refused_and_deleted(client, export_job, settings):
    settings.DIXIAN_EXPORT_TTL_DAYS = 7
    path = job_dir() / export_job.result_file
    Job.objects.filter(pk=export_job.pk).update(finished_at=timezone.now() - dt.timedelta(days=8))
    response = download(client, export_job)
    assert response.status_code == 410
    html = response.content.decode()
    assert "已过期" in html and "7 天" in html and "重新导出" in html
    assert not path.exists()
    assert not AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD).exists()
    page = client.get(reverse("jobs:detail", args=[export_job.pk])).content.decode()
    assert "已过期" in page and reverse("jobs:download", args=[export_job.pk]) not in page


def test_the_worker_deletes_expired_files_only(world, people, export_job, settings):
    settings.DIXIAN_EXPORT_TTL_DAYS = 7
    path = job_dir() / export_job.result_file
    assert expired_results_purge(timezone.now() + dt.timedelta(days=6)) == 0 and path.exists()
    Job.objects.filter(pk=export_job.pk).update(finished_at=timezone.now() - dt.timedelta(days=8))
    schedules_run()
    assert not path.exists()
    export_job.refresh_from_db()
    assert export_job.result_file == "" and export_job.result_name


def test_a_file_with_full_numbers_is_refused_once_the_right_is_withdrawn(client, export_job):
    owner = export_job.owner
    owner.can_view_pii = False
    owner.save(update_fields=["can_view_pii"])
    response = download(client, export_job)
    assert response.status_code == 403
    assert "查看完整个人信息" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_a_file_is_refused_once_the_account_moved_to_another_region(client, world, export_job):
    owner = export_job.owner
    owner.region = world.other_county
    owner.save(update_fields=["region"])
    response = download(client, export_job)
    assert response.status_code == 403 and "管辖区划" in response.content.decode()
    # Narrowed to a township of the same county: the county's file is refused too.
    owner.region = world.township
    owner.save(update_fields=["region"])
    assert download(client, export_job).status_code == 403


def test_a_file_is_refused_once_the_account_lost_the_role(client, export_job):
    owner = export_job.owner
    owner.roles = ["department_uploader"]
    owner.save(update_fields=["roles"])
    assert download(client, export_job).status_code == 403


def test_another_accounts_file_stays_not_found(client, people, export_job):
    client.force_login(people["city_admin"])
    assert download(client, export_job).status_code == 404
