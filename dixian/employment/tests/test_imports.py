"""The survey workbook import (docs/domain.md §23): every refusal with its reason, all or nothing, an identical
book changes nothing, a changed value replaces the month's record and is audited, the command's exit codes and
the page."""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dixian.accounts.models import Role
from dixian.common.models import ChangeLog
from dixian.common.testing import persona
from dixian.employment.imports import COLUMNS, survey_import
from dixian.employment.models import Employment, SurveyImport
from dixian.employment.signals import survey_changed
from dixian.registry.models import Person

pytestmark = pytest.mark.django_db

HEADER = [
    "姓名",
    "证件号码",
    "摸排月份",
    "是否务工",
    "务工地域",
    "就业单位(帮扶车间)",
    "就业渠道",
    "本年务工月数",
    "月工资收入",
    "未就业原因",
    "是否有就业意愿",
    "备注",
]
OCT = dt.date(2026, 10, 1)
TODAY = dt.date(2026, 11, 20)


def book(path: Path, rows: list[list[Any]], header: list[str] = HEADER) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("摸排表")
    for j, h in enumerate(header):
        ws.write_string(0, j, h)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, int | float):
                ws.write_number(i, j, value)
            else:
                ws.write_string(i, j, str(value))
    wb.close()
    return path


def working(p: Person, month: str = "2026-10", **over: Any) -> list[Any]:
    row = {
        "name": p.name,
        "id": p.id_number,
        "month": month,
        "working": "是",
        "tier": "省外",
        "employer": "东莞某电子厂",
        "channel": "劳务输出",
        "months": 10,
        "wage": "3000-5000元",
        "reason": "",
        "willing": "",
        "note": "",
    }
    row.update(over)
    return list(row.values())


def idle(p: Person, month: str = "2026-10", **over: Any) -> list[Any]:
    return working(
        p,
        month,
        **{
            "working": "否",
            "tier": "",
            "employer": "",
            "channel": "",
            "months": 0,
            "wage": "",
            "reason": "照料家庭",
            "willing": "是",
            **over,
        },
    )


@pytest.fixture
def four(world) -> list[Person]:
    """Two workers of 良塘村 and two of 桃坪村 (one township), all on the roll."""
    return [
        *world.home.members.order_by("pk"),
        *world.neighbour.members.order_by("pk"),
    ]


def run(tmp_path: Path, rows: list[list[Any]], user, *, month: dt.date | None = None, name: str = "b.xlsx"):
    path = book(tmp_path / name, rows)
    return survey_import(path=path, actor=user, scope=user.region, file_name=name, month=month, today=TODAY)


def errors_of(batch: SurveyImport) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["reason"]) for e in batch.errors]


def test_a_book_imports_and_sends_survey_changed_once(tmp_path, people, four):
    heard: list[dict[str, Any]] = []

    def listen(**kwargs: Any) -> None:
        heard.append(kwargs)

    survey_changed.connect(listen, dispatch_uid="test_listen")
    try:
        rows = [working(four[0]), idle(four[1]), working(four[2], wage=4200), idle(four[3], willing="否")]
        batch = run(tmp_path, rows, people["township_reviewer"])
    finally:
        survey_changed.disconnect(dispatch_uid="test_listen")
    assert batch.status == SurveyImport.Status.DONE, batch.errors
    assert (batch.rows_total, batch.created, batch.replaced, batch.unchanged) == (4, 4, 0, 0)
    records = {r.person_id: r for r in Employment.objects.all()}
    first = records[four[0].pk]
    assert (first.month, first.working, first.place_tier, first.channel, first.months_worked) == (
        OCT,
        True,
        "out_of_province",
        "labour_export",
        10,
    )
    assert (first.wage_band, first.employer, first.source, first.batch_id) == (
        "3000_5000",
        "东莞某电子厂",
        Employment.Source.WORKBOOK,
        batch.pk,
    )
    assert first.region_code == four[0].region_code and first.household_id == four[0].household_id
    assert records[four[2].pk].wage_band == "3000_5000"  # 4200 元 falls in its band
    second = records[four[1].pk]
    assert (second.working, second.not_working_reason, second.willing, second.place_tier) == (
        False,
        "family_care",
        True,
        "",
    )
    assert records[four[3].pk].willing is False
    assert len(heard) == 1
    assert heard[0]["person_ids"] == sorted(p.pk for p in four) and heard[0]["months"] == [OCT]
    # The places, so that the receivers need not look them up (signals.py).
    villages = {p.region_code for p in four}
    assert heard[0]["person_places"] == villages and heard[0]["record_places"] == villages
    # The recorder of a workbook's records is the account that uploaded it, named once on the batch.
    assert first.recorded_by_id is None and first.recorder == people["township_reviewer"]
    first.source = (
        Employment.Source.FORM
    )  # corrected in the form by the system: the batch stays, its uploader not
    assert first.recorder is None


