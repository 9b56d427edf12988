"""Progress dates are not wiped by a stale form nor moved under registered assets (review finding 3 of
issue 16, docs/domain.md §22)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from dixian.funds import projects as svc
from dixian.funds.models import Project
from dixian.funds.testing import funds_personas, planned_project

from .helpers_assets import accepted_project
from .test_assets_lifecycle import register

pytestmark = pytest.mark.django_db
TODAY = dt.datetime(2026, 10, 15, 4, 0, tzinfo=dt.UTC)


@time_machine.travel(TODAY, tick=False)
def test_a_stale_progress_form_is_refused_and_wipes_nothing(client, world):
    sector = funds_personas(world)["sector"]
    project = planned_project(world.village, code="P1")
    client.force_login(sector)
    page = client.get(reverse("funds:project_detail", args=[project.pk])).content.decode()
    assert f'name="seq" value="{project.seq}"' in page
    url = reverse("funds:project_progress", args=[project.pk])
    first = {"seq": project.seq, "started_on": "2026-05-01", "completed_on": "2026-09-01"}
    assert client.post(url, first).status_code == 302
    stale = {"seq": project.seq, "started_on": "2026-05-01"}  # drawn before: no completion date
    response = client.post(url, stale)
    assert response.status_code == 400 and "请刷新页面" in response.content.decode()
    assert Project.objects.get(pk=project.pk).completed_on == dt.date(2026, 9, 1)


@time_machine.travel(TODAY, tick=False)
def test_the_completion_and_acceptance_dates_stay_once_assets_are_registered(world):
    sector = funds_personas(world)["sector"]
    project = accepted_project(world.village, "P1")
    register(sector, project)
    project.refresh_from_db()
    assert project.completed_on is not None
    earlier: dict[str, dt.date | None] = {"completed_on": project.completed_on - dt.timedelta(days=1)}
    cleared: dict[str, dt.date | None] = {"accepted_on": None}
    for values in (cleared, earlier):
        with pytest.raises(ValidationError, match="已登记项目资产"):
            svc.project_progress(project=project, actor=sector, values=values)
    svc.project_progress(project=project, actor=sector, values={"planned_start": project.planned_start})
