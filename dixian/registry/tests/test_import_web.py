"""The import page: upload → background job → live progress → result; editors only, reports scoped."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dixian.common.jobs import worker_run_once
from dixian.common.models import Job
from dixian.common.testing import PASSWORD
from dixian.registry.models import Household, ImportBatch
from dixian.registry.template import HEADERS
from dixian.registry.tests.workbooks import family, write_workbook

pytestmark = pytest.mark.django_db
NO = "3604241002010301"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def upload(client, tmp_path: Path, rows, name="农户.xlsx"):
    path = write_workbook(tmp_path / "upload.xlsx", rows)
    return client.post(
        reverse("registry:import"), {"file": SimpleUploadedFile(name, path.read_bytes(), XLSX)}
    )


@pytest.mark.parametrize("persona", ["leader", "helper", "department_uploader"])
def test_non_editors_get_403(client, people, persona):
    login(client, people[persona])
    for url in (reverse("registry:import"), reverse("registry:import_template")):
        assert client.get(url).status_code == 403
    assert "导入</a>" not in client.get(reverse("registry:household_list")).content.decode()


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("registry:import"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_upload_runs_as_a_job_with_live_progress_then_shows_the_result(client, tmp_path, people):
    login(client, people["village_officer"])
    page = client.get(reverse("registry:import"))
    assert page.status_code == 200 and reverse("registry:import_template") in page.content.decode()
    response = upload(client, tmp_path, family(NO, first_seq=401))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "registry:import_batch", args=[batch.pk]
    )
    assert batch.status == ImportBatch.Status.PENDING and batch.uploaded_by == people["village_officer"]
    pending = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in pending and "<progress" in pending and "<html" not in pending
    assert worker_run_once()
    job = Job.objects.get(kind="registry_import")
    assert job.status == Job.Status.DONE and job.progress == job.total == 3
    done = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "导入成功" in done and "every 1s" not in done and "新增 1 户、3 人" in done
    assert Household.objects.get(household_no=NO).member_count == 3
    assert "农户.xlsx" in client.get(reverse("registry:import")).content.decode()


def test_rejected_upload_shows_errors_and_a_scoped_report(client, tmp_path, people):
    rows = family(NO, first_seq=401)
    rows[2]["id_number"] = "3.60424E+17"
    login(client, people["county_admin"])
    upload(client, tmp_path, rows, name="有错.xlsx")
    worker_run_once()
    batch = ImportBatch.objects.get()
    page = client.get(reverse("registry:import_batch", args=[batch.pk])).content.decode()
    assert (
        "未导入任何数据" in page
        and "科学计数法" in page
        and reverse("registry:import_report", args=[batch.pk]) in page
    )
    report = client.get(reverse("registry:import_report", args=[batch.pk]))
    assert report.status_code == 200 and quote("有错-错误报告.xlsx") in report["Content-Disposition"]
    sheet = (
        CalamineWorkbook.from_filelike(io.BytesIO(b"".join(report.streaming_content)))
        .get_sheet_by_index(0)
        .to_python()
    )
    assert sheet[0][-1] == "错误原因" and "科学计数法" in sheet[3][-1]
    client.logout()
    login(client, people["city_admin"])  # the city contains the county
    assert client.get(reverse("registry:import_report", args=[batch.pk])).status_code == 200
    client.logout()
    for outsider in ("other_county_reviewer", "village_officer"):
        login(client, people[outsider])
        assert client.get(reverse("registry:import_report", args=[batch.pk])).status_code == 404
        assert client.get(reverse("registry:import_batch", args=[batch.pk])).status_code == 404
        client.logout()
    # In scope but without the right to full personal information: the batch page yes, the report no.
    login(client, people["county_reviewer"])
    assert client.get(reverse("registry:import_batch", args=[batch.pk])).status_code == 200
    assert client.get(reverse("registry:import_report", args=[batch.pk])).status_code == 403


def test_unreadable_upload_marks_batch_and_job_failed(client, tmp_path, people):
    login(client, people["county_admin"])
    path = write_workbook(tmp_path / "x.xlsx", [{"name": "张三"}], headers={"name": "商品"})
    client.post(reverse("registry:import"), {"file": SimpleUploadedFile("x.xlsx", path.read_bytes(), XLSX)})
    worker_run_once()
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and Job.objects.get().status == Job.Status.FAILED
    assert (
        "找不到农户信息表" in client.get(reverse("registry:import_batch", args=[batch.pk])).content.decode()
    )


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("名单.xls", b"a,b\n", "不是 .xlsx 或 .csv 文件"),
        ("空.xlsx", b"", "空的"),
        ("假的.xlsx", b"hello world", "不是 Excel 工作簿"),
    ],
)
def test_bad_uploads_get_a_clear_message_and_no_job(client, people, name, content, fragment):
    login(client, people["county_admin"])
    response = client.post(reverse("registry:import"), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200 and fragment in response.content.decode()
    assert not ImportBatch.objects.exists() and not Job.objects.exists()


def test_upload_over_the_size_limit_is_refused(client, people, settings, tmp_path):
    settings.DIXIAN_MAX_UPLOAD_BYTES = 1000
    login(client, people["county_admin"])
    response = upload(client, tmp_path, family(NO, first_seq=401))
    assert response.status_code == 200 and "超过了" in response.content.decode()


def test_template_download_has_the_headers_notes_and_a_text_id_column(client, people, tmp_path, world):
    login(client, people["county_admin"])
    response = client.get(reverse("registry:import_template"))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert wb.sheet_names[:2] == ["农户信息", "填写示例"]
    assert tuple(wb.get_sheet_by_index(0).to_python()[0]) == HEADERS
    examples = wb.get_sheet_by_index(1).to_python()
    assert len(examples) == 3 and examples[1][0].startswith("示例")
    # the empty template is recognised, and says it has no rows
    from dixian.registry.imports import registry_import

    path = tmp_path / "template.xlsx"
    path.write_bytes(data)
    batch = registry_import(path=path, actor=None, region=world.county)
    assert batch.status == ImportBatch.Status.FAILED and "没有数据行" in batch.message


def test_error_reasons_shown_to_other_accounts_mask_id_numbers_and_phones():
    from dixian.registry.views_import import mask_numbers

    reason = "证件号码「36042419700101001X」与第 3 行重复;电话「17012345678」;旧号 360424700101001"
    masked = mask_numbers(reason)
    assert (
        "36042419700101001X" not in masked and "17012345678" not in masked and "360424700101001" not in masked
    )
    assert "360424********001X" in masked and "170****5678" in masked and "第 3 行" in masked