def test_an_identical_book_changes_nothing_and_a_changed_value_is_a_correction(tmp_path, people, four):
    user = people["township_reviewer"]
    rows = [working(four[0]), idle(four[1])]
    run(tmp_path, rows, user)
    before = list(Employment.objects.order_by("pk").values())
    again = run(tmp_path, rows, user)
    assert (again.created, again.replaced, again.unchanged) == (0, 0, 2)
    assert list(Employment.objects.order_by("pk").values()) == before
    assert not ChangeLog.objects.filter(entity="employment").exists()
    changed = run(
        tmp_path, [working(four[0], channel="帮扶车间", employer="村帮扶车间"), idle(four[1])], user
    )
    assert (changed.created, changed.replaced, changed.unchanged) == (0, 1, 1)
    record = Employment.objects.get(person=four[0])
    assert (record.channel, record.employer, record.batch_id) == ("workshop", "村帮扶车间", changed.pk)
    log = ChangeLog.objects.get(entity="employment")
    assert log.entity_id == record.pk and log.household_id == four[0].household_id
    assert log.action == ChangeLog.Action.UPDATE and log.source == ChangeLog.Source.IMPORT
    assert log.changes == {
        "employer": ["东莞某电子厂", "村帮扶车间"],
        "channel": ["labour_export", "workshop"],
    }
    assert "2026年10月" in log.summary


def test_what_does_not_apply_to_the_answer_is_dropped_as_the_form_drops_it(tmp_path, people, four):
    # validation.normalised, docs/domain.md §23: one meaning for the form and the workbook.
    rows = [
        idle(four[0], tier="省外", employer="东莞某电子厂", channel="劳务输出", wage="3000-5000元"),
        working(four[1], reason="照料家庭", willing="是"),
    ]
    batch = run(tmp_path, rows, people["township_reviewer"])
    assert batch.status == SurveyImport.Status.DONE, batch.errors
    idle_row = Employment.objects.get(person=four[0])
    assert (idle_row.place_tier, idle_row.employer, idle_row.channel, idle_row.wage_band) == ("", "", "", "")
    assert (idle_row.not_working_reason, idle_row.willing) == ("family_care", True)
    working_row = Employment.objects.get(person=four[1])
    assert (working_row.not_working_reason, working_row.willing) == ("", None)
    assert working_row.place_tier == "out_of_province"


def test_the_month_given_for_the_whole_book_fills_empty_cells(tmp_path, people, four):
    rows = [working(four[0], month=""), idle(four[1], month="2026-09", months=0)]
    batch = run(tmp_path, rows, people["township_reviewer"], month=OCT)
    assert batch.status == SurveyImport.Status.DONE, batch.errors
    months = dict(Employment.objects.values_list("person_id", "month"))
    assert months == {four[0].pk: OCT, four[1].pk: dt.date(2026, 9, 1)}
    refused = run(tmp_path, [working(four[2], month="")], people["township_reviewer"])
    assert refused.status == SurveyImport.Status.REFUSED
    assert "请填写摸排月份" in errors_of(refused)[0][2]


def refusal(tmp_path, user, rows) -> list[tuple[int, str, str]]:
    batch = run(tmp_path, rows, user)
    assert batch.status == SurveyImport.Status.REFUSED
    assert not Employment.objects.exists()  # all or nothing
    report = Path(settings.DATA_DIR) / batch.report_file
    assert report.exists()
    return errors_of(batch)


def test_person_out_of_the_importers_subtree_is_not_found(tmp_path, people, four, world):
    far = world.far.members.first()
    errs = refusal(tmp_path, people["village_officer"], [working(four[0]), working(four[2]), working(far)])
    # 桃坪村 and the other county are outside 良塘村: "not found", whether or not the number exists elsewhere.
    assert [(row, col) for row, col, _ in errs] == [(3, "证件号码"), (4, "证件号码")]
    assert all("在您的管辖范围(良塘村)内找不到证件号码" in reason for _, _, reason in errs)


def test_name_must_match_the_persons(tmp_path, people, four):
    errs = refusal(tmp_path, people["village_officer"], [working(four[0], name="张四")])
    assert errs == [
        (2, "姓名", f"姓名「张四」与证件号码「{four[0].id_number}」登记的人员姓名不一致,请核对姓名和证件号码")
    ]


