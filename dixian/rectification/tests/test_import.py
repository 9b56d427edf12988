"""The findings list import (docs/domain.md §25 "Workbook import"): all or nothing, every row's reasons, names
or codes for the place, inside the importer's subtree; the template; the command's exit codes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest
import xlsxwriter
from django.core.management import call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from dixian.domain.dictionaries import ParseError
from dixian.rectification.imports import findings_import, parse_category, parse_source
from dixian.rectification.models import Finding, FindingEvent, FindingTask

pytestmark = pytest.mark.django_db

HEADERS = [
    "序号",
    "问题来源",
    "问题类别",
    "问题描述",
    "县(市、区)",
    "乡(镇)",
    "村",
    "区划代码",
    "发现日期",
    "整改时限",
    "责任单位",
    "责任人",
    "整改措施",
]
GOOD: list[list[object]] = [
    [
        "1",
        "国考",
        "政策落实",
        "监测户帮扶措施与风险不匹配",
        "修水县",
        "义宁镇",
        "良塘村",
        "",
        "2023-01-15",
        "2023-06-30",
        "良塘村委会",
        "村支书",
        "逐户调整措施",
    ],
    [
        "2",
        "省考反馈",
        "责任落实方面",
        "驻村工作队在岗不足",
        "",
        "",
        "",
        "360424100202",
        dt.date(2023, 2, 1),
        "",
        "",
        "",
        "",
    ],
]


def book(path: Path, rows: Sequence[Sequence[object]], headers: list[str] = HEADERS) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("问题清单")
    ws.write_row(0, 0, ["2022年考核评估反馈问题整改清单"])
    ws.write_row(1, 0, headers)
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    for i, row in enumerate(rows, start=2):
        for j, v in enumerate(row):
            if isinstance(v, dt.date):
                ws.write_datetime(i, j, dt.datetime.combine(v, dt.time()), date)
            else:
                ws.write(i, j, v)
    wb.close()
    return path


def test_a_good_list_is_imported_with_its_tasks(tmp_path, world, people):
    result = findings_import(
        path=book(tmp_path / "a.xlsx", GOOD), actor=people["county_admin"], scope=world.county
    )
    assert result.ok, result.errors
    first, second = Finding.objects.order_by("pk")
    assert (first.source, first.category, first.region, first.plan_no) == (
        "national",
        "政策落实",
        world.village,
        "1",
    )
    assert first.deadline == dt.date(2023, 6, 30)
    assert (second.source, second.category, second.region) == ("provincial", "责任落实", world.other_village)
    task = FindingTask.objects.get()
    assert task.finding == first and task.owner_unit == "良塘村委会" and task.title == "逐户调整措施"
    assert first.events.order_by("pk").first().kind == FindingEvent.Kind.IMPORTED


def test_one_bad_row_refuses_the_whole_book_with_every_reason(tmp_path, world, people):
    bad: list[list[object]] = [
        *GOOD,
        ["3", "路边社", "政策落实", "x", "修水县", "", "", "", "2023-01-15", "", "", "", ""],
        ["4", "国考", "乱写", "y", "", "", "不存在村", "", "2023-01-15", "2022-01-01", "", "", ""],
        ["5", "国考", "工作落实", "z", "", "", "", "360428100201", "昨天", "", "", "", ""],
    ]
    result = findings_import(
        path=book(tmp_path / "b.xlsx", bad), actor=people["county_admin"], scope=world.county
    )
    assert not result.ok and Finding.objects.count() == 0
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert "问题来源「路边社」无法识别" in reasons[(5, "问题来源")]
    assert "问题类别「乱写」无法识别" in reasons[(6, "问题类别")]
    assert (6, "村") in reasons
    assert "不在您的管辖范围" in reasons[(7, "区划代码")]  # another county's village
    assert "不是有效的日期" in reasons[(7, "发现日期")]
    assert "有 3 行" in result.message


def test_a_book_without_the_headers_is_refused(tmp_path, world, people):
    result = findings_import(
        path=book(tmp_path / "c.xlsx", GOOD, headers=["甲", "乙"]),
        actor=people["county_admin"],
        scope=world.county,
    )
    assert not result.ok and "找不到表头" in result.message


def test_the_page_and_the_template(client, tmp_path, world, people):
    client.force_login(people["county_admin"])
    template = client.get(reverse("rectification:import_template"))
    assert template.status_code == 200
    path = book(tmp_path / "d.xlsx", GOOD)
    with path.open("rb") as fh:
        response = client.post(reverse("rectification:finding_import"), {"file": fh})
    assert response.status_code == 200 and "已导入 2 个问题" in response.content.decode()
    client.force_login(people["village_officer"])  # no RECTIFICATION_EDIT
    assert client.get(reverse("rectification:finding_import")).status_code == 403


def test_the_command(tmp_path, world, people, capsys):
    path = book(
        tmp_path / "e.xlsx",
        [*GOOD, ["3", "国考", "政策落实", "x", "", "", "", "360428100201", "2023-01-15", "", "", "", ""]],
    )
    with pytest.raises(SystemExit) as exc:
        call_command("import_findings", str(path), "--user", "county_admin")
    assert exc.value.code == 1 and "第 5 行 区划代码" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        call_command("import_findings", str(book(tmp_path / "f.xlsx", GOOD)), "--user", "county_admin")
    assert exc.value.code == 0 and Finding.objects.count() == 2


@given(st.text(max_size=12))
def test_source_and_category_parsers_answer_a_known_value_or_a_chinese_reason(value):
    for parser, known in (
        (parse_source, set(Finding.Source.values)),
        (parse_category, {"责任落实", "政策落实", "工作落实", "成效巩固"}),
    ):
        try:
            assert parser(value) in known
        except ParseError as exc:
            assert "无法识别" in str(exc)
