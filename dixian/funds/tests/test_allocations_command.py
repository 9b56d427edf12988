"""`dixian import_funds`: exit 0 imported, 1 refused with the report, 2 unreadable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from python_calamine import CalamineWorkbook

from dixian.funds.models import Payment
from dixian.funds.testing import funds_personas, funds_workbook
from dixian.funds.tests.test_allocations_import import PAY_HEAD, messy_book

pytestmark = pytest.mark.django_db


def exit_code(*args: str) -> int:
    with pytest.raises(SystemExit) as exc:
        call_command("import_funds", *args)
    return int(exc.value.code or 0)


def test_a_good_book_exits_0_and_a_second_run_changes_nothing(tmp_path, world, capsys):
    funds_personas(world)
    path = str(messy_book(tmp_path))
    assert exit_code(path, "--user", "finance") == 0
    assert "已导入" in capsys.readouterr().out
    assert exit_code(path, "--user", "finance") == 0
    assert Payment.objects.count() == 3


def test_a_refused_book_exits_1_with_the_report_where_asked(tmp_path, world, capsys):
    funds_personas(world)
    path = funds_workbook(
        tmp_path / "b.xlsx",
        {"资金支付": [PAY_HEAD, ["NOPE", dt.date(2026, 4, 1), 1, "建筑安装工程", "", ""]]},
    )
    out = tmp_path / "out" / "report.xlsx"
    assert exit_code(str(path), "--user", "finance", "--report", str(out)) == 1
    assert "找不到项目编号「NOPE」" in capsys.readouterr().err
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("资金支付").to_python()
    assert "找不到项目编号" in rows[1][-1]


def test_an_unreadable_file_or_an_unknown_account_exits_2(tmp_path, world, capsys):
    funds_personas(world)
    junk = tmp_path / "junk.xlsx"
    junk.write_text("hello")
    assert exit_code(str(junk), "--user", "finance") == 2
    assert "不是 Excel 工作簿" in capsys.readouterr().err
    assert exit_code(str(junk), "--user", "nobody") == 2
    assert exit_code(str(junk), "--user", "sector") == 2  # no FUNDS_EDIT
