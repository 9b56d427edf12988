"""`dixian import_registry`: exit 0 imported, 1 rejected with the report written, 2 unreadable; one line why."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from python_calamine import CalamineWorkbook

from dixian.registry.models import Household, ImportBatch
from dixian.registry.tests.workbooks import family, write_workbook

pytestmark = pytest.mark.django_db
NO = "3604241002010201"


def command(*args: str) -> int:
    with pytest.raises(SystemExit) as info:
        call_command("import_registry", *args)
    assert isinstance(info.value.code, int)
    return info.value.code


def test_valid_file_exits_0(tmp_path, world, people, capsys):
    path = write_workbook(tmp_path / "ok.xlsx", family(NO, first_seq=301))
    assert command(str(path), "--user", "county_admin", "--no-progress") == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("已导入 3 行") and "\n" not in out
    batch = ImportBatch.objects.get()
    assert batch.uploaded_by == people["county_admin"] and batch.region == world.county
    assert Household.objects.filter(household_no=NO).exists()


def test_rejected_file_exits_1_and_writes_the_report(tmp_path, world, capsys):
    rows = family(NO, first_seq=301)
    rows[1]["relation"] = "邻居"
    path = write_workbook(tmp_path / "bad.xlsx", rows)
    out = tmp_path / "out" / "report.xlsx"
    assert command(str(path), "--region", world.county.code, "--report", str(out)) == 1
    err = capsys.readouterr().err
    assert "行/s" in err  # the progress bar, on stderr
    last = err.strip().splitlines()[-1]
    assert last.startswith("发现 1 处错误") and str(out) in last
    sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert sheet[2][-3:][:2] == [3, "与户主关系"] and "邻居" in sheet[2][-1]
    assert not Household.objects.filter(household_no=NO).exists()


@pytest.mark.parametrize("content", [b"", b"not a workbook at all"])
def test_unreadable_file_exits_2(tmp_path, world, capsys, content):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    assert command(str(path), "--region", world.county.code, "--no-progress") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("无法导入:") and "\n" not in err


def test_wrong_sheet_and_missing_file_exit_2(tmp_path, world, capsys):
    path = write_workbook(
        tmp_path / "other.xlsx", [{"name": "张三"}], headers={"name": "商品"}, sheet="Sheet1"
    )
    assert command(str(path), "--region", world.county.code) == 2
    assert "找不到农户信息表" in capsys.readouterr().err
    assert command(str(tmp_path / "nope.xlsx"), "--region", world.county.code) == 2
    assert "找不到要导入的文件" in capsys.readouterr().err


def test_bad_arguments_exit_2_with_a_reason(tmp_path, world, people, capsys):
    path = write_workbook(tmp_path / "ok.xlsx", family(NO, first_seq=301))
    assert command(str(path), "--region", "999999999999") == 2
    assert "区划代码「999999999999」不存在" in capsys.readouterr().err
    assert command(str(path), "--user", "village_officer", "--region", world.other_county.code) == 2
    assert "无权导入" in capsys.readouterr().err


def test_unexpected_error_exits_2_with_one_line_and_no_traceback(tmp_path, world, capsys, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("dixian.registry.imports.registry_bulk_upsert", broken)
    path = write_workbook(tmp_path / "ok.xlsx", family(NO, first_seq=301))
    assert command(str(path), "--region", world.county.code, "--no-progress") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("导入失败:出现意外错误") and "\n" not in err and "Traceback" not in err
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and "意外错误" in batch.message
