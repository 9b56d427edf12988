"""Visit coverage per village: households, households visited at least once, visits with risks."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dixian.common.testing import region
from dixian.registry.testing import household
from dixian.visits.selectors import coverage_for_user

from .helpers import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def visited(world, people, today):
    """良塘村: 张三 (visited twice this month, once with a risk), 赵六 (once), 钱七 (never).
    桃坪村: 李四 (visited in October only). 城西村 (other county): 王五 (visited this month)."""
    officer = people["city_admin"]
    zhao = household("3604241002010002", world.village, "赵六", 6)
    household("3604241002010003", world.village, "钱七", 7)
    record(world.home, officer, on=dt.date(2026, 11, 3), risks=["illness"])
    record(world.home, officer, on=dt.date(2026, 11, 19))
    record(zhao, officer, on=dt.date(2026, 11, 20), method="phone")
    record(world.neighbour, officer, on=dt.date(2026, 10, 15), risks=["water", "housing"])
    record(world.far, officer, on=dt.date(2026, 11, 1))
    return world


def rows(coverage) -> dict[str, tuple]:
    out = {
        r.name: (r.households, r.visited, r.coverage, r.visits, r.visits_with_risks)
        for r in coverage.villages
    }
    for t in coverage.townships:
        out[t.name or "-"] = (t.households, t.visited, t.coverage, t.visits, t.visits_with_risks)
    total = coverage.total
    out[total.name] = (total.households, total.visited, total.coverage, total.visits, total.visits_with_risks)
    return out


def test_this_months_coverage_of_a_county(visited, people, today):
    coverage = coverage_for_user(people["county_reviewer"], dt.date(2026, 11, 1), today)
    assert rows(coverage) == {
        "良塘村": (3, 2, 66.7, 3, 1),
        "桃坪村": (1, 0, 0.0, 0, 0),
        "义宁镇": (4, 2, 50.0, 3, 1),
        "修水县合计": (4, 2, 50.0, 3, 1),
    }
    assert coverage.show_townships


def test_a_quarter_counts_the_october_visit_too(visited, people, today):
    coverage = coverage_for_user(people["county_reviewer"], dt.date(2026, 10, 1), today)
    assert rows(coverage)["桃坪村"] == (1, 1, 100.0, 1, 1)
    assert rows(coverage)["修水县合计"] == (4, 3, 75.0, 4, 2)


def test_a_village_sees_its_own_row_and_total(visited, people, today):
    coverage = coverage_for_user(people["village_officer"], dt.date(2026, 11, 1), today)
    assert [v.name for v in coverage.villages] == ["良塘村"]
    assert coverage.total.name == "良塘村合计" and not coverage.show_townships


def test_a_helper_counts_only_its_assigned_households(visited, people, today):
    coverage = coverage_for_user(people["helper"], dt.date(2026, 11, 1), today)
    assert rows(coverage)["良塘村"] == (1, 1, 100.0, 2, 1)


def test_the_city_sees_every_village_and_another_county_only_its_own(visited, people, today):
    city = coverage_for_user(people["leader"], dt.date(2026, 11, 1), today)
    assert [v.name for v in city.villages] == ["良塘村", "桃坪村", "城西村"]
    assert rows(city)["九江市合计"] == (5, 3, 60.0, 4, 1)
    other = coverage_for_user(people["other_county_reviewer"], dt.date(2026, 11, 1), today)
    assert rows(other)["城西村"] == (1, 1, 100.0, 1, 0) and len(other.villages) == 1


def test_the_page_picks_this_month_this_quarter_or_a_custom_range(client, visited, people, today):
    client.force_login(people["county_reviewer"])
    url = reverse("visits:coverage")
    month = client.get(url).context["coverage"]
    assert (month.start, month.end) == (dt.date(2026, 11, 1), today)
    quarter = client.get(url, {"period": "quarter"}).context["coverage"]
    assert (quarter.start, quarter.end) == (dt.date(2026, 10, 1), today)
    custom = client.get(url, {"period": "custom", "start": "2026-10-01", "end": "2026-10-31"})
    assert rows(custom.context["coverage"])["修水县合计"] == (4, 1, 25.0, 1, 1)
    wrong = client.get(url, {"period": "custom", "start": "2026-10-31", "end": "2026-10-01"})
    assert "开始日期晚于结束日期,请重新选择;现按本月统计" in wrong.content.decode()
    assert wrong.context["coverage"].start == dt.date(2026, 11, 1)
    page = client.get(url).content.decode()
    assert "66.7%" in page and "义宁镇小计" in page and "修水县合计" in page


def test_the_coverage_page_needs_the_same_queries_however_many_villages(
    client, visited, people, today, django_assert_num_queries
):
    client.force_login(people["county_reviewer"])
    # session, account, its region; villages and townships, households per village, visits per village.
    with django_assert_num_queries(6):
        client.get(reverse("visits:coverage"))
    for i in range(5):
        village = region(f"3604241002{30 + i}", f"新村{i}", "village", visited.township)
        household(f"36042410023{i}0001", village, f"新户{i}", 20 + i)
    with django_assert_num_queries(6):
        response = client.get(reverse("visits:coverage"))
    assert len(response.context["coverage"].villages) == 7


def test_the_coverage_table_exports_to_excel(client, visited, people, today):
    client.force_login(people["county_reviewer"])
    response = client.get(reverse("visits:coverage_export"), {"period": "month"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    table = book.get_sheet_by_name("走访覆盖率").to_python()
    assert table[0][0] == "走访覆盖率 2026-11-01 至 2026-11-20"
    assert table[2] == [
        "区划代码",
        "乡镇",
        "村",
        "农户数",
        "已走访户数",
        "覆盖率",
        "走访次数",
        "发现风险的走访",
    ]
    body = {r[2] or r[1]: r[3:] for r in table[3:]}
    assert body["良塘村"] == [3, 2, pytest.approx(2 / 3), 3, 1]
    assert body["义宁镇小计"] == [4, 2, 0.5, 3, 1]
    assert body["修水县合计"] == [4, 2, 0.5, 3, 1]
    assert "城西村" not in body


def test_accounts_without_visit_access_get_no_coverage(client, visited, people, today):
    client.force_login(people["department_uploader"])
    assert client.get(reverse("visits:coverage")).status_code == 403
    assert client.get(reverse("visits:coverage_export")).status_code == 403
