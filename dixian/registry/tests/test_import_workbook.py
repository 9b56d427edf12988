"""registry_import: county workbooks in, households out; any bad row and nothing is written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from python_calamine import CalamineWorkbook

from dixian.common.models import ChangeLog
from dixian.registry.imports import registry_import
from dixian.registry.models import Finding, Household, HouseholdIncome, ImportBatch, Person
from dixian.registry.parsing import EXCEL_NUMBER_ID
from dixian.registry.tests.workbooks import family, make_id, person_row, write_workbook

pytestmark = pytest.mark.django_db
NO = "3604241002010101"
FIRST_SEQ = 101


@pytest.fixture
def county(world):
    return world.county


def run(tmp_path: Path, rows, region, name="book.xlsx", actor=None, **kw) -> ImportBatch:
    path = write_workbook(tmp_path / name, rows, **kw)
    return registry_import(path=path, actor=actor, region=region)


def report_rows(batch: ImportBatch) -> list[list]:
    wb = CalamineWorkbook.from_path(str(Path(settings.DATA_DIR) / batch.report_file))
    return wb.get_sheet_by_index(0).to_python(skip_empty_area=False)


def reasons(batch: ImportBatch) -> str:
    return " | ".join(e["reason"] for e in batch.errors)


def test_valid_workbook_creates_households_persons_and_income(tmp_path, county, people):
    before = ChangeLog.objects.count()
    batch = run(tmp_path, family(NO, first_seq=FIRST_SEQ), county, actor=people["county_admin"])
    assert batch.status == ImportBatch.Status.IMPORTED, batch.message
    assert (batch.households_created, batch.persons_created, batch.rows_total) == (1, 3, 3)
    h = Household.objects.get(household_no=NO)
    assert (h.head_name, h.member_count, h.kind, h.region_code, h.phone) == (
        "张大山",
        3,
        "ex_poor",
        "360424100201",
        "13800001111",
    )
    son = Person.objects.get(name="张小明")
    assert (son.sex, son.birth_date, son.relation, son.student_status) == (
        "male",
        dt.date(2014, 9, 10),
        "son",
        "primary",
    )
    income = HouseholdIncome.objects.get(household=h, year=2025)
    assert (income.members, str(income.net_income), str(income.net_income_per_capita)) == (
        3,
        "23200.50",
        "7733.50",
    )
    logs = ChangeLog.objects.filter(reference=f"import:{batch.pk}")
    assert logs.count() == ChangeLog.objects.count() - before == 4
    assert set(logs.values_list("household_id", flat=True)) == {h.pk}
    assert logs.filter(actor=people["county_admin"]).count() == 4


def test_reimport_updates_in_place_without_duplicates_or_change_rows(tmp_path, county):
    run(tmp_path, family(NO, first_seq=FIRST_SEQ), county)
    ids = sorted(Person.objects.filter(household__household_no=NO).values_list("pk", flat=True))
    logs = ChangeLog.objects.count()
    batch = run(tmp_path, family(NO, first_seq=FIRST_SEQ), county, name="again.xlsx")
    assert batch.status == ImportBatch.Status.IMPORTED
    assert (
        batch.households_created,
        batch.persons_created,
        batch.households_updated,
        batch.persons_updated,
    ) == (0, 0, 0, 0)
    assert "没有变化" in batch.message
    assert sorted(Person.objects.filter(household__household_no=NO).values_list("pk", flat=True)) == ids
    assert Household.objects.filter(household_no=NO).count() == 1
    assert ChangeLog.objects.count() == logs


def test_changed_cell_is_logged_as_a_field_diff(tmp_path, county):
    run(tmp_path, family(NO, first_seq=FIRST_SEQ), county)
    rows = family(NO, first_seq=FIRST_SEQ)
    rows[2]["student_status"] = "初中"
    for r in rows:
        r["housing_grade"] = "D"
    batch = run(tmp_path, rows, county, name="changed.xlsx")
    assert (batch.persons_updated, batch.households_updated) == (1, 1)
    son = Person.objects.get(name="张小明")
    log = ChangeLog.objects.get(entity="person", entity_id=son.pk, action="update")
    assert log.changes == {"student_status": ["primary", "junior"]}
    h = Household.objects.get(household_no=NO)
    hlog = ChangeLog.objects.get(entity="household", entity_id=h.pk, action="update")
    assert hlog.changes == {"housing_grade": ["B", "D"], "housing_ok": [True, False]}


def test_person_under_another_household_moves(tmp_path, county):
    run(tmp_path, family(NO, first_seq=FIRST_SEQ), county)
    son = Person.objects.get(name="张小明")
    other = "3604241002020009"
    rows = [
        person_row(other, "户主", "王建国", dt.date(1960, 1, 2), 201, region_code="360424100202"),
        {
            **family(NO, first_seq=FIRST_SEQ)[2],
            "household_no": other,
            "relation": "之孙子女",
            "region_code": "",
        },
    ]
    batch = run(tmp_path, rows, county, name="move.xlsx")
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    son.refresh_from_db()
    assert (
        son.household.household_no == other
        and son.region_code == "360424100202"
        and son.relation == "grandchild"
    )
    assert Household.objects.get(household_no=NO).member_count == 2
    moves = ChangeLog.objects.filter(entity_id=son.pk, action="move")
    assert {m.household_id for m in moves} == {Household.objects.get(household_no=NO).pk, son.household_id}
    assert moves[0].changes["household_no"] == [NO, other]


def test_one_bad_row_writes_nothing_and_reports_it_on_its_row(tmp_path, county):
    rows = family(NO, first_seq=FIRST_SEQ) + family("3604241002010002", first_seq=FIRST_SEQ + 10)
    rows[4]["labour_skill"] = "会开拖拉机"
    households, persons, logs = Household.objects.count(), Person.objects.count(), ChangeLog.objects.count()
    batch = run(tmp_path, rows, county)
    assert batch.status == ImportBatch.Status.REJECTED and batch.error_count == 1
    assert (Household.objects.count(), Person.objects.count(), ChangeLog.objects.count()) == (
        households,
        persons,
        logs,
    )
    assert batch.errors == [{"row": 6, "column": "劳动技能", "reason": batch.errors[0]["reason"]}]
    assert "会开拖拉机" in batch.errors[0]["reason"] and "普通劳动力" in batch.errors[0]["reason"]
    sheet = report_rows(batch)
    header = sheet[0]
    assert header[-3:] == ["错误行号", "错误列", "错误原因"]
    assert (
        len(sheet) == 7 and sheet[5][-3] == 6 and sheet[5][-2] == "劳动技能" and "会开拖拉机" in sheet[5][-1]
    )
    assert all(r[-1] == "" for i, r in enumerate(sheet[1:], start=2) if i != 6)
    assert sheet[5][header.index("姓名")] == "李秀英"  # the row itself comes back unchanged


def test_row_with_several_errors_lists_them_all(tmp_path, county):
    rows = family(NO, first_seq=FIRST_SEQ)
    rows[1].update(name='=HYPERLINK("http://x")', phone="12345", relation="")
    batch = run(tmp_path, rows, county)
    row = report_rows(batch)[2]
    assert (
        row[-2].count("、") == 2 and "姓名" in row[-2] and "联系电话" in row[-2] and "与户主关系" in row[-2]
    )
    assert row[list(report_rows(batch)[0]).index("姓名")].startswith("'=")  # formula neutralised


def test_scientific_notation_id_says_excel_lost_digits(tmp_path, county):
    rows = family(NO, first_seq=FIRST_SEQ)
    rows[0]["id_number"] = float(rows[0]["id_number"][:15] + "000")
    rows[1]["id_number"] = "3.60424E+17"
    batch = run(tmp_path, rows, county)
    assert [e["reason"] for e in batch.errors] == [EXCEL_NUMBER_ID, EXCEL_NUMBER_ID]
    assert [e["row"] for e in batch.errors] == [2, 3]


def test_full_width_digits_lowercase_x_and_spaces_are_normalised(tmp_path, county):
    rows = family(NO, first_seq=FIRST_SEQ)
    number = rows[0]["id_number"]
    rows[0]["id_number"] = (
        " " + number.translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "\u3000"
    )
    rows[1]["name"] = " 李秀英 "
    batch = run(tmp_path, rows, county)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    assert Person.objects.filter(id_number=number, name="张大山").exists()
    assert Person.objects.filter(name="李秀英").exists()


def test_old_fifteen_digit_number_is_upgraded(tmp_path, county):
    rows = family(NO, first_seq=FIRST_SEQ)
    full = rows[0]["id_number"]
    rows[0]["id_number"] = full[:6] + full[8:17]
    batch = run(tmp_path, rows, county)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    assert Person.objects.filter(id_number=full).exists()


def test_birth_dates_in_every_format_must_agree_with_the_id(tmp_path, county):
    rows = family(NO, first_seq=FIRST_SEQ)
    rows[0]["birth_date"] = (dt.date(1970, 3, 1) - dt.date(1899, 12, 30)).days  # an Excel serial
    rows[1]["birth_date"] = "1972年5月6日"
    rows[2]["birth_date"] = "20140910"
    assert run(tmp_path, rows, county).status == ImportBatch.Status.IMPORTED
    rows[2]["birth_date"] = "2014-09-11"
    rows[1]["sex"] = "男"
    batch = run(tmp_path, rows, county, name="wrong.xlsx")
    assert batch.status == ImportBatch.Status.REJECTED
    assert {(e["row"], e["column"]) for e in batch.errors} == {(4, "出生日期"), (3, "性别")}
    assert "2014-09-10" in reasons(batch)


def test_aliases_and_any_column_order(tmp_path, county):
    rows = family(NO, first_seq=FIRST_SEQ)
    fields = [
        "phone",
        "labour_skill",
        "relation",
        "id_number",
        "name",
        "kind",
        "region_code",
        "household_no",
        "year",
        "wages",
    ]
    headers = {
        "id_number": "身份证号",
        "household_no": "户码",
        "region_code": "村代码",
        "labour_skill": "劳动能力",
        "phone": "手机号码",
        "relation": "与户主的关系",
        "year": "收入年份",
        "wages": "工资性收入（元）",
    }
    batch = run(
        tmp_path, rows, county, fields=fields, headers=headers, title_rows=1, extra_columns={"备注": "note"}
    )
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    assert "备注" in batch.message
    assert HouseholdIncome.objects.get(household__household_no=NO).wages == 20000


def test_missing_required_column_fails_with_one_clear_message(tmp_path, county):
    fields = ["household_no", "region_code", "kind", "name", "relation", "labour_skill"]
    batch = run(tmp_path, family(NO, first_seq=FIRST_SEQ), county, fields=fields)
    assert batch.status == ImportBatch.Status.FAILED
    assert "缺少必填列" in batch.message and "证件号码" in batch.message
    assert not Household.objects.filter(household_no=NO).exists()


@pytest.mark.parametrize(("content", "fragment"), [(b"", "空的"), (b"name,id\n1,2\n", "不是 Excel 工作簿")])
def test_unreadable_files_fail(tmp_path, county, content, fragment):
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    batch = registry_import(path=path, actor=None, region=county)
    assert batch.status == ImportBatch.Status.FAILED and fragment in batch.message


def test_workbook_without_registry_sheet_fails(tmp_path, county):
    path = write_workbook(
        tmp_path / "other.xlsx", [{"name": "张三"}], headers={"name": "物品名称"}, sheet="库存"
    )
    batch = registry_import(path=path, actor=None, region=county)
    assert (
        batch.status == ImportBatch.Status.FAILED
        and "找不到农户信息表" in batch.message
        and "库存" in batch.message
    )


def test_household_outside_the_importers_region_is_rejected(tmp_path, world):
    rows = family(NO, first_seq=FIRST_SEQ, region_code="360428100201")
    batch = run(tmp_path, rows, world.county)
    assert batch.status == ImportBatch.Status.REJECTED
    assert "不在您的管辖范围内" in reasons(batch) and batch.errors[0]["column"] == "行政区划代码"


def test_existing_household_of_another_county_cannot_be_overwritten(tmp_path, world):
    rows = family(world.far.household_no, first_seq=FIRST_SEQ)
    batch = run(tmp_path, rows, world.county)
    assert batch.status == ImportBatch.Status.REJECTED and "您的管辖范围外" in reasons(batch)
    # Nothing about the out-of-scope record is revealed: neither its region nor its village.
    assert "区划" not in reasons(batch) and "城西村" not in reasons(batch)
    world.far.refresh_from_db()
    assert world.far.region_code == "360428100201"


def test_duplicate_id_names_both_rows(tmp_path, county):
    rows = family(NO, first_seq=FIRST_SEQ)
    rows[2]["id_number"] = rows[1]["id_number"]
    rows[2]["name"] = "李秀英"
    batch = run(tmp_path, rows, county)
    dup = [e for e in batch.errors if "重复" in e["reason"]]
    assert {e["row"] for e in dup} == {3, 4}
    assert any("第 4 行" in e["reason"] for e in dup) and any("第 3 行" in e["reason"] for e in dup)


def test_household_needs_exactly_one_head_and_consistent_values(tmp_path, county):
    rows = family(NO, first_seq=FIRST_SEQ)
    rows[1]["relation"] = "户主"
    rows[2]["kind"] = "一般农户"
    batch = run(tmp_path, rows, county)
    by_column = {e["column"]: e for e in batch.errors}
    assert "多名户主" in by_column["与户主关系"]["reason"] and by_column["与户主关系"]["row"] == 3
    assert by_column["户类型"]["row"] == 4 and "不一致" in by_column["户类型"]["reason"]


def test_unknown_village_code_is_rejected(tmp_path, county):
    batch = run(tmp_path, family(NO, first_seq=FIRST_SEQ, region_code="360424100299"), county)
    assert "在系统中不存在" in reasons(batch)


def test_inconsistencies_a_clerk_would_keep_are_imported_as_findings(tmp_path, county):
    rows = family(
        NO, first_seq=FIRST_SEQ, kind="一般农户"
    )  # an ordinary household with a year out of poverty
    rows[1].update(dibao="是", tekun="是", months_worked=6)
    batch = run(tmp_path, rows, county)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.message
    codes = set(Finding.objects.filter(batch=batch).values_list("code", flat=True))
    assert codes == {"ordinary_with_exit_year", "dibao_and_tekun", "work_place_missing"}
    assert {e["column"] for e in batch.findings["sample"]} == {"脱贫年度", "是否特困供养", "务工所在地"}


def test_income_amounts_without_a_year_are_of_the_previous_year(tmp_path, county):
    rows = family(NO, first_seq=FIRST_SEQ)
    for r in rows:
        r["year"] = None
    batch = run(tmp_path, rows, county)
    assert batch.status == ImportBatch.Status.IMPORTED, batch.message
    last_year = timezone.localdate().year - 1
    incomes = HouseholdIncome.objects.filter(household__household_no=NO)
    assert list(incomes.values_list("year", flat=True)) == [last_year]
    assert f"上一年度({last_year}年)" in batch.message and batch.warnings


def test_make_id_people_do_not_clash_with_the_world(world):
    assert not Person.objects.filter(id_number=make_id(dt.date(1970, 3, 1), FIRST_SEQ)).exists()