def test_a_person_not_on_the_roll_of_the_month_is_refused(tmp_path, people, four):
    Person.objects.filter(pk=four[1].pk).update(birth_date=dt.date(1950, 1, 1))  # 76: over the working age
    errs = refusal(tmp_path, people["village_officer"], [working(four[0]), idle(four[1])])
    assert [(row, col) for row, col, _ in errs] == [(3, "")]
    assert "不在2026年10月的劳动力名册上" in errs[0][2]


def test_month_in_the_future_and_a_second_row_are_refused(tmp_path, people, four):
    rows = [working(four[0]), working(four[0], months=9), working(four[1], month="2026-12", months=10)]
    errs = refusal(tmp_path, people["village_officer"], rows)
    assert (
        3,
        "",
        "与第 2 行是同一人员同一月份(2026年10月)的摸排记录:一人每月只有一条记录,请删除重复的行或改正月份",
    ) in errs
    assert any(row == 4 and col == "摸排月份" and "晚于本月" in reason for row, col, reason in errs)


def test_the_field_rules_of_the_survey(tmp_path, people, four):
    rows = [
        working(four[0], tier="", channel=""),
        idle(four[1], reason="", willing=""),
        working(four[0], month="2026-03", months=4),
    ]
    errs = refusal(tmp_path, people["village_officer"], rows)
    assert {(row, col) for row, col, _ in errs} == {
        (2, "务工地域"),
        (2, "就业渠道"),
        (3, "未就业原因"),
        (3, "是否有就业意愿"),
        (4, "本年务工月数"),
    }
    assert any("本年务工月数(4)超过了2026年到3月已过的月数(3)" in reason for _, _, reason in errs)


def test_an_answer_refused_after_earlier_rows_were_written_rolls_them_back(
    tmp_path, people, four, monkeypatch
):
    """The answers are parsed span by span while the rows before are stored: a refusal in a later span still
    writes nothing, and the report lists the errors of every span, in row order."""
    from dixian.employment import imports

    monkeypatch.setattr(imports, "SPAN", 1)
    rows = [working(four[0]), idle(four[1]), working(four[2], tier=""), idle(four[3], reason="")]
    batch = run(tmp_path, rows, people["township_reviewer"])
    assert batch.status == SurveyImport.Status.REFUSED
    assert not Employment.objects.exists()
    assert [(row, col) for row, col, _ in errors_of(batch)] == [(4, "务工地域"), (5, "未就业原因")]
    # The same book right: every span written.
    rows[2], rows[3] = working(four[2]), idle(four[3])
    assert run(tmp_path, rows, people["township_reviewer"]).created == 4


def test_a_rows_errors_keep_the_order_of_the_checks(tmp_path, people, four):
    # The cells (in column order), then the rules, then the registry: the order of the report's rows was one pass
    # after the other before the answers were parsed span by span, and stays so (RowError.order).
    rows = [working(four[0], name="错名", tier="", wage="很多"), working(four[1], months=13)]
    errs = refusal(tmp_path, people["township_reviewer"], rows)
    assert [(row, col) for row, col, _ in errs] == [
        (2, "月工资收入"),
        (2, "务工地域"),
        (2, "姓名"),
        (3, "本年务工月数"),
    ]


def test_bad_cells_say_what_to_write(tmp_path, people, four):
    rows = [
        working(four[0], tier="火星", wage="很多"),
        idle(four[1], working="也许", reason="懒"),
        working(four[0], id=3.60424197001011e17, month="2026-09"),
        working(four[0], month="2026-08", months=13),
    ]
    errs = refusal(tmp_path, people["village_officer"], rows)
    by = {(row, col): reason for row, col, reason in errs}
    assert by[(2, "务工地域")].startswith("「火星」不是有效的务工地域,可填:县内")
    assert "月工资收入" in by[(2, "月工资收入")]
    assert by[(3, "是否务工")] == "是否务工「也许」应填“是”或“否”"
    assert "未就业原因" in by[(3, "未就业原因")]
    assert "科学计数法" in by[(4, "证件号码")]
    assert by[(5, "本年务工月数")] == "本年务工月数「13」应为 0 到 12 之间的整数"


def test_excel_damaged_looking_ids_the_registry_accepts_are_accepted(tmp_path, people, four):
    number = four[0].id_number
    spaced = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in four[1].id_number)
    batch = run(
        tmp_path, [working(four[0], id=spaced), idle(four[1], id=full_width)], people["village_officer"]
    )
    assert batch.status == SurveyImport.Status.DONE, batch.errors
    assert Employment.objects.count() == 2


