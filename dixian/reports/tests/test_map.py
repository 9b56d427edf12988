"""The monitoring map (一张图): a schematic tile per unit below the region, coloured by the indicator's figure,
each a link to the unit's dashboard, with the same figures as a table and an .xlsx (docs/domain.md §21)."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from dixian.common.testing import region
from dixian.registry.testing import household
from dixian.reports.catalogue import INDICATORS, Indicator
from dixian.reports.models import Fact
from dixian.reports.periods import Period
from dixian.reports.services import facts_refresh
from dixian.reports.tilemap import LAYOUTS, NO_DATA_FILL, class_of, colour_classes, grid_positions

pytestmark = pytest.mark.django_db

MAP = "reports:map"
TILE = re.compile(
    r'<g class="tile" data-code="(\d+)">\s*<title>([^<]*)</title>\s*<rect [^>]*fill="(#[0-9a-f]{6})"'
)
LINK = re.compile(r'<a href="([^"]*)" data-region="(\d+)">')

# The eleven county-level units of 九江市 that build_world() does not make (docs/domain.md §16).
OTHER_COUNTIES = {
    "360402": "濂溪区",
    "360403": "浔阳区",
    "360404": "柴桑区",
    "360423": "武宁县",
    "360425": "永修县",
    "360426": "德安县",
    "360429": "湖口县",
    "360430": "彭泽县",
    "360481": "瑞昌市",
    "360482": "共青城市",
    "360483": "庐山市",
}


@pytest.fixture
def city(world):
    """The whole demo city: the thirteen counties, figures refreshed for this month."""
    for code, name in OTHER_COUNTIES.items():
        region(f"{code}000000", name, "county", world.city)
    facts_refresh(periods=[Period.current()])
    return world


def tiles(response) -> dict[str, tuple[str, str]]:
    """{region code: (hover text, fill)} of the map's tiles."""
    html = response.content.decode()
    return {code: (title, fill) for code, title, fill in TILE.findall(html)}


def query(region_code: str, **params: str) -> dict[str, str]:
    return {
        "region": region_code,
        "indicator": "ex_poor_households",
        "period": str(Period.current()),
        **params,
    }


def test_the_city_map_has_a_tile_per_county_coloured_by_its_figure(client, city, people):
    client.force_login(people["leader"])
    response = client.get(reverse(MAP), query(city.city.code))
    assert response.status_code == 200
    found = tiles(response)
    assert len(found) == 13
    assert found[city.county.code][0] == "修水县:2户(第1名)"
    assert found[city.other_county.code][0] == "都昌县:1户(第2名)"
    # Three different figures, three different colours; equal figures, equal colours.
    fills = {code: fill for code, (_, fill) in found.items()}
    assert len({fills[city.county.code], fills[city.other_county.code], fills["360402000000"]}) == 3
    assert fills["360402000000"] == fills["360483000000"]
    assert "示意图" in response.content.decode()


def test_each_tile_links_to_the_units_dashboard_for_the_same_month_and_mode(client, city, people):
    client.force_login(people["leader"])
    response = client.get(reverse(MAP), query(city.city.code, mode="ytd"))
    found = dict((code, href) for href, code in LINK.findall(response.content.decode()))
    assert len(found) == 13
    period = Period.current()
    assert found[city.county.code] == f"/reports/?region={city.county.code}&amp;period={period}&amp;mode=ytd"


def test_the_county_map_shows_its_townships_and_the_village_map_its_own_figure(client, world, people):
    zhajin = region("360424101000", "渣津镇", "township", world.county)
    xincun = region("360424101201", "新村", "village", zhajin)
    for i in range(3):
        household(f"36042410120100{i + 1:02d}", xincun, f"孙{i}", 10 + i)
    facts_refresh(periods=[Period.current()])
    client.force_login(people["county_admin"])
    found = tiles(client.get(reverse(MAP), query(world.county.code)))
    assert {code: title for code, (title, _) in found.items()} == {
        world.township.code: "义宁镇:2户(第2名)",
        zhajin.code: "渣津镇:3户(第1名)",
    }
    assert found[world.township.code][1] != found[zhajin.code][1]

    response = client.get(reverse(MAP), query(world.village.code))
    assert response.status_code == 200
    assert {code: title for code, (title, _) in tiles(response).items()} == {world.village.code: "良塘村:1户"}
    assert "没有下级单位" in response.content.decode()


