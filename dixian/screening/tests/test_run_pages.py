"""The screening page: runs for staff, one run's findings within the account's region, starting a run."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dixian.common.models import Job
from dixian.common.testing import PASSWORD
from dixian.screening.models import ScreeningRun
from dixian.screening.services import screening_run

from .run_fixtures import PERIOD, deliver, head, medical_row

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def make_runs(n: int) -> None:
    for i in range(n):
        ScreeningRun.objects.create(
            period=f"2026-{i % 12 + 1:02d}", trigger="monthly", status="done", timings={"total": 1.5}
        )


@pytest.mark.parametrize("who", ["city_admin", "county_admin", "county_reviewer", "township_reviewer"])
def test_staff_see_the_run_list_and_the_nav_link(client, people, who):
    make_runs(2)
    response = login(client, people[who]).get(reverse("screening:run_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "筛查运行" in body and "2026-01" in body and "2026-02" in body
    assert reverse("screening:run_list") in body


@pytest.mark.parametrize("who", ["village_officer", "helper", "department_uploader", "leader"])
def test_other_roles_are_refused_the_run_pages(client, people, who):
    make_runs(1)
    run = ScreeningRun.objects.get()
    client = login(client, people[who])
    assert client.get(reverse("screening:run_list")).status_code == 403
    assert client.get(reverse("screening:run_detail", args=[run.pk])).status_code == 403
    assert client.post(reverse("screening:run_start"), {"period": "2026-10"}).status_code == 403
    home = client.get(reverse("registry:household_list"))
    assert reverse("screening:run_list") not in home.content.decode()
    assert not Job.objects.exists()


def test_the_run_list_costs_the_same_queries_for_3_or_40_runs(client, people, django_assert_num_queries):
    client = login(client, people["county_reviewer"])
    make_runs(3)
    client.get(reverse("screening:run_list"))  # warm caches (content types, sessions)
    with django_assert_num_queries(4):  # session, user, the account's region, the page of runs
        client.get(reverse("screening:run_list"))
    make_runs(37)
    with django_assert_num_queries(5):  # … and the count, once there is a second page
        response = client.get(reverse("screening:run_list"))
    assert "下一页" in response.content.decode()


def test_a_county_admin_starts_a_monthly_run_in_the_background(client, people):
    client = login(client, people["county_admin"])
    response = client.post(reverse("screening:run_start"), {"period": "2026-9"})
    assert response.status_code == 302 and response["Location"] == reverse("screening:run_list")
    job = Job.objects.get()
    assert (job.kind, job.owner, job.params) == (
        "screen_period",
        people["county_admin"],
        {"period": "2026-09"},
    )
    page = client.get(reverse("screening:run_list")).content.decode()
    assert "已提交 2026-09 的筛查" in page


@pytest.mark.parametrize("period", ["", "2026-13", "abc"])
def test_a_bad_period_is_answered_with_a_chinese_message_and_no_job(client, people, period):
    response = login(client, people["city_admin"]).post(reverse("screening:run_start"), {"period": period})
    assert response.status_code == 400
    body = response.content.decode()
    assert "筛查期间" in body and "2026-10" in body
    assert not Job.objects.exists()


def test_a_reviewer_cannot_start_a_run(client, people):
    response = login(client, people["county_reviewer"]).post(
        reverse("screening:run_start"), {"period": "2026-10"}
    )
    assert response.status_code == 403
    assert not Job.objects.exists()


def test_the_run_detail_shows_findings_only_inside_the_accounts_region(client, world, people):
    deliver("medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county)
    run = screening_run(period=PERIOD, trigger="manual")
    url = reverse("screening:run_detail", args=[run.pk])

    own = login(client, people["county_reviewer"]).get(url).content.decode()
    assert "01 因病" in own and "本次筛查在您的辖区内没有新发现" not in own
    assert "筛查引擎" in own and "R01 第1版" in own and "R01v1" not in own  # versions in Chinese
    assert "单机计算(DuckDB)" in own and ">duckdb<" not in own

    client.logout()
    other = login(client, people["other_county_reviewer"]).get(url).content.decode()
    assert "本次筛查在您的辖区内没有新发现" in other
    assert world.home.household_no not in other and world.home.head_name not in other


def test_a_missing_run_answers_404(client, people):
    response = login(client, people["city_admin"]).get(reverse("screening:run_detail", args=[999999]))
    assert response.status_code == 404


def test_the_run_list_says_when_the_monthly_run_starts_by_itself(client, people, settings):
    client = login(client, people["county_reviewer"])
    settings.DIXIAN_MONTHLY_RUN_DAY = 6
    assert (
        "每月 6 日起,系统自动对上个月做一次月度筛查"
        in client.get(reverse("screening:run_list")).content.decode()
    )
    settings.DIXIAN_MONTHLY_RUN_DAY = 0
    assert "系统自动" not in client.get(reverse("screening:run_list")).content.decode()
