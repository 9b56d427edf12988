"""The employment figures page and its workbook (docs/domain.md §23 "Figures"): the figures of the small world
(figures_world.py) as a leader reads them, the unit and month pickers, scoping, bad input, the queries."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dixian.domain import employment as e
from dixian.employment.tests.figures_world import MONTH, build_figures_world, household_of, record

pytestmark = pytest.mark.django_db

URL = reverse("employment:figures")
XLSX_URL = reverse("employment:figures_xlsx")


@pytest.fixture
def fw(world):
    return build_figures_world(world)


def _text(response) -> str:
    return response.content.decode()


def test_city_page_shows_the_figures(client, fw, people):
    client.force_login(people["city_admin"])
    response = client.get(URL, {"region": fw.world.city.code, "month": "2026-10"})
    assert response.status_code == 200
    ctx = response.context
    assert ctx["month_key"] == "2026-10"
    cards = {line.key: line.text for line, _url in ctx["headline"]}
    assert cards["employed"] == "9"
    assert cards["base_employed"] == "8"
    assert cards["base_ratio"] == "112.50%"
    assert cards["coverage"] == "81.25%"
    assert cards["roll"] == "16"
    assert cards["falling_townships"] == "2"
    text = _text(response)
    assert 'id="card-base_ratio"' in text and "112.50%" in text
    assert "占基准年(2022年)同期" in text
    # The table by county links each county to its own figures page; the falling townships to theirs.
    county_link = f"{URL}?region={fw.world.county.code}&amp;month=2026-10"
    assert county_link in text
    assert f"{URL}?region={fw.second_township.code}&amp;month=2026-10" in text
    falling = [(f.region.name, f.fall) for f, _url in ctx["falling"]]
    assert falling == [("渣津镇", 2), ("都昌镇", 1)]
    tiers = {b.code: (b.employed, b.base, share) for b, _url, share in ctx["breakdowns"][0][2]}
    assert tiers[e.IN_COUNTY] == (6, 7, "66.67%")
    assert tiers[e.ABROAD] == (1, 0, "11.11%")
    channels = {b.code: (b.employed, b.base) for b, _url, _share in ctx["breakdowns"][1][2]}
    assert channels[e.PUBLIC_POST] == (1, 0)
    assert channels[e.SELF] == (5, 7)
    # The trend chart's data island: twelve months, the base year's same months.
    assert ctx["chart"]["labels"][-1] == "2026-10"
    assert ctx["chart"]["series"][0]["values"][-2:] == [11, 9]
    assert ctx["chart"]["series"][1]["values"][-1] == 8
    assert 'id="chart-trend-data"' in text and "vendor/echarts/echarts.min.js" in text


def test_month_defaults_to_the_latest_with_records(client, fw, people):
    client.force_login(people["county_reviewer"])
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["asked"].region == fw.world.county
    assert response.context["month_key"] == "2026-10"
    assert not response.context["asked"].notices


@pytest.mark.parametrize(
    ("month", "notice"),
    [("2026-13", "不是有效的月份"), ("abc", "不是有效的月份"), ("2099-01", "还未到")],
)
def test_a_bad_or_future_month_is_named_and_the_latest_shown(client, fw, people, month, notice):
    client.force_login(people["city_admin"])
    response = client.get(URL, {"month": month})
    assert response.status_code == 200
    assert response.context["month_key"] == "2026-10"
    assert any(notice in n for n in response.context["asked"].notices)
    assert notice in _text(response)


def test_chinese_month_spellings_are_read(client, fw, people):
    client.force_login(people["city_admin"])
    response = client.get(URL, {"month": "2026年9月"})
    assert response.context["month_key"] == "2026-09"


def test_units_outside_the_subtree_answer_404(client, fw, people):
    w = fw.world
    client.force_login(people["county_reviewer"])
    assert client.get(URL, {"region": w.other_county.code}).status_code == 404
    assert client.get(URL, {"region": w.far_village.code}).status_code == 404
    assert client.get(XLSX_URL, {"region": w.other_county.code}).status_code == 404
    assert client.get(URL, {"region": "360424"}).status_code == 404  # not a 12-digit code
    assert client.get(URL, {"region": w.township.code}).status_code == 200
    client.force_login(people["village_officer"])
    response = client.get(URL)
    assert response.context["asked"].region == w.village
    assert response.context["report"].total.employed == 4
    assert client.get(URL, {"region": w.county.code}).status_code == 404
    text = _text(response)
    assert "修水县" not in text and "九江市" not in text.split("<main", 1)[-1]


def test_an_account_without_the_capability_is_refused(client, fw, people):
    client.force_login(people["helper"])
    assert client.get(URL).status_code == 403
    assert client.get(XLSX_URL).status_code == 403


def test_workbook_holds_the_same_figures(client, fw, people):
    client.force_login(people["city_admin"])
    response = client.get(XLSX_URL, {"region": fw.world.city.code, "month": "2026-10"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('employment-360400000000-2026-10.xlsx"')
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names == [
        "主要指标",
        "按务工地域",
        "按就业渠道",
        "分地区",
        "就业人数下降乡镇",
        "近12个月",
    ]
    head = {row[0]: row[1] for row in book.get_sheet_by_name("主要指标").to_python()[1:] if row and row[0]}
    assert head["务工就业人数"] == 9
    assert head["占基准年(2022年)同期"] == "112.50%"
    assert head["摸排覆盖率"] == "81.25%"
    units = book.get_sheet_by_name("分地区").to_python()
    assert units[1][:5] == ["修水县", 13, 11, "84.62%", 7]
    assert units[1][-1] == "116.67%"
    falling = book.get_sheet_by_name("就业人数下降乡镇").to_python()
    assert [r[0] for r in falling[1:]] == ["渣津镇", "都昌镇"]
    assert falling[1][1:] == [3, 1, 2]
    trend = book.get_sheet_by_name("近12个月").to_python()
    assert trend[-1] == ["2026-10", 9, "2022-10", 8]


def test_page_queries_do_not_grow_with_rows(client, fw, people, django_assert_max_num_queries):
    w = fw.world
    client.force_login(people["city_admin"])
    client.get(URL, {"region": w.city.code, "month": "2026-10"})  # the session and the account, cached
    with django_assert_max_num_queries(12) as first:
        assert client.get(URL, {"region": w.city.code, "month": "2026-10"}).status_code == 200
    for village in (w.village, w.other_village, w.far_village, fw.far_village2):
        for n in range(5):
            for p in household_of(village, f"{village.code}8{n:03d}", 2).members.all():
                record(p, MONTH, True, e.IN_PROVINCE, e.LABOUR_EXPORT)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(URL, {"region": w.city.code, "month": "2026-10"}).status_code == 200
