"""Errors versus findings in the registry import (docs/domain.md §14): a row is refused only when its data
would be wrong or ambiguous in the database; what a clerk would still record is imported and listed as a
finding (疑点) on the import report and on the household, until a later write no longer finds it."""

from __future__ import annotations

import datetime as dt
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import may_view_pii
from dixian.common.testing import PASSWORD
from dixian.registry.imports import registry_import
from dixian.registry.models import Finding, Household, ImportBatch, Person
from dixian.registry.tests.workbooks import family, make_id, person_row, write_workbook

pytestmark = pytest.mark.django_db
NO = "3604241002010101"


def run(tmp_path: Path, rows, region, name="book.xlsx", actor=None) -> ImportBatch:
    return registry_import(path=write_workbook(tmp_path / name, rows), actor=actor, region=region)


def codes(batch: ImportBatch) -> set[str]:
    return set(Finding.objects.filter(batch=batch).values_list("code", flat=True))


# (what the clerk typed on the spouse's row, the finding it is) — each imported, never refused
FINDINGS = [
    ({"months_worked": 6, "work_place": ""}, "work_place_missing"),
    ({"student_status": "高中", "labour_skill": "普通劳动力"}, "student_labourer"),
    ({"dibao": "是", "tekun": "是"}, "dibao_and_tekun"),
    ({"disability_category": "肢体残疾", "disability_grade": ""}, "disability_grade_missing"),
    ({"disability_grade": "二级", "disability_category": ""}, "disability_category_missing"),
    ({"health_status": "残疾", "disability_category": ""}, "disabled_without_category"),
]


@pytest.mark.parametrize(("cells", "code"), FINDINGS, ids=[code for _, code in FINDINGS])
def test_a_finding_is_imported_and_listed_on_its_row(tmp_path, world, cells, code):
    rows = family(NO, first_seq=101)
    rows[1].update(cells)
    batch = run(tmp_path, rows, world.county)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.message
    assert codes(batch) == {code}
    finding = Finding.objects.get(batch=batch)
    assert finding.person == Person.objects.get(id_number=rows[1]["id_number"])
    assert finding.household == Household.objects.get(household_no=NO)
    assert (finding.source, finding.resolved_at) == ("import", None)
    assert [s["row"] for s in batch.findings["sample"]] == [3]
    assert rows[1]["id_number"] not in finding.message


def test_a_person_of_sixty_marked_as_labour_is_a_finding(tmp_path, world):
    rows = family(NO, first_seq=101)
    rows[0]["id_number"] = make_id(dt.date(1950, 3, 1), 101)  # the head is over 60, 普通劳动力
    batch = run(tmp_path, rows, world.county)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.message
    assert codes(batch) == {"elderly_labourer"}
    assert "年满60周岁" in Finding.objects.get(batch=batch).message


def test_an_ordinary_household_with_an_exit_year_is_a_household_finding(tmp_path, world):
    batch = run(tmp_path, family(NO, first_seq=101, kind="一般农户"), world.county)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.message
    finding = Finding.objects.get(batch=batch)
    assert (finding.code, finding.person, finding.field) == (
        "ordinary_with_exit_year",
        None,
        "year_out_of_poverty",
    )
    assert batch.findings["sample"][0]["row"] == 2  # the head's row


# (what makes the row wrong or ambiguous in the database, the column the error names) — the file is refused
ERRORS = [
    ({"sex": "男"}, "性别"),  # contradicts the ID number: identity
    ({"birth_date": "1972-02-30"}, "出生日期"),  # an impossible date
    ({"region_code": "360424100299"}, "行政区划代码"),  # a village that does not exist
    ({"months_worked": "半年"}, "务工时间(月)"),  # a value that cannot be read
    ({"monitoring_category": "边缘易致贫户"}, "监测对象类别"),  # 脱贫户 cannot be 边缘易致贫户 (§1)
]


@pytest.mark.parametrize(("cells", "column"), ERRORS, ids=[column for _, column in ERRORS])
def test_an_error_refuses_the_whole_file(tmp_path, world, cells, column):
    rows = family(NO, first_seq=101)
    target = 0 if "region_code" in cells or "monitoring_category" in cells else 1
    rows[target].update(cells)
    batch = run(tmp_path, rows, world.county)
    assert batch.status == ImportBatch.Status.REJECTED, batch.message
    assert column in {e["column"] for e in batch.errors}
    assert not Household.objects.filter(household_no=NO).exists()
    assert not Finding.objects.exists()


def test_a_duplicate_person_is_an_error(tmp_path, world):
    rows = family(NO, first_seq=101)
    rows[2]["id_number"] = rows[1]["id_number"]
    batch = run(tmp_path, rows, world.county)
    assert batch.status == ImportBatch.Status.REJECTED
    assert {e["row"] for e in batch.errors} == {3, 4}


