"""A background job's page names the job in Chinese, never by its code name."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dixian.common.models import Job

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "params", "title"),
    [
        ("screen_period", {"period": "2026-10"}, "按期筛查"),
        ("screen_delivery", {"delivery_id": 1}, "筛查新报送的数据"),
        ("registry_export", {"title": "农户信息导出"}, "农户信息导出"),
        ("something_new", {}, "后台任务"),
    ],
)
def test_the_job_page_names_the_job_in_chinese(client, world, people, kind, params, title):
    user = people["county_admin"]
    job = Job.objects.create(kind=kind, owner=user, params=params, status=Job.Status.QUEUED)
    client.force_login(user)
    html = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert f"<strong>{title}</strong>" in html
    assert kind not in html.replace(f"job-{job.pk}", "")
