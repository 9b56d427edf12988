"""`dixian funds_report`: a region's headline figures as a table or JSON (docs/domain.md §22 "Figures")."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from .report_world import YEAR, build_funds_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def funds(world):
    return build_funds_world(world)


def run(*args: str) -> str:
    out = StringIO()
    call_command("funds_report", *args, stdout=out)
    return out.getvalue()


def test_the_table_names_each_figure_in_chinese(world, funds):
    text = run("--year", str(YEAR), "--region", "360424")
    assert text.splitlines()[0] == f"九江市修水县 {YEAR}年衔接资金和项目主要指标"
    rows = {line.split()[0]: line.split()[1] for line in text.splitlines()[1:]}
    assert rows["下达资金"] == "1,500,000.50"
    assert rows["资金安排率"] == "66.67%"
    assert rows["年度实施项目"] == "3"
    assert rows["开工率"] == "66.67%"
    assert rows["支出进度"] == "70.00%"
    assert rows["产业发展资金占比"] == "70.00%"
    assert rows["联农带农户数"] == "4"
    assert rows["其中:脱贫户和监测户"] == "3"


def test_json_gives_amounts_as_strings_exact_to_the_fen(world, funds):
    data = json.loads(run("--year", str(YEAR), "--region", "3604", "--json"))
    assert data["region"] == "360400000000" and data["year"] == YEAR
    figures = data["figures"]
    assert figures["issued"] == "1700000.50"
    assert figures["arranged"] == "1150000.25"
    assert figures["paid"] == "775000.05"
    assert figures["arranged_rate"] == "0.6765"
    assert figures["planned"] == 4 and figures["households"] == 5
    assert data["industry_share_low"] is False


def test_a_year_without_figures_has_null_rates(world, funds):
    figures = json.loads(run("--year", str(YEAR - 3), "--region", "360424", "--json"))["figures"]
    assert figures["issued"] == "0.00" and figures["arranged_rate"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--year", str(YEAR), "--region", "360499"), "没有区划代码为“360499”"),
        (("--year", str(YEAR), "--region", "修水县"), "区划“修水县”无法识别"),
        (("--year", "二〇二三", "--region", "3604"), "年度“二〇二三”无法识别"),
        (("--year", "1999", "--region", "3604"), "年度“1999”无法识别"),
    ],
)
def test_an_unknown_region_or_year_exits_2_with_a_chinese_message(world, args, message):
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert caught.value.returncode == 2
    assert message in str(caught.value)