def test_a_unit_outside_the_accounts_scope_or_nowhere_answers_404(client, city, people):
    client.force_login(people["county_reviewer"])  # 修水县
    for code in (
        city.other_county.code,
        city.far_village.code,
        city.city.code,
        "360499000000",
        "3604",
        "abc",
    ):
        assert client.get(reverse(MAP), query(code)).status_code == 404, code
        assert client.get(reverse("reports:map_xlsx"), query(code)).status_code == 404, code
    # Its own county by the short code, and by default.
    assert client.get(reverse(MAP), query("360424")).status_code == 200
    assert client.get(reverse(MAP)).status_code == 200


def test_an_account_without_the_reports_right_is_refused(client, city, people):
    client.force_login(people["helper"])
    assert client.get(reverse(MAP)).status_code == 403


def test_input_the_page_cannot_read_falls_back_with_a_notice(client, city, people):
    client.force_login(people["leader"])
    response = client.get(
        reverse(MAP), query(city.city.code, indicator="nope", period="2026-13", mode="year")
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "指标“nope”不存在" in text
    assert "统计月份“2026-13”无法识别" in text
    assert "统计口径“year”无法识别" in text
    assert len(tiles(response)) == 13


def test_a_month_without_data_shows_zeros_with_a_note(client, city, people):
    client.force_login(people["leader"])
    response = client.get(reverse(MAP), query(city.city.code, period="2019-01"))
    assert response.status_code == 200
    assert "尚无统计数据" in response.content.decode()
    assert {title.split(":")[1].split("(")[0] for title, _ in tiles(response).values()} == {"0户"}


def test_a_unit_whose_ratio_has_no_denominator_is_grey_and_says_no_data(client, city, people, monkeypatch):
    ind = Indicator(
        code="test_share",
        name="测试占比",
        group="帮扶",
        unit="%",
        numerator="test.num",
        denominator="test.den",
        better="up",
    )
    monkeypatch.setitem(INDICATORS, ind.code, ind)
    period = str(Period.current())
    for code, num, den in (
        (city.county.code, 1, 4),
        (city.other_county.code, 3, 4),
        ("360402000000", 0, 0),
    ):
        Fact.objects.create(period=period, code="test.num", region_code=code, level="county", value=num)
        Fact.objects.create(period=period, code="test.den", region_code=code, level="county", value=den)
    client.force_login(people["leader"])
    response = client.get(reverse(MAP), query(city.city.code, indicator=ind.code))
    found = tiles(response)
    assert found[city.county.code][0] == "修水县:25.0%(第2名)"
    assert found[city.other_county.code][0] == "都昌县:75.0%(第1名)"
    assert found["360402000000"] == ("濂溪区:无数据", NO_DATA_FILL)
    assert found[city.other_county.code][1] != found[city.county.code][1]
    assert "无数据" in response.content.decode()
    # The .xlsx says the same, with the numerator and denominator beside each share.
    book = CalamineWorkbook.from_filelike(
        io.BytesIO(client.get(reverse("reports:map_xlsx"), query(city.city.code, indicator=ind.code)).content)
    )
    rows = {
        row[1]: row for row in book.get_sheet_by_name("一张图").to_python() if str(row[1]).startswith("36")
    }
    assert rows[city.county.code][:6] == [2, city.county.code, "修水县", 25.0, 1, 4]
    assert rows["360402000000"][:6] == ["", "360402000000", "濂溪区", "无数据", 0, 0]
    assert rows[city.city.code][2:4] == ["九江市合计", "无数据"]  # no fact for the city in this test


def test_the_xlsx_holds_the_maps_figures(client, city, people):
    client.force_login(people["leader"])
    response = client.get(reverse("reports:map_xlsx"), query(city.city.code))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_name("一张图").to_python()
    assert any("示意图" in str(row[0]) for row in rows[:8])
    body = {row[1]: row for row in rows if isinstance(row[1], str) and row[1].startswith("3604")}
    assert len(body) == 14  # thirteen counties and the city's total
    assert body[city.county.code][:4] == [1, city.county.code, "修水县", 2]
    assert body[city.other_county.code][:4] == [2, city.other_county.code, "都昌县", 1]
    assert body[city.city.code][2:4] == ["九江市合计", 3]


def test_the_map_reads_the_same_number_of_queries_at_every_level(
    client, city, people, django_assert_num_queries
):
    client.force_login(people["leader"])
    client.get(reverse(MAP), query(city.city.code))  # the session and the account, loaded once
    with django_assert_num_queries(8):
        client.get(reverse(MAP), query(city.city.code))
    with django_assert_num_queries(8):
        client.get(reverse(MAP), query(city.county.code))


# --- the layout and the colours ---------------------------------------------------------------------------


def test_the_demo_city_layout_puts_thirteen_counties_on_distinct_squares_of_a_compact_grid():
    positions = grid_positions(list(LAYOUTS))
    assert len(positions) == 13 == len(set(positions.values()))
    assert max(c for c, _ in positions.values()) == 5 and max(r for _, r in positions.values()) == 2
    assert positions["360424000000"][0] == 0  # 修水 far west
    assert positions["360430000000"] == (5, 0)  # 彭泽 east along the Yangtze


def test_units_without_a_layout_fill_a_near_square_grid_in_code_order():
    codes = [f"36042410{i:01d}000" for i in range(7)]
    positions = grid_positions(list(reversed(codes)))
    assert [positions[c] for c in codes] == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1), (0, 2)]
    # A county the layout does not know goes below the ones it does.
    positions = grid_positions(["360424000000", "360499000000"])
    assert positions == {"360424000000": (0, 0), "360499000000": (0, 1)}


