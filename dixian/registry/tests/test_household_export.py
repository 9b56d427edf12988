"""Excel export of the household list: the filtered list, re-scoped on the server, masked and neutralised."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dixian.common.jobs import job_dir, worker_run_once
from dixian.common.models import Job
from dixian.registry import exports
from dixian.registry.models import Household, Person
from dixian.registry.testing import household

pytestmark = pytest.mark.django_db
EXPORT = "/households/export/"
MASKED_ID = re.compile(r"^\d{6}\*{8}[\dX]{4}$")


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def export(client, user, query: str = "", sheets: str = "households"):
    client.force_login(user)
    return client.post(f"{EXPORT}?{query}" if query else EXPORT, {"sheets": sheets})


def workbook(content: bytes) -> dict[str, list[list[object]]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def as_dicts(rows: list[list[object]]) -> list[dict[str, object]]:
    header, *body = rows
    return [dict(zip(header, row, strict=False)) for row in body]


def downloaded(response) -> dict[str, list[list[object]]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    return workbook(b"".join(response.streaming_content))


def test_url_and_method():
    assert reverse("registry:household_export") == EXPORT


def test_export_needs_post(client, world, people):
    client.force_login(people["city_admin"])
    assert client.get(EXPORT).status_code == 405


def test_export_is_exactly_the_filtered_list(client, world, people):
    Household.objects.filter(pk=world.neighbour.pk).update(monitoring_category="edge")
    sheets = downloaded(export(client, people["city_admin"], "category=monitored"))
    rows = as_dicts(sheets["农户"])
    assert [r["户编号"] for r in rows] == [world.neighbour.household_no]
    row = rows[0]
    assert row["户主姓名"] == "李四"
    assert row["监测对象类别"] == "边缘易致贫户"
    assert row["户类型"] == "脱贫户"
    assert row["所在区划"] == world.other_village.full_name
    assert row["家庭人口数"] == 2
    assert row["人均纯收入(元)"] == 11600
    assert row["收入年度"] == 2025
    assert row["义务教育有保障"] == "是"
    assert "人口" not in sheets
    notes = dict((r[0], r[1]) for r in sheets["导出说明"])
    assert notes["监测类别"] == "全部监测对象"
    assert notes["农户数"] == "1"


def test_hand_widened_region_never_leaks_outside_the_scope(client, world, people):
    reviewer = people["county_reviewer"]
    own = {world.home.household_no, world.neighbour.household_no}
    for query in (
        f"region={world.far_village.pk}",
        f"region={world.other_county.pk}",
        "",
        f"region={world.city.pk}",
    ):
        rows = as_dicts(downloaded(export(client, reviewer, query, sheets="persons"))["农户"])
        assert {r["户编号"] for r in rows} == own, query
    persons = as_dicts(
        downloaded(export(client, reviewer, f"region={world.far_village.pk}", sheets="persons"))["人口"]
    )
    assert {p["户编号"] for p in persons} == own
    assert "王五" not in {p["姓名"] for p in persons}


def test_masked_export_for_an_account_without_pii(client, world, people):
    sheets = downloaded(export(client, people["village_officer"], sheets="persons"))
    (row,) = as_dicts(sheets["农户"])
    assert MASKED_ID.match(row["户主证件号码"])
    assert row["联系电话"] == "138****0001"
    assert "有病患成员" not in row and "有残疾成员" not in row
    persons = as_dicts(sheets["人口"])
    assert [p["姓名"] for p in persons] == ["张三", "张三妻"]
    assert all(MASKED_ID.match(p["证件号码"]) for p in persons)
    assert "健康状况" not in sheets["人口"][0]
    full_ids = set(Person.objects.values_list("id_number", flat=True))
    cells = {str(c) for sheet in sheets.values() for r in sheet for c in r}
    assert not cells & full_ids


def test_full_export_for_an_account_with_pii(client, world, people):
    sheets = downloaded(export(client, people["county_admin"], sheets="persons"))
    head = Person.objects.get(household=world.home, relation="head")
    rows = {r["户编号"]: r for r in as_dicts(sheets["农户"])}
    assert rows[world.home.household_no]["户主证件号码"] == head.id_number
    assert rows[world.home.household_no]["联系电话"] == "13800000001"
    assert rows[world.home.household_no]["有病患成员"] == "否"
    persons = as_dicts(sheets["人口"])
    assert len(persons) == 4
    assert persons[0]["健康状况"] == "健康"
    assert persons[0]["出生日期"].isoformat() == "1970-01-01"


def test_text_that_looks_like_a_formula_is_neutralised(client, world, people):
    Household.objects.filter(pk=world.home.pk).update(
        head_name='=HYPERLINK("http://evil.example","x")', address="+cmd|' /C calc'!A0", phone="-2+3"
    )
    Person.objects.filter(household=world.home, relation="spouse").update(name="@SUM(1+1)")
    Person.objects.filter(household=world.home, relation="head").update(name="\tTAB", ethnicity="\r=1+1")
    sheets = downloaded(
        export(client, people["county_admin"], f"region={world.village.pk}", sheets="persons")
    )
    (row,) = as_dicts(sheets["农户"])
    assert row["户主姓名"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["家庭住址"] == "'+cmd|' /C calc'!A0"
    assert row["联系电话"] == "'-2+3"
    names = [p["姓名"] for p in as_dicts(sheets["人口"])]
    assert names == ["'\tTAB", "'@SUM(1+1)"]
    assert as_dicts(sheets["人口"])[0]["民族"] == "'\r=1+1"


def test_export_reads_in_chunks_without_losing_or_repeating_rows(client, world, people, monkeypatch):
    for i in range(7):
        household(f"{world.village.code}{i + 700:04d}", world.village, f"户{i}", 320 + i, members=1)
    monkeypatch.setattr(exports, "CHUNK", 2)
    rows = as_dicts(downloaded(export(client, people["city_admin"]))["农户"])
    expected = list(Household.objects.order_by("region_code", "id").values_list("household_no", flat=True))
    assert [r["户编号"] for r in rows] == expected
    assert len(expected) == 10


def test_large_export_runs_as_a_job_for_its_owner_only(client, world, people, settings):
    settings.DIXIAN_EXPORT_SYNC_LIMIT = 1
    reviewer = people["county_reviewer"]
    response = export(client, reviewer, f"region={world.far_village.pk}", sheets="persons")
    assert response.status_code == 302
    job = Job.objects.get(owner=reviewer)
    assert job.kind == "registry_export" and job.status == Job.Status.QUEUED
    # The page shows the job's live progress partial.
    page = client.get(response["Location"]).content.decode()
    assert f'id="job-{job.pk}"' in page and 'hx-trigger="every 1s"' in page
    assert worker_run_once()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    assert (job.progress, job.total) == (2, 2)
    assert job.message == "共导出 2 户、4 人。"
    assert (job_dir() / job.result_file).exists()
    assert not list(job_dir().glob("*.part"))
    assert (
        f'href="{reverse("jobs:download", args=[job.pk])}"'
        in client.get(response["Location"]).content.decode()
    )
    download = client.get(reverse("jobs:download", args=[job.pk]))
    sheets = workbook(b"".join(download.streaming_content))
    assert {r["户编号"] for r in as_dicts(sheets["农户"])} == {
        world.home.household_no,
        world.neighbour.household_no,
    }
    assert all(MASKED_ID.match(p["证件号码"]) for p in as_dicts(sheets["人口"]))
    client.force_login(people["county_admin"])
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404


def test_job_rescopes_a_crafted_query_at_run_time(world, people):
    from dixian.common.jobs import job_enqueue

    reviewer = people["county_reviewer"]
    job = job_enqueue(
        kind="registry_export",
        owner=reviewer,
        params={"query": f"region={world.far_village.pk}&region={world.other_county.pk}", "persons": False},
    )
    assert worker_run_once()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    sheets = workbook((job_dir() / job.result_file).read_bytes())
    assert {r["户编号"] for r in as_dicts(sheets["农户"])} == {
        world.home.household_no,
        world.neighbour.household_no,
    }


def test_job_of_a_deactivated_account_fails_with_a_message(world, people):
    from dixian.common.jobs import job_enqueue

    officer = people["village_officer"]
    job = job_enqueue(kind="registry_export", owner=officer, params={"query": "", "persons": False})
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    assert worker_run_once()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "账号已停用" in job.message
    assert not job.result_file
