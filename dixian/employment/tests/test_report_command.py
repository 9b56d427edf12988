"""`dixian employment_report`: a unit's monthly employment figures as a table or JSON (docs/domain.md §23
"Figures"), on the small world of figures_world.py."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dixian.employment.tests.figures_world import build_figures_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def fw(world):
    return build_figures_world(world)


def run(*args: str) -> str:
    out = StringIO()
    call_command("employment_report", *args, stdout=out)
    return out.getvalue()


def test_the_table_names_each_figure_in_chinese(fw):
    text = run("--month", "2026-10", "--region", "3604")
    lines = text.splitlines()
    assert lines[0] == "九江市 2026年10月脱贫劳动力和监测劳动力务工就业情况"
    rows = {line.split()[0]: line.split()[1] for line in lines[1:12]}
    assert rows["务工就业人数"] == "9"
    assert rows["2022年10月(基准年同期)务工就业人数"] == "8"
    assert rows["占基准年(2022年)同期"] == "112.50%"
    assert rows["2025年10月(上年同期)务工就业人数"] == "2"
    assert rows["较上月增减"] == "-2"
    assert rows["摸排覆盖率"] == "81.25%"
    assert rows["就业人数较上月下降的乡镇"] == "2"
    assert "  县内" in text and "  公益性岗位" in text
    assert "九江市修水县渣津镇: 3 → 1,减少 2 人" in text
    assert "九江市都昌县都昌镇: 3 → 2,减少 1 人" in text


def test_json_gives_the_headline_figures(fw):
    data = json.loads(run("--month", "2026-10", "--region", "360424", "--json"))
    assert data["region"] == "360424000000" and data["month"] == "2026-10"
    assert data["base_year"] == 2022 and data["base_month"] == "2022-10"
    f = data["figures"]
    assert f["employed"] == 7 and f["base_employed"] == 6 and f["base_ratio"] == "116.67"
    assert f["roll"] == 13 and f["records"] == 11 and f["coverage"] == "84.62"
    assert data["by_tier"]["in_county"] == {
        "label": "县内",
        "employed": 4,
        "base_employed": 5,
        "base_ratio": "80.00",
    }
    assert data["by_channel"]["public_post"]["employed"] == 1
    assert data["by_channel"]["public_post"]["base_ratio"] is None  # none in the base month
    assert [u["name"] for u in data["by_unit"]] == ["义宁镇", "渣津镇"]
    assert data["falling_townships"] == [
        {"region": "360424101000", "name": "渣津镇", "previous": 3, "current": 1, "fall": 2}
    ]


def test_a_month_without_records_has_a_null_ratio(fw):
    f = json.loads(run("--month", "2026年8月", "--region", "3604", "--json"))["figures"]
    assert f["employed"] == 0 and f["base_ratio"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--month", "2026-10", "--region", "360499"), "没有区划代码为“360499”"),
        (("--month", "2026-10", "--region", "修水县"), "区划“修水县”无法识别"),
        (("--month", "2026-10", "--region", "３６０４"), "区划“３６０４”无法识别"),
        (("--month", "2026-13", "--region", "3604"), "不是有效的月份"),
        (("--month", "十月", "--region", "3604"), "不是有效的月份"),
        (("--month", "2099-01", "--region", "3604"), "2099年1月还未到"),
    ],
)
def test_a_bad_month_or_region_exits_2_with_a_chinese_message(world, args, message):
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert caught.value.returncode == 2
    assert message in str(caught.value)


def test_the_command_line_exits_2(tmp_path):
    """Through `python -m dixian` as an operator types it: exit status 2 and the message, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "dixian", "employment_report", "--month", "2026-13", "--region", "3604"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "不是有效的月份" in result.stderr
    assert "Traceback" not in result.stderr