figures = st.lists(
    st.decimals(min_value=0, max_value=10**6, places=1, allow_nan=False), min_size=1, max_size=40
)


@given(values=figures, scheme=st.sampled_from(["equal", "quantile"]))
def test_every_figure_falls_in_one_of_at_most_five_ordered_classes(values, scheme):
    ind = Indicator(code="t", name="t", group="帮扶", unit="户", numerator="t")
    classes = colour_classes(values, ind, scheme)
    assert 1 <= len(classes) <= 5
    assert [c.high for c in classes] == sorted({c.high for c in classes})
    assert classes[0].low == min(values) and classes[-1].high == max(values)
    assert sum(c.count for c in classes) == len(values)
    for v in values:
        found = class_of(v, classes)
        assert found is not None and found.low <= v <= found.high  # the legend's bounds hold it
    # A larger figure is never a lighter shade.
    ordered = sorted(values)
    shades = [class_of(v, classes).index for v in ordered]
    assert shades == sorted(shades)
    if min(values) < max(values):
        assert class_of(min(values), classes) != class_of(max(values), classes)


def test_no_figure_at_all_means_no_class():
    ind = Indicator(code="t", name="t", group="帮扶", unit="户", numerator="t")
    assert colour_classes([], ind) == []
    assert class_of(None, colour_classes([Decimal(1)], ind)) is None


def test_the_legend_of_a_count_reads_in_whole_units_and_of_a_percentage_in_tenths():
    count = Indicator(code="t", name="t", group="帮扶", unit="户", numerator="t")
    labels = [c.label for c in colour_classes([Decimal(n) for n in (0, 1, 2, 5, 8, 13)], count)]
    assert labels == ["0 – 2", "3 – 5", "6 – 7", "8 – 10", "11 – 13"]
    share = Indicator(code="s", name="s", group="帮扶", unit="%", numerator="a", denominator="b")
    labels = [c.label for c in colour_classes([Decimal("12.5"), Decimal("80.0")], share)]
    assert labels == ["12.5 – 26.0", "26.1 – 39.5", "39.6 – 53.0", "53.1 – 66.5", "66.6 – 80.0"]


@pytest.mark.parametrize("typed", ["0000-01", "9999-12", "٢٠٢٦-١٠", "2199-01"])
def test_a_month_no_record_can_bear_or_still_to_come_is_refused_with_a_notice(client, world, people, typed):
    client.force_login(people["leader"])
    response = client.get(reverse(MAP), {**query(world.city.code), "indicator": "visits", "period": typed})
    assert response.status_code == 200
    assert response.context["req"].period == Period.current()
    assert "已显示本月" in response.content.decode()


@pytest.mark.parametrize("name", ["identified", "decided", "eliminated"])
def test_the_case_queue_ignores_a_month_no_record_can_bear(client, world, people, name):
    client.force_login(people["county_admin"])
    for typed in ("0000-01", "9999-12", "٢٠٢٦-١٠"):
        assert client.get(reverse("monitoring:case_queue"), {name: typed}).status_code == 200