def test_210_rows_of_work_without_a_place_import_everything_and_list_210_findings(tmp_path, world):
    rows = []
    for k in range(70):
        household = family(f"36042410020199{k:02d}", first_seq=101 + 3 * k)
        for row in household:
            row.update(months_worked=8, work_place="", labour_skill="普通劳动力", student_status="")
        rows += household
    batch = run(tmp_path, rows, world.county)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.message
    assert (batch.rows_total, batch.persons_created, batch.finding_count) == (210, 210, 210)
    assert batch.findings["counts"] == [["work_place_missing", "务工时间无务工所在地", 210]]
    assert Finding.objects.filter(batch=batch, code="work_place_missing", resolved_at=None).count() == 210
    assert "发现疑点 210 处" in batch.message
    assert len(batch.findings["sample"]) == 20 and batch.findings["sample"][0]["row"] == 2
    sheet = CalamineWorkbook.from_path(str(Path(settings.DATA_DIR) / batch.findings_file))
    listed = sheet.get_sheet_by_index(0).to_python()
    assert listed[0] == ["行号", "户编号", "姓名", "疑点", "列", "收入年度", "说明"]
    assert [int(str(r[0]).split(".")[0]) for r in listed[1:]] == list(range(2, 212))
    ids = {r["id_number"] for r in rows}
    assert not any(str(cell) in ids for r in listed for cell in r)


def test_a_fixed_finding_is_resolved_by_the_next_import_and_a_new_one_opened(tmp_path, world):
    rows = family(NO, first_seq=101)
    rows[1].update(dibao="是", tekun="是")
    first = run(tmp_path, rows, world.county)
    old = Finding.objects.get(batch=first)
    rows[1].update(tekun="否", months_worked=3)
    second = run(tmp_path, rows, world.county, name="fixed.xlsx")
    old.refresh_from_db()
    assert old.resolved_at is not None  # kept, resolved: not deleted
    assert codes(second) == {"work_place_missing"}
    assert set(Finding.objects.filter(resolved_at=None).values_list("code", flat=True)) == {
        "work_place_missing"
    }
    third = run(tmp_path, rows, world.county, name="same.xlsx")
    assert (
        third.finding_count == 1 and not Finding.objects.filter(batch=third).exists()
    )  # still open, not reopened
    assert Finding.objects.filter(resolved_at=None).count() == 1


def test_a_book_without_the_place_column_leaves_the_stored_place_to_judge(tmp_path, world):
    rows = family(NO, first_seq=101)
    rows[1].update(months_worked=5, work_place="县内")
    run(tmp_path, rows, world.county)
    for row in rows:
        row.pop("work_place", None)
    batch = run(tmp_path, rows, world.county, name="no-place.xlsx")
    assert batch.status == ImportBatch.Status.IMPORTED and batch.finding_count == 0


def test_the_command_prints_counts_and_the_first_findings_with_their_rows(tmp_path, world):
    rows = family(NO, first_seq=101)
    rows[1].update(dibao="是", tekun="是")
    path = write_workbook(tmp_path / "book.xlsx", rows)
    out = StringIO()
    with pytest.raises(SystemExit) as exit_code:
        call_command(
            "import_registry", str(path), "--region", world.county.code, "--no-progress",
            "--findings-report", str(tmp_path / "疑点.xlsx"), stdout=out,
        )  # fmt: skip
    assert exit_code.value.code == 0
    text = out.getvalue()
    assert "疑点 1 处" in text and "低保与特困同时享受:1 处" in text
    assert "第 3 行 是否特困供养" in text
    assert (tmp_path / "疑点.xlsx").exists()


def test_the_batch_page_shows_findings_and_the_uploader_downloads_the_sheet(tmp_path, client, world, people):
    officer = people["county_admin"]
    rows = family(NO, first_seq=101)
    rows[1].update(disability_category="肢体残疾", months_worked=4, work_place="")
    batch = run(tmp_path, rows, world.county, actor=officer)
    client.login(username=officer.username, password=PASSWORD)
    html = client.get(reverse("registry:import_batch", args=[batch.pk])).content.decode()
    assert "疑点 2 处" in html and "务工时间无务工所在地:1 处" in html and "有残疾类别无等级" in html
    response = client.get(reverse("registry:import_findings", args=[batch.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    listed = CalamineWorkbook.from_filelike(BytesIO(b"".join(response.streaming_content)))
    assert [r[3] for r in listed.get_sheet_by_index(0).to_python()[1:]] == [
        "有残疾类别无等级",
        "务工时间无务工所在地",
    ]


def test_a_viewer_without_the_right_sees_health_findings_hidden(tmp_path, client, world, people):
    rows = family(NO, first_seq=101)
    rows[1].update(disability_category="肢体残疾")
    batch = run(tmp_path, rows, world.county, actor=people["county_admin"])
    viewer = people["county_reviewer"]
    assert user_can(viewer, Capability.REGISTRY_EDIT) and not may_view_pii(viewer)
    client.login(username=viewer.username, password=PASSWORD)
    html = client.get(reverse("registry:import_batch", args=[batch.pk])).content.decode()
    assert "疑点 1 处" in html
    assert "有残疾类别无等级" not in html and "残疾等级" not in html and "已隐藏" in html
    assert client.get(reverse("registry:import_findings", args=[batch.pk])).status_code == 403


def test_person_rows_without_findings_leave_nothing(tmp_path, world):
    batch = run(tmp_path, [person_row(NO, "户主", "赵一", dt.date(1980, 1, 1), 101)], world.county)
    assert batch.status == ImportBatch.Status.IMPORTED
    assert (batch.finding_count, batch.findings, batch.findings_file) == (0, {}, "")
