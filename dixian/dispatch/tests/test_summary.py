"""The weekly summary (docs/domain.md §29): counts per ledger × child unit and a sheet per ledger, from the page's
download and from `dixian dispatch_summary`; read back with python-calamine."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dixian.accounts.capabilities import Capability
from dixian.common.models import AccessLog

from .providers import MONDAY, TODAY, FakeLedger, ledgers_registered

pytestmark = pytest.mark.django_db
URL = reverse("dispatch:summary_xlsx")


@pytest.fixture
def ledgers(world):
    tasks = FakeLedger("问题整改", 1, Capability.RECTIFICATION_VIEW.value)
    governance = FakeLedger("乡村治理", 4, Capability.GOVERNANCE_VIEW.value)
    tasks.item(world.village.code, MONDAY - dt.timedelta(days=3), title="良塘村超期任务")
    tasks.item(world.village.code, MONDAY + dt.timedelta(days=5), title="良塘村本周任务")
    tasks.item(world.other_village.code, MONDAY, title="桃坪村已完成", done=True)
    tasks.item(world.far_village.code, MONDAY, title="城西村任务")
    governance.item(
        world.other_village.code, MONDAY + dt.timedelta(days=1), title="=桃坪村决议公开", kind="公开"
    )
    return tasks, governance


def sheets(content: bytes) -> dict[str, list[list[Any]]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def counts(rows: list[list[Any]]) -> dict[tuple[str, str], list[int]]:
    return {(r[0], r[1]): [int(v) for v in r[2:6]] for r in rows[1:] if r[0] and r[2] != ""}


@time_machine.travel(TODAY, tick=False)
def test_a_township_downloads_its_week_counted_per_ledger_and_village(client, people, ledgers, world):
    client.force_login(people["township_reviewer"])
    with ledgers_registered(*ledgers):
        response = client.get(URL, {"week": "2026-W49"})
    assert response.status_code == 200
    assert "attachment;" in response["Content-Disposition"]
    book = sheets(response.content)
    assert list(book) == ["汇总", "问题整改", "乡村治理"]
    assert counts(book["汇总"]) == {
        # listed, done, open, overdue
        ("问题整改", "良塘村"): [2, 0, 2, 1],
        ("问题整改", "桃坪村"): [1, 1, 0, 0],
        ("问题整改", "合计"): [3, 1, 2, 1],
        ("乡村治理", "良塘村"): [0, 0, 0, 0],
        ("乡村治理", "桃坪村"): [1, 0, 1, 1],
        ("乡村治理", "合计"): [1, 0, 1, 1],
        ("全部台账", "合计"): [4, 1, 3, 2],
    }
    assert book["汇总"][0][:6] == ["台账", "单位", "应办事项", "已完成", "未完成", "已超期"]
    tasks = book["问题整改"]
    assert [r[3] for r in tasks[1:]] == ["良塘村超期任务", "良塘村本周任务", "桃坪村已完成"]
    assert tasks[1][:3] == ["良塘村", world.village.code, "事项到期"]
    assert tasks[1][5] == dt.date(2026, 11, 27)
    assert tasks[1][6:9] == ["否", "是", "已超期 5 天"]
    # A title that starts like a formula stays text.
    assert book["乡村治理"][1][3] == "'=桃坪村决议公开"
    assert not any("城西村" in str(cell) for rows in book.values() for row in rows for cell in row)
    logged = AccessLog.objects.get()
    assert (logged.action, logged.record_count, logged.region_code) == ("export", 4, world.township.prefix)
    assert "工作调度周汇总 2026-W49" in logged.scope


@time_machine.travel(TODAY, tick=False)
def test_the_download_refuses_a_bad_week_and_a_unit_out_of_scope(client, people, ledgers, world):
    client.force_login(people["township_reviewer"])
    with ledgers_registered(*ledgers):
        response = client.get(URL, {"week": "2026-W60"})
        assert response.status_code == 400
        assert "2026 年只有第 1 至第 53 周。周汇总未生成。" in response.content.decode()
        assert client.get(URL, {"region": world.far_village.code}).status_code == 404
    assert not AccessLog.objects.exists()


@time_machine.travel(TODAY, tick=False)
def test_the_command_writes_the_citys_summary_per_county(tmp_path, people, ledgers, world):
    out = tmp_path / "周汇总.xlsx"
    with ledgers_registered(*ledgers):
        call_command("dispatch_summary", "--region", "3604", "--week", "2026-W49", "--out", str(out))
    book = sheets(out.read_bytes())
    found = counts(book["汇总"])
    assert found[("问题整改", "修水县")] == [3, 1, 2, 1]
    assert found[("问题整改", "都昌县")] == [1, 0, 1, 1]
    assert found[("全部台账", "合计")] == [5, 1, 4, 3]
    assert not AccessLog.objects.exists()  # no account: nothing personal was shown to anyone


@time_machine.travel(TODAY, tick=False)
def test_the_command_as_an_account_reads_its_scope_and_is_logged(tmp_path, people, ledgers, world):
    out = tmp_path / "f.xlsx"
    with ledgers_registered(*ledgers):
        call_command("dispatch_summary", "--region", "360424", "--out", str(out), "--user", "county_reviewer")
        with pytest.raises(CommandError, match="不在账号“county_reviewer”的辖区内"):
            call_command(
                "dispatch_summary", "--region", "360428", "--out", str(out), "--user", "county_reviewer"
            )
        with pytest.raises(CommandError, match="没有“查看本周工作调度和周汇总”的权限"):
            call_command("dispatch_summary", "--region", "360424", "--out", str(out), "--user", "finance")
    assert counts(sheets(out.read_bytes())["汇总"])[("问题整改", "义宁镇")] == [3, 1, 2, 1]
    assert AccessLog.objects.get().account == people["county_reviewer"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--region", "3604", "--week", "2026-W99"], "只有第 1 至第 53 周"),
        (["--region", "3604", "--week", "下周"], "例如 2026-W49"),
        (["--region", "九江"], "区划“九江”无法识别"),
        (["--region", "3699"], "没有区划代码为“3699”"),
    ],
)
def test_the_command_refuses_what_it_cannot_read_with_exit_2(tmp_path, world, args, says):
    with pytest.raises(CommandError, match=says) as caught:
        call_command("dispatch_summary", *args, "--out", str(tmp_path / "f.xlsx"))
    assert caught.value.returncode == 2
