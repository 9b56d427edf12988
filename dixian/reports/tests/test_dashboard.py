"""The dashboard (统计分析) and an indicator's page: figures of a unit and a month, from facts only, each
one click from the list behind it, scoped to the account's subtree (docs/domain.md §21, docs/reports.md §2)."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from dixian.accounts.capabilities import Capability
from dixian.accounts.models import Role
from dixian.common.testing import persona, region
from dixian.registry.testing import household
from dixian.reports.catalogue import GROUPS, INDICATORS, Indicator, list_url
from dixian.reports.models import Fact, FactRefresh, StaleVillage
from dixian.reports.periods import Period
from dixian.reports.producers import level_of, parent_of
from dixian.reports.services import facts_mark_stale, facts_refresh, marks_forget
from dixian.reports.views_dashboard import EARLIEST, STALE_REFRESH_LIMIT, period_asked

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("reports:dashboard")
NOW = Period.current()
ROOT = Path(__file__).resolve().parents[3]

# --- test-only indicators (merged with the registry's real ones, never registered outside these tests) ---

ALERTS = "test.alerts"
DECIDED = "test.decided"
IN_TIME = "test.in_time"


def _alert_list(region, period):
    return list_url("cases:alert_queue", region)


TEST_INDICATORS = (
    Indicator(
        code="t_alerts",
        name="测试预警线索",
        group="三线预警",
        unit="条",
        numerator=ALERTS,
        flow=True,
        better="down",
        numerator_text="当月新产生的预警线索条数",
        source_text="测试",
        drill=_alert_list,
        # Held by administrators, not by 领导: the link shows to the one, not the other.
        drill_capability=Capability.ALERTS_HANDLE,
        breakdown="risk=",
        breakdown_title="风险类型",
        headline=True,
    ),
    Indicator(
        code="t_in_time",
        name="测试按时认定率",
        group="识别认定",
        unit="%",
        numerator=IN_TIME,
        denominator=DECIDED,
        flow=True,
        better="up",
        numerator_text="按时认定的户数",
        denominator_text="当月认定的户数",
        source_text="测试",
    ),
)


@pytest.fixture
def indicators(monkeypatch):
    for ind in TEST_INDICATORS:
        monkeypatch.setitem(INDICATORS, ind.code, ind)
    return {ind.code: ind for ind in TEST_INDICATORS}


def put(period: Period, code: str, unit, value, dim: str = "") -> None:
    """A fact as the refresh writes it (the refresh itself is tested in test_facts_refresh.py)."""
    Fact.objects.update_or_create(
        period=str(period),
        code=code,
        dim=dim,
        region_code=unit.code,
        defaults={"level": level_of(unit.code), "parent_code": parent_of(unit.code), "value": Decimal(value)},
    )


def page(client, user, url=DASHBOARD, **params):
    client.force_login(user)
    response = client.get(url, params)
    html = response.get("Content-Type", "").startswith("text/html") and response.status_code == 200
    return response, response.content.decode() if html else ""


def squash(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def card(html: str, code: str) -> str:
    found = re.search(rf'<article class="card figure-card" id="card-{code}".*?</article>', html, re.S)
    assert found, f"no card for {code}"
    return squash(found.group(0))


# --- the unit, the month, the mode ---------------------------------------------------------------------


def test_the_dashboard_opens_on_the_accounts_region_this_month_with_its_headline_figures(
    client, world, people
):
    facts_refresh(periods=[NOW])
    response, html = page(client, people["leader"])
    assert response.status_code == 200
    assert response.context["asked"].region == world.city and response.context["asked"].period == NOW
    ex_poor = card(html, "ex_poor_households")
    assert re.search(
        r'class="figure-value"><a href="/households/\?region=\d+&amp;kind=ex_poor">3</a>', ex_poor
    )
    assert "数据截至" in html and "数据更新中" not in html


def test_a_county_account_opens_on_its_county(client, world, people):
    facts_refresh(periods=[NOW])
    response, html = page(client, people["county_admin"])
    assert response.context["asked"].region == world.county
    assert f'<a href="/households/?region={world.county.pk}&amp;kind=ex_poor">2</a>' in html


def test_a_unit_asked_by_its_code_shows_a_breadcrumb_linking_every_unit_above(client, world, people):
    _, html = page(client, people["leader"], region=world.village.code)
    crumbs = squash(re.search(r'<nav class="breadcrumb".*?</nav>', html, re.S).group(0))
    for unit in (world.city, world.county, world.township):
        assert f"region={unit.code}&amp;period={NOW}&amp;mode=month" in crumbs
    assert f'<strong data-region="{world.village.code}">良塘村</strong>' in crumbs


def test_a_village_account_sees_the_units_above_it_named_but_not_linked(client, world, people):
    _, html = page(client, people["village_officer"])
    crumbs = squash(re.search(r'<nav class="breadcrumb".*?</nav>', html, re.S).group(0))
    assert f'<span class="muted" data-region="{world.county.code}">修水县</span>' in crumbs
    assert "href" not in crumbs


@pytest.mark.parametrize("url", [DASHBOARD, reverse("reports:indicator", args=["ex_poor_households"])])
def test_a_unit_outside_the_subtree_unknown_or_malformed_answers_404(client, world, people, url):
    officer, reviewer = people["village_officer"], people["other_county_reviewer"]
    for user, code in (
        (officer, world.county.code),  # the county above the village
        (officer, world.other_village.code),  # the neighbouring village
        (officer, world.city.code),
        (reviewer, world.county.code),  # another county
        (reviewer, world.village.code),
        (people["leader"], "360499999999"),  # in the city's range, but no such unit
        (people["leader"], "abc"),
        (people["leader"], "3604"),
        (people["leader"], str(world.county.pk)),  # a primary key is not a code
    ):
        response, _ = page(client, user, url, region=code)
        assert response.status_code == 404, (user.username, code)
        assert response.get("Content-Type", "").startswith("text/html")
        export, _ = page(client, user, url, region=code, format="xlsx", table="trend")
        assert export.status_code == 404


def test_the_own_unit_and_a_unit_below_answer(client, world, people):
    assert page(client, people["village_officer"], region=world.village.code)[0].status_code == 200
    assert page(client, people["township_reviewer"], region=world.other_village.code)[0].status_code == 200


@pytest.mark.parametrize(
    ("typed", "notice"),
    [
        ("2026-13", "无法识别"),
        ("十月", "无法识别"),
        ("2026-1", "无法识别"),
        ("2199-01", "还没有到"),
        ("1999-12", "不能早于"),
    ],
)
def test_a_bad_period_shows_a_chinese_notice_and_the_current_month(client, world, people, typed, notice):
    response, html = page(client, people["leader"], period=typed)
    assert response.status_code == 200
    assert response.context["asked"].period == NOW
    assert notice in html and f"已显示本月({NOW.label})" in html


def test_a_bad_mode_falls_back_to_the_month_with_a_notice(client, world, people):
    response, html = page(client, people["leader"], mode="quarter")
    assert response.context["asked"].mode == "month"
    assert "统计口径“quarter”无法识别" in html


@given(st.text(max_size=12))
def test_any_typed_period_gives_a_shown_month_and_a_notice_exactly_when_it_was_not_taken(typed):
    notices: list[str] = []
    shown = period_asked(typed, notices)
    assert EARLIEST <= shown <= Period.current()
    taken = typed.strip() and shown != Period.current()
    assert not (taken and notices)
    if not typed.strip():
        assert not notices


def test_a_month_without_data_shows_zeros_with_a_note(client, world, people, indicators):
    response, html = page(client, people["leader"], period="2019-03")
    assert response.status_code == 200
    assert "2019年3月九江市暂无统计数据,以下数字显示为 0" in html
    assert ">0 <" in card(html, "ex_poor_households")  # a past month of a stock: no list shows it
    put(NOW, ALERTS, world.city, 1)
    assert 'id="no-data"' not in page(client, people["leader"])[1]


# --- figures, comparisons, links ------------------------------------------------------------------------


def test_a_card_shows_the_value_its_change_on_last_month_and_last_year(client, world, people, indicators):
    put(NOW, ALERTS, world.city, 15)
    put(NOW.previous(), ALERTS, world.city, 12)
    put(NOW.year_ago(), ALERTS, world.city, 30)
    _, html = page(client, people["city_admin"])
    shown = card(html, "t_alerts")
    assert ">15</a>" in shown
    assert '<dd class="mom"><span class="bad">+25.0%</span>' in shown  # more alerts: worse
    assert ">12</a>" in shown
    assert '<dd class="yoy"><span class="good">-50.0%</span>' in shown
    assert ">30</a>" in shown


def test_a_percentage_changes_in_points_and_a_zero_denominator_shows_a_dash(
    client, world, people, indicators
):
    put(NOW, IN_TIME, world.city, 9)
    put(NOW, DECIDED, world.city, 10)
    put(NOW.previous(), IN_TIME, world.city, 4)
    put(NOW.previous(), DECIDED, world.city, 5)
    _, html = page(client, people["leader"])
    row = squash(
        re.search(r'<tr class="figure-row" data-indicator="t_in_time">.*?</tr>', html, re.S).group(0)
    )
    assert "90.0%" in row and "80.0%" in row
    assert '<span class="good">+10.0个百分点</span>' in row
    assert row.count("—") == 2  # last year: no denominator, no figure, no change


def test_year_to_date_adds_up_a_flow_from_january(client, world, people, indicators):
    if NOW.month == 1:
        pytest.skip("in January the year to date is the month")
    put(NOW, ALERTS, world.city, 5)
    put(Period(NOW.year, 1), ALERTS, world.city, 7)
    put(Period(NOW.year - 1, 12), ALERTS, world.city, 100)  # last year: not in this year's sum
    _, html = page(client, people["city_admin"], mode="ytd")
    assert ">12 <" in card(html, "t_alerts")  # no list filters January to now: no link
    assert "年累计" in html


def test_a_figure_links_to_its_list_only_for_accounts_that_may_open_it(client, world, people, indicators):
    put(NOW, ALERTS, world.city, 4)
    _, leader = page(client, people["leader"])
    _, admin = page(client, people["city_admin"])
    assert '<a href="/alerts/' not in card(leader, "t_alerts") and ">4 <" in card(leader, "t_alerts")
    assert f'<a href="/alerts/?region={world.city.pk}">4</a>' in card(admin, "t_alerts")


def test_every_indicator_is_listed_in_its_groups_table_with_a_link_to_its_page(
    client, world, people, indicators
):
    _, html = page(client, people["leader"])
    groups = re.findall(r'<section class="card figure-group" id="group-\d+" data-group="([^"]+)">', html)
    assert groups == [g for g in GROUPS if g in groups]  # in the catalogue's order
    assert {"农户底数", "三线预警", "识别认定"} <= set(groups)
    for code in ("ex_poor_households", "t_alerts", "t_in_time"):
        assert f'<tr class="figure-row" data-indicator="{code}">' in html
        assert reverse("reports:indicator", args=[code]) + f"?region={world.city.code}" in html


# --- charts: trend and ranking ---------------------------------------------------------------------------


def chart_data(response, key: str) -> dict:
    (chart,) = [c for c in response.context["charts"] if c.key == key]
    return chart.data


def test_the_trend_shows_thirteen_months_of_the_chosen_indicator(client, world, people, indicators):
    put(NOW, ALERTS, world.city, 3)
    put(NOW.back(12), ALERTS, world.city, 8)
    put(NOW.back(13), ALERTS, world.city, 99)  # one month too early
    response, html = page(client, people["leader"], ind="t_alerts")
    data = chart_data(response, "trend")
    assert data["labels"][0] == str(NOW.back(12)) and data["labels"][-1] == str(NOW)
    assert data["values"] == [8] + [0] * 11 + [3]
    assert '<div class="chart chart-line" id="chart-trend" data-chart="trend"' in html
    assert '<script id="chart-trend-data" type="application/json">' in html


def test_the_ranking_lists_the_units_below_best_first_each_linked_to_its_dashboard(
    client, world, people, indicators
):
    put(NOW, ALERTS, world.county, 9)
    put(NOW, ALERTS, world.other_county, 2)
    response, html = page(client, people["leader"], ind="t_alerts")
    data = chart_data(response, "ranking")
    assert data["labels"] == ["都昌县", "修水县"]  # fewer alerts rank first (better = down)
    assert data["values"] == [2, 9]
    assert (
        data["urls"][0]
        == f"{DASHBOARD}?ind=t_alerts&region={world.other_county.code}&period={NOW}&mode=month"
    )
    rows = re.findall(r'<tr class="rank-row" data-region="(\d+)">', html)
    assert rows == [world.other_county.code, world.county.code]
    assert f'href="{DASHBOARD}?ind=t_alerts&amp;region={world.county.code}' in html


def test_a_village_has_no_units_below_to_rank(client, world, people):
    response, html = page(client, people["village_officer"])
    assert [c.key for c in response.context["charts"]] == ["trend"]
    assert 'id="chart-ranking"' not in html


def test_an_unknown_chosen_indicator_falls_back_to_the_first_headline(client, world, people):
    response, html = page(client, people["leader"], ind="nope")
    assert response.context["chosen"].code == "ex_poor_households"
    assert "没有这个指标" in html


def test_every_chart_has_its_table_one_click_away_and_the_same_table_as_xlsx(
    client, world, people, indicators
):
    put(NOW, ALERTS, world.county, 9)
    put(NOW, ALERTS, world.other_county, 2)
    response, html = page(client, people["leader"], ind="t_alerts")
    for chart in response.context["charts"]:
        section = re.search(
            rf'<section class="card chart-card" id="section-{chart.key}">.*?</section>', html, re.S
        )
        assert section, chart.key
        assert f'<details class="chart-table" id="details-{chart.key}">' in section.group(0)
        assert f'<table class="responsive report-table" id="table-{chart.key}">' in section.group(0)
        export, _ = page(
            client, people["leader"], ind="t_alerts", format="xlsx", table=chart.key, region=world.city.code
        )
        assert export.status_code == 200
        assert export["Content-Type"].startswith("application/vnd.openxmlformats")
        assert f"dashboard-{chart.key}-{world.city.code}-{NOW}.xlsx" in export["Content-Disposition"]
        rows = sheet_rows(export.content)
        assert rows[0] == chart.table.headers
        assert [[str(v) for v in r] for r in rows[1 : 1 + len(chart.table.rows)]] == [
            [str(c.text if c.value is None else c.value) for c in row] for row in chart.table.rows
        ]
    ranking = sheet_rows(
        page(client, people["leader"], ind="t_alerts", format="xlsx", table="ranking")[0].content
    )
    assert ranking[1][:3] == [1, "都昌县", 2] and ranking[2][:3] == [2, "修水县", 9]


def sheet_rows(content: bytes) -> list[list]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    rows = book.get_sheet_by_name(book.sheet_names[0]).to_python()
    return [[int(v) if isinstance(v, float) and v.is_integer() else v for v in row] for row in rows]


def test_the_dashboards_figures_download_as_one_workbook_and_an_unknown_table_is_404(
    client, world, people, indicators
):
    facts_refresh(periods=[NOW])
    export, _ = page(client, people["leader"], format="xlsx", table="figures")
    rows = sheet_rows(export.content)
    assert rows[0] == ["分组", "指标", "单位", "当月", "上月", "环比", "去年同期", "同比"]
    assert rows[1][:4] == ["农户底数", "脱贫户", "户", 3]
    assert page(client, people["leader"], format="xlsx", table="households")[0].status_code == 404


# --- the indicator page ------------------------------------------------------------------------------


def test_the_indicator_page_shows_its_definition_trend_ranking_and_breakdown(
    client, world, people, indicators
):
    put(NOW, ALERTS, world.city, 7)
    put(NOW, ALERTS, world.city, 5, "risk=01")
    put(NOW, ALERTS, world.city, 2, "risk=03")
    put(NOW, ALERTS, world.county, 7)
    put(NOW, ALERTS, world.other_county, 9)
    url = reverse("reports:indicator", args=["t_alerts"])
    response, html = page(client, people["city_admin"], url)
    assert response.status_code == 200
    definition = squash(re.search(r'<section class="card definition".*?</section>', html, re.S).group(0))
    assert "当月新产生的预警线索条数" in definition and "测试" in definition
    assert "当月发生数(年累计为1月至当月)" in definition
    assert [c.key for c in response.context["charts"]] == ["trend", "ranking", "breakdown"]
    assert chart_data(response, "breakdown")["labels"] == ["因病", "因残"]
    assert chart_data(response, "breakdown")["values"] == [5, 2]
    # A unit of the ranking leads to the same indicator one level down.
    assert chart_data(response, "ranking")["urls"][0].startswith(url + f"?region={world.county.code}")
    export, _ = page(client, people["city_admin"], url, format="xlsx", table="breakdown")
    assert sheet_rows(export.content)[:3] == [["风险类型", "测试预警线索(条)"], ["因病", 5], ["因残", 2]]


def test_a_ratio_indicator_states_its_numerator_and_denominator(client, world, people, indicators):
    _, html = page(client, people["leader"], reverse("reports:indicator", args=["t_in_time"]))
    definition = squash(re.search(r'<section class="card definition".*?</section>', html, re.S).group(0))
    assert "<dt>分子</dt><dd>按时认定的户数</dd>" in definition
    assert "<dt>分母</dt><dd>当月认定的户数</dd>" in definition
    assert "越高越好" in definition


def test_an_unknown_indicator_is_404(client, world, people):
    response, _ = page(client, people["leader"], reverse("reports:indicator", args=["no_such"]))
    assert response.status_code == 404


# --- freshness -------------------------------------------------------------------------------------------


def test_a_few_villages_marked_stale_are_refreshed_before_the_page_reads(client, world, people):
    facts_refresh(periods=[NOW])
    household("3604241002010002", world.village, "赵六", 4)
    facts_mark_stale([world.village.code])
    _, html = page(client, people["leader"])
    assert ">4</a>" in card(html, "ex_poor_households")
    assert not StaleVillage.objects.exists()
    assert "数据更新中" not in html


def test_many_villages_marked_stale_are_left_to_the_worker_and_the_page_says_so(client, world, people):
    facts_refresh(periods=[NOW])
    last = FactRefresh.objects.get()
    household("3604241002010002", world.village, "赵六", 4)
    StaleVillage.objects.bulk_create(  # 良塘村 (…01) is marked already: the new household marked it
        (
            StaleVillage(region_code=f"3604241002{i:02d}", period=str(NOW))
            for i in range(STALE_REFRESH_LIMIT + 1)
        ),
        ignore_conflicts=True,
    )
    _, html = page(client, people["leader"])
    assert "数据更新中" in html
    assert f"以下为 {timezone.localtime(last.finished_at):%Y-%m-%d %H:%M} 的数据" in html
    assert ">3</a>" in card(html, "ex_poor_households")  # the figures of the last refresh
    assert StaleVillage.objects.count() == STALE_REFRESH_LIMIT + 1


def test_a_refresh_that_fails_while_reading_leaves_the_last_figures_and_says_they_are_updating(
    client, world, people, monkeypatch
):
    from django.db import IntegrityError

    from dixian.reports import views_dashboard

    def raced(**kwargs):
        raise IntegrityError("the worker wrote the same facts first")

    facts_refresh(periods=[NOW])
    facts_mark_stale([world.village.code])
    monkeypatch.setattr(views_dashboard, "facts_refresh_stale", raced)
    response, html = page(client, people["leader"])
    assert response.status_code == 200
    assert "数据更新中" in html and ">3</a>" in card(html, "ex_poor_households")
    assert StaleVillage.objects.count() == 1


def test_a_page_does_not_wait_for_a_refresh_running_elsewhere(client, world, people, monkeypatch):
    from dixian.reports import views_dashboard

    facts_refresh(periods=[NOW])
    household("3604241002010002", world.village, "赵六", 4)  # marks 良塘村
    monkeypatch.setattr(views_dashboard, "transaction_try_lock", lambda name: False)  # the worker holds it
    _, html = page(client, people["leader"])
    assert "数据更新中" in html and ">3</a>" in card(html, "ex_poor_households")
    assert StaleVillage.objects.filter(region_code=world.village.code).exists()


def test_a_dashboard_before_any_refresh_says_no_figures_were_made_yet(client, world, people):
    StaleVillage.objects.all().delete()  # the world's households marked their villages as they were made
    marks_forget()
    _, html = page(client, people["leader"])
    assert "尚未生成统计数" in html


# --- cost ------------------------------------------------------------------------------------------------

ALLOWED_TABLES = {"django_session", "accounts_user", "regions_region"} | {
    m._meta.db_table for m in (Fact, StaleVillage, FactRefresh)
}


def queries_of(client, user, url=DASHBOARD, **params) -> list[str]:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def tables_read(sql: str) -> set[str]:
    return set(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', sql, re.IGNORECASE))


def more_units(world, villages: int) -> None:
    """Another township with `villages` villages under the first county, each with a household and facts."""
    township = region("360424200000", "新镇", "township", world.county)
    for i in range(villages):
        village = region(f"3604242002{i:02d}", f"新村{i}", "village", township)
        household(f"36042420020{i:02d}01", village, f"户主{i}", 100 + i)


@pytest.mark.parametrize(
    ("persona_name", "url"),
    [
        ("leader", DASHBOARD),
        ("county_admin", DASHBOARD),
        ("leader", reverse("reports:indicator", args=["t_alerts"])),
    ],
)
def test_a_page_reads_a_fixed_number_of_queries_of_facts_and_units_only(
    client, world, people, indicators, persona_name, url
):
    user = people[persona_name]
    facts_refresh(periods=[NOW])
    small = queries_of(client, user, url)
    more_units(world, 12)
    facts_refresh(periods=[NOW])
    large = queries_of(client, user, url)
    assert len(large) == len(small) <= 12, "\n".join(large)
    for sql in large:
        assert tables_read(sql) <= ALLOWED_TABLES, sql


def test_the_dashboard_of_a_township_with_many_villages_still_reads_twelve_queries_at_most(
    client, world, people, django_assert_max_num_queries
):
    more_units(world, 30)
    facts_refresh(periods=[NOW])
    client.force_login(people["leader"])
    with django_assert_max_num_queries(12):
        response = client.get(DASHBOARD, {"region": "360424200000"})
    assert len(chart_data(response, "ranking")["labels"]) == 30


# --- the library, the script, the menu ---------------------------------------------------------------------


def test_the_chart_library_is_among_the_static_files_and_only_its_dist_folder_is(client, settings):
    path = finders.find("vendor/echarts/echarts.min.js")
    assert path, "ECharts is not installed: run `make npm` (npm ci --omit=dev, docs/reports.md §1)"
    served = [Path(d[1] if isinstance(d, tuple) else d).resolve() for d in settings.STATICFILES_DIRS]
    assert served == [ROOT / "static", ROOT / "node_modules" / "echarts" / "dist"]
    settings.WHITENOISE_USE_FINDERS = True  # as after `collectstatic` (make demo): WhiteNoise serves it
    response = client.get("/static/vendor/echarts/echarts.min.js")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2000].find(b"Apache") >= 0
    assert client.get("/static/reports/charts.js").status_code == 200
    assert client.get("/static/vendor/echarts/../../package.json").status_code == 404


def test_the_lock_pins_echarts_5_exactly_with_its_integrity():
    import json

    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    pinned = package["dependencies"]["echarts"]
    assert re.fullmatch(r"5\.\d+\.\d+", pinned), "pin an exact ECharts 5 version"
    entry = lock["packages"]["node_modules/echarts"]
    assert entry["version"] == pinned and entry["integrity"].startswith("sha512-")
    assert "node_modules/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_the_pages_load_the_library_and_our_script_and_draw_from_a_data_island_without_inline_code(
    client, world, people
):
    _, html = page(client, people["leader"])
    head = html[: html.index("</head>")]
    assert head.index("vendor/echarts/echarts.min.js") < head.index("reports/charts.js")
    script = (ROOT / "dixian/reports/static/reports/charts.js").read_text(encoding="utf-8")
    for forbidden in ("eval(", "new Function", "innerHTML", "setAttribute('style'", "cdn", "http"):
        assert forbidden not in script, forbidden
    assert "renderMode: 'richText'" in script  # an HTML tooltip would carry style attributes


def test_the_menu_offers_the_figures_to_accounts_that_may_read_them(client, world, people):
    client.force_login(people["leader"])
    assert (
        f'<a href="{DASHBOARD}">统计分析</a>'
        in client.get(reverse("registry:household_list")).content.decode()
    )
    client.force_login(people["helper"])
    assert "统计分析" not in client.get(reverse("visits:list")).content.decode()


def test_an_account_without_the_capability_is_refused(client, world, people):
    for name in ("helper", "department_uploader"):
        assert page(client, people[name])[0].status_code == 403


def test_a_village_account_sees_its_own_village_figures(client, world, people):
    facts_refresh(periods=[NOW])
    response, html = page(client, people["village_officer"])
    assert response.context["asked"].region == world.village
    assert f'<a href="/households/?region={world.village.pk}&amp;kind=ex_poor">1</a>' in html


def test_settings_serve_echarts_from_the_lock_installed_folder():
    assert settings.ECHARTS_DIST == ROOT / "node_modules" / "echarts" / "dist"


def test_an_account_of_a_village_group_region_is_not_shown_another_unit(client, world):
    group = region("36042410020101", "一组", "group", world.village)
    user = persona("group_officer", group, Role.LEADER)
    assert page(client, user, region=world.village.code)[0].status_code == 404


def test_the_dashboard_leads_to_the_map_and_the_bulletin_of_the_same_unit_and_month(client, world, people):
    facts_refresh(periods=[NOW])
    _, html = page(client, people["county_admin"], region=world.county.code)
    to_map = re.search(r'id="to-map" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    to_bulletin = re.search(r'id="to-bulletin" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert to_map.startswith(reverse("reports:map") + f"?region={world.county.code}&period={NOW}&mode=month")
    assert to_bulletin == reverse("reports:bulletin") + f"?region={world.county.code}&period={NOW}"
    client.force_login(people["county_admin"])
    assert client.get(to_map).status_code == 200
    assert client.get(to_bulletin).status_code == 200