def test_place_columns_are_a_check_only(tmp_path, people, four):
    header = ["县", "乡镇", "村", *HEADER]
    ok = ["修水县", "义宁镇", "良塘", *working(four[0])]
    wrong = ["修水县", "义宁镇", "桃坪村", *idle(four[1])]
    path = book(tmp_path / "p.xlsx", [ok, wrong], header)
    batch = survey_import(
        path=path, actor=people["village_officer"], scope=people["village_officer"].region, today=TODAY
    )
    assert batch.status == SurveyImport.Status.REFUSED
    assert errors_of(batch) == [
        (3, "村", "村「桃坪村」与该人员登记的所在地「良塘村」不一致,请核对证件号码或村")
    ]


def test_unreadable_files_are_refused_whole(tmp_path, people):
    user = people["village_officer"]
    not_excel = tmp_path / "x.xlsx"
    not_excel.write_bytes(b"hello")
    batch = survey_import(path=not_excel, actor=user, scope=user.region, today=TODAY)
    assert batch.status == SurveyImport.Status.REFUSED and not batch.report_file
    assert "不是 Excel 工作簿" in batch.message
    no_id = book(tmp_path / "n.xlsx", [["张三", "是"]], ["姓名", "是否务工"])
    batch = survey_import(path=no_id, actor=user, scope=user.region, today=TODAY)
    assert "缺少必填列:证件号码" in batch.message
    empty = book(tmp_path / "e.xlsx", [], HEADER)
    assert "没有数据行" in survey_import(path=empty, actor=user, scope=user.region, today=TODAY).message


def test_the_error_report_repeats_the_rows_with_the_reasons(tmp_path, people, four):
    batch = run(tmp_path, [working(four[0]), working(four[1], name="错名")], people["village_officer"])
    report = CalamineWorkbook.from_path(str(Path(settings.DATA_DIR) / batch.report_file))
    rows = report.get_sheet_by_index(0).to_python()
    assert rows[0][-3:] == ["错误行号", "错误列", "错误原因"]
    assert rows[1][1] == four[0].id_number
    assert rows[2][-3:-1] == [3, "姓名"] and "姓名不一致" in rows[2][-1]


# ---- the command ------------------------------------------------------------------------------------------


def command(*args: str) -> tuple[int, str]:
    from io import StringIO

    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_survey", *args, stdout=out, stderr=err)
    return int(exit_.value.code or 0), out.getvalue() + err.getvalue()


def test_the_command_exits_0_1_2(tmp_path, people, four):
    good = book(tmp_path / "good.xlsx", [working(four[0], month="")])
    code, text = command(str(good), "--month", "2026-10", "--user", "village_officer")
    assert code == 0 and "新增 1 条" in text
    bad = book(tmp_path / "bad.xlsx", [working(four[0], name="错名")])
    out = tmp_path / "r" / "report.xlsx"
    code, text = command(str(bad), "--user", "village_officer", "--report", str(out))
    assert code == 1 and out.exists() and "姓名不一致" in text
    assert command(str(tmp_path / "none.xlsx"), "--user", "village_officer")[0] == 2
    assert command(str(good), "--month", "十月", "--user", "village_officer")[0] == 2
    assert command(str(good), "--user", "leader")[0] == 2  # no right to record the survey


# ---- the page ------------------------------------------------------------------------------------------------


def test_the_page_imports_and_offers_the_report(client, people, four, tmp_path, world):
    client.force_login(people["village_officer"])
    url = reverse("employment:import")
    assert client.get(url).status_code == 200
    data = book(tmp_path / "up.xlsx", [working(four[0], month=""), idle(four[1], month="")]).read_bytes()
    response = client.post(url, {"file": SimpleUploadedFile("十月.xlsx", data), "month": "2026-10"})
    assert response.status_code == 200
    assert "新增 2 条" in response.content.decode()
    bad = book(tmp_path / "bad.xlsx", [working(four[0], name="错名")]).read_bytes()
    response = client.post(url, {"file": SimpleUploadedFile("错.xlsx", bad)})
    batch = SurveyImport.objects.latest("pk")
    assert batch.status == SurveyImport.Status.REFUSED
    assert "姓名不一致" in response.content.decode()
    report = client.get(reverse("employment:import_report", args=[batch.pk]))
    assert report.status_code == 200 and report["Content-Disposition"].startswith("attachment")
    # The report is the book with full numbers: the uploader has it back; another account in scope only with
    # the personal-data right.
    client.force_login(people["township_reviewer"])
    assert client.get(reverse("employment:import_report", args=[batch.pk])).status_code == 403
    client.force_login(people["county_admin"])
    assert client.get(reverse("employment:import_report", args=[batch.pk])).status_code == 200
    # Another village's account does not see the batch (404, as for a key that exists nowhere).
    client.force_login(persona("other_officer", world.other_village, Role.VILLAGE_OFFICER))
    assert client.get(reverse("employment:import_report", args=[batch.pk])).status_code == 404
    assert "十月.xlsx" not in client.get(url).content.decode()


def test_error_reasons_on_the_page_are_masked_without_the_right(client, people, four, tmp_path):
    client.force_login(people["township_reviewer"])  # no personal-data right
    bad = book(tmp_path / "bad.xlsx", [working(four[0], name="错名")]).read_bytes()
    text = client.post(
        reverse("employment:import"), {"file": SimpleUploadedFile("错.xlsx", bad)}
    ).content.decode()
    assert "姓名不一致" in text and four[0].id_number not in text


def test_the_page_refuses_a_file_that_is_not_xlsx_and_a_bad_month(client, people):
    client.force_login(people["village_officer"])
    response = client.post(
        reverse("employment:import"), {"file": SimpleUploadedFile("a.csv", b"x"), "month": "十月"}
    )
    text = response.content.decode()
    assert "不是 .xlsx 文件" in text and "不是有效的月份" in text
    assert not SurveyImport.objects.exists()


def test_the_template_reads_back_with_every_column(client, people):
    client.force_login(people["village_officer"])
    response = client.get(reverse("employment:import_template"))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    rows = CalamineWorkbook.from_filelike(BytesIO(content)).get_sheet_by_name("摸排表").to_python()
    assert rows[0] == [c.header for c in COLUMNS]
    assert len(rows) == 3  # the header and two examples


def test_the_page_is_refused_without_the_survey_right(client, people):
    client.force_login(people["leader"])
    assert client.get(reverse("employment:import")).status_code == 403
    assert client.get(reverse("employment:import_template")).status_code == 403


def test_a_concurrent_record_met_by_the_copy_is_djangos_integrity_error(four):
    """On PostgreSQL the rows go through the raw psycopg cursor (COPY): a unique violation must still be
    Django's IntegrityError, which the import turns into "有人同时录入…" instead of the generic error."""
    from django.db import IntegrityError, connection, transaction
    from django.utils import timezone

    from dixian.employment.imports import insert_records

    from .groups_world import record

    p = four[0]
    record(p, OCT, working=True, tier="in_county")
    ops = connection.ops
    row: tuple[Any, ...] = (
        p.pk,
        p.household_id,
        p.region_code,
        ops.adapt_datefield_value(OCT),
        True,
        "in_county",
        "",
        "self",
        1,
    )
    row += (
        "",
        "",
        None,
        "",
        Employment.Source.WORKBOOK,
        None,
        None,
        ops.adapt_datetimefield_value(timezone.now()),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_records([row])


def test_the_stored_records_an_import_replaces_are_locked(four):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dixian.employment.imports import stored_records

    from .groups_world import record

    if not connection.features.has_select_for_update:
        pytest.skip("SQLite has no row locks: its writers take turns")
    record(four[0], OCT, working=True, tier="in_county")
    with CaptureQueriesContext(connection) as ctx:
        assert (four[0].pk, OCT) in stored_records({OCT: [four[0].pk]})
    assert ctx.captured_queries[-1]["sql"].rstrip().endswith("FOR UPDATE")


def test_a_correction_by_workbook_after_a_move_keeps_the_village_and_household_of_the_record(
    tmp_path, people, four, world
):
    # docs/domain.md §23: region_code and household are the person's at the time of recording.
    user = people["township_reviewer"]
    p = four[0]
    run(tmp_path, [working(p)], user)
    first = Employment.objects.get(person=p)
    p.household, p.region_code = world.neighbour, world.neighbour.region_code
    p.save()
    heard: list[dict[str, Any]] = []

    def listen(**kwargs: Any) -> None:
        heard.append(kwargs)

    survey_changed.connect(listen, dispatch_uid="test_listen_move")
    try:
        batch = run(tmp_path, [working(p, channel="帮扶车间")], user)
    finally:
        survey_changed.disconnect(dispatch_uid="test_listen_move")
    assert batch.replaced == 1, batch.errors
    # The replaced record was made in the old village (the dashboards' mark); the person lives in the new one
    # (the key groups' region).
    assert heard[0]["record_places"] == {first.region_code}
    assert heard[0]["person_places"] == {world.neighbour.region_code}
    r = Employment.objects.get(pk=first.pk)
    assert (r.channel, r.region_code, r.household_id) == ("workshop", first.region_code, first.household_id)
