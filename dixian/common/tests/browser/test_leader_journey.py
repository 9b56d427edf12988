"""The leaders' view end to end in a real browser (issue 15 "Done when"; docs/reports.md §2, docs/domain.md
§21): the 领导 logs in and lands on the city dashboard, whose headline numbers are the selectors' figures;
drills through the ranking and the breadcrumb from the city to a county, a township and a village; follows
a headline number to the household list, which lists exactly the households the number counts; opens one,
comes back and exports the list, whose ID numbers are masked as the account's pages mask them. The map
(一张图) names each tile's figure and leads to that unit's dashboard. A village officer lands on its alert
queue, sees only its village on the dashboard and gets 404 for its county's.

Screenshots of the dashboard and the map at desktop and phone width are kept under DIXIAN_TEST_ARTIFACTS
(default var/test-artifacts/). The test fails on a chart that is not drawn or whose screenshot is blank
(the checker is shown to fail on the same chart with its canvas hidden), and on any console error, uncaught
script error or Content-Security-Policy violation.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, expect
from python_calamine import CalamineWorkbook

from dixian.cases.services import alert_add_evidence
from dixian.common.masking import id_number_shown, phone_shown
from dixian.common.testing import PASSWORD
from dixian.domain import lifecycle as lc
from dixian.monitoring.services import case_open
from dixian.monitoring.testing import walk_case
from dixian.regions.models import Region
from dixian.registry.models import HelperAssignment, Household, Person
from dixian.registry.testing import World, build_world, household, personas, step_actors
from dixian.reports.catalogue import headline_indicators, indicator_get
from dixian.reports.periods import Period
from dixian.reports.selectors import figures_compared
from dixian.reports.services import facts_refresh
from dixian.reports.tilemap import value_text
from dixian.reports.views_dashboard import number_text
from dixian.screening.models import RuleVersion

from .conftest import DESKTOP, PHONE, _context
from .live import server_idle
from .test_csp import LISTEN

pytestmark = pytest.mark.browser

EX_POOR = "ex_poor_households"
# A drawn chart inks at least this share of its box (axes, labels, the series; about 3% for a trend line
# of 13 months, 10% for a ranking); an empty one inks nothing.
MIN_INK_SHARE = 0.01
# ...and draws its series in the brand colour (charts.js BRAND): axes and labels alone are not a chart.
SERIES_COLOUR = (0x8B, 0x1A, 0x1A)
MIN_SERIES_PIXELS = 300
# How far (largest channel difference) a pixel may be from a colour and still count as that colour.
INK_TOLERANCE = 24


@pytest.fixture(autouse=True)
def patient_expect() -> Iterator[None]:
    """Assertions wait as long as the pages' actions do (30 s, conftest): the runner is shared and busy."""
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=None)


def artifacts() -> Path:
    """Where the screenshots are kept: DIXIAN_TEST_ARTIFACTS, else var/test-artifacts/ (gitignored)."""
    default = Path(settings.BASE_DIR) / "var" / "test-artifacts"
    path = Path(os.environ.get("DIXIAN_TEST_ARTIFACTS") or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- the world ---------------------------------------------------------------------------------------------


def a_small_city() -> tuple[World, dict[str, Household]]:
    """build_world's two counties, with more households in each village, alerts and monitoring cases:
    修水县 has more 脱贫户 than 都昌县, 良塘村 more than 桃坪村, so the rankings have an order."""
    world = build_world()
    people = personas(world)
    homes = {
        "zhao": household("3604241002010002", world.village, "赵六", 4, members=3),
        "qian": household("3604241002010003", world.village, "钱七", 5),
        "sun": household("3604241002010004", world.village, "孙八", 6, members=1),
        "li": household("3604241002010005", world.village, "李九", 7),
        "zhou": household("3604241002020002", world.other_village, "周十", 8),
        "wu": household("3604281002010002", world.far_village, "吴一", 9),
    }
    # An ordinary household in 良塘村: counted as 一般农户, not among the 脱贫户 the card drills to.
    Household.objects.filter(pk=homes["li"].pk).update(kind="ordinary", year_out_of_poverty=None)
    rule = RuleVersion.objects.get(rule__rule_id="R01", version=1)
    for n, h in enumerate((world.home, homes["zhao"], world.neighbour, world.far)):
        alert_add_evidence(
            household=h,
            region=h.region,
            risk_code="01",
            channel="department",
            grade="红" if n % 2 == 0 else "黄",
            reason=f"医疗个人负担达到阈值(规则 R01 第1版),线索 {n + 1}",
            dedup_parts=("leader-journey", n),
            rule_version=rule,
            feed="medical",
        )
    # One household of 良塘村 identified and monitored; one of 城西村 still at the home check.
    start = timezone.localdate() - dt.timedelta(days=40)
    HelperAssignment.objects.create(household=homes["qian"], helper=people["helper"], start_date=start)
    case = case_open(
        household=homes["qian"],
        actor=people["village_officer"],
        origin="manual",
        reason="走访发现",
        first_clue_on=start,
        on=start,
    )
    walk_case(case, lc.MONITORING, step_actors(people), start=start)
    case_open(household=homes["wu"], actor=None, origin="manual", reason="走访发现")
    now = Period.current()
    facts_refresh(periods=[now, now.previous(), now.year_ago()])
    return world, homes


# --- watching the pages --------------------------------------------------------------------------------


class Watched:
    """A page whose console errors, uncaught script errors and CSP violations are collected."""

    def __init__(self, context: BrowserContext) -> None:
        context.add_init_script(LISTEN)
        self.page = context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(f"{self.page.url}: script error: {e}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            self.errors.append(f"{self.page.url}: console {message.type}: {message.text}")

    def problems(self) -> list[str]:
        found = [f"{self.page.url}: CSP: {v}" for v in self.page.evaluate("window.__csp || []")]
        found += self.errors
        self.errors = []
        return found


def log_in(page: Page, username: str) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".who")).to_contain_text(username)


# --- charts: drawn, and inked ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ink:
    share: float  # of the pixels, those that differ from the background (the most common colour)
    series: int  # pixels in the series' colour (charts.js BRAND): the line, its points, the bars

    @property
    def blank(self) -> bool:
        return self.share < MIN_INK_SHARE or self.series < MIN_SERIES_PIXELS


def ink(png: bytes) -> Ink:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    raw = image.tobytes()
    pixels = [raw[i : i + 3] for i in range(0, len(raw), 3)]
    background = Counter(pixels).most_common(1)[0][0]

    def near(p: bytes, colour: bytes | tuple[int, ...]) -> bool:
        return max(abs(a - b) for a, b in zip(p, colour, strict=True)) <= INK_TOLERANCE

    inked = sum(1 for p in pixels if not near(p, background))
    return Ink(inked / len(pixels), sum(1 for p in pixels if near(p, SERIES_COLOUR)))


def chart_problems(chart: Locator) -> list[str]:
    key = chart.get_attribute("data-chart")
    if "drawn" not in (chart.get_attribute("class") or "").split():
        return [f"chart {key}: not drawn ({chart.inner_text()[:60]!r})"]
    if not int(chart.get_attribute("data-points") or 0):
        return [f"chart {key}: no points"]
    found = ink(chart.screenshot())
    if found.blank:
        return [f"chart {key}: blank ({found.share:.2%} of its box inked, {found.series} pixels of series)"]
    return []


def charts_checked(page: Page, expected: dict[str, int]) -> list[str]:
    """Every chart of the page drawn, with ink on screen; the page has exactly the charts `expected`, each
    with its number of points (13 months of trend, one bar per unit below)."""
    charts = page.locator("div.chart[data-chart]")
    if expected:
        expect(charts.first).to_have_class(re.compile(r"\bdrawn\b"))
    found = {
        charts.nth(i).get_attribute("data-chart") or "": int(charts.nth(i).get_attribute("data-points") or 0)
        for i in range(charts.count())
    }
    problems = [] if found == expected else [f"{page.url}: charts {found}, expected {expected}"]
    for i in range(charts.count()):
        problems += chart_problems(charts.nth(i))
    return problems


def the_checker_fails_a_blank_chart(page: Page) -> None:
    """The ink check can fail: the same drawn chart is found blank with its canvas hidden, and with its
    axes drawn but its series emptied (ECharts' own API, as a chart fed no data would look); the page is
    then loaded again, so that what follows sees the chart as the app draws it."""
    chart = page.locator("#chart-trend")
    assert not chart_problems(chart)
    chart.evaluate("(el) => el.querySelectorAll('canvas').forEach((c) => { c.style.visibility = 'hidden'; })")
    assert ink(chart.screenshot()) == Ink(0.0, 0)
    assert chart_problems(chart) == ["chart trend: blank (0.00% of its box inked, 0 pixels of series)"]
    chart.evaluate("(el) => el.querySelectorAll('canvas').forEach((c) => { c.style.visibility = ''; })")
    assert not chart_problems(chart)
    chart.evaluate("(el) => window.echarts.getInstanceByDom(el).setOption({ series: [{ data: [] }] })")
    axes_only = ink(chart.screenshot())
    assert axes_only.share > 0 and axes_only.series < MIN_SERIES_PIXELS, axes_only
    assert chart_problems(chart) and "blank" in chart_problems(chart)[0]
    page.reload()
    expect(chart).to_have_class(re.compile(r"\bdrawn\b"))
    assert not chart_problems(chart)


def svg_problems(page: Page) -> list[str]:
    """The tile map drawn: every tile filled, and the map inked on screen."""
    tiles = page.locator("svg.tilemap g.tile rect")
    problems = [
        f"map tile {i}: no fill"
        for i in range(tiles.count())
        if not (tiles.nth(i).get_attribute("fill") or "").startswith("#")
    ]
    found = ink(page.locator("svg.tilemap").screenshot())
    if found.share < MIN_INK_SHARE:
        problems.append(f"map: blank ({found.share:.2%} inked)")
    return problems


def fits(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways ({scroll} > {width})"


# --- what the dashboard says ------------------------------------------------------------------------------


def headline_matches(page: Page, region: Region) -> None:
    """Each headline card shows the selectors' figure of the unit and month (figures_compared)."""
    indicators = headline_indicators()
    with server_idle():
        compared = figures_compared(region, Period.current(), indicators, "month")
    expect(page.locator("article.figure-card")).to_have_count(len(indicators))
    for c in compared:
        ind = c.current.indicator
        shown = rf"^\s*{re.escape(number_text(c.current.value, ind))}\s*{re.escape(ind.unit)}\s*$"
        expect(page.locator(f"#card-{ind.code} .figure-value")).to_have_text(re.compile(shown))


def at_dashboard_of(page: Page, region: Region) -> None:
    expect(page).to_have_url(re.compile(r"/reports/(\?.*)?$"))
    expect(page.locator("#breadcrumb strong")).to_have_text(region.name)
    expect(page.locator("#as-of")).to_contain_text("数据截至")
    expect(page.locator("#no-data")).to_have_count(0)


def ranked(page: Page, units: list[Region]) -> None:
    """The ranking's table (one click away) lists exactly the units below."""
    page.locator("#details-ranking summary").click()
    rows = page.locator("#table-ranking tr.rank-row")
    expect(rows).to_have_count(len(units))
    assert {rows.nth(i).get_attribute("data-region") for i in range(len(units))} == {u.code for u in units}


def open_ranked(page: Page, unit: Region) -> None:
    page.locator(f"#table-ranking tr.rank-row[data-region='{unit.code}'] td[data-label='单位'] a").click()
    at_dashboard_of(page, unit)


def ex_poor_in(village: Region) -> set[str]:
    with server_idle():
        return set(
            Household.objects.filter(region=village, kind="ex_poor").values_list("household_no", flat=True)
        )


def masked_heads(numbers: set[str]) -> dict[str, str]:
    with server_idle():
        heads = Person.objects.filter(household__household_no__in=numbers, relation="head")
        return {p.household.household_no: id_number_shown(p.id_number, pii=False) for p in heads}


def exported_households(path: Path) -> list[dict[str, str]]:
    """The 农户 sheet of an export as dicts by header (the header row is the one that names 户编号)."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("农户").to_python()
    top = next(i for i, row in enumerate(rows) if "户编号" in [str(v) for v in row])
    headers = [str(v) for v in rows[top]]
    return [
        dict(zip(headers, [str(v) for v in row], strict=True))
        for row in rows[top + 1 :]
        if re.fullmatch(r"\d{16,}", str(row[0]))
    ]


def every_cell(path: Path) -> str:
    book = CalamineWorkbook.from_path(str(path))
    return "\n".join(
        str(v) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for v in row
    )


def whole_numbers(numbers: set[str]) -> set[str]:
    """The ID numbers and phones of the households, unmasked: what an account without PII_VIEW never sees."""
    with server_idle():
        persons = Person.objects.filter(household__household_no__in=numbers)
        found = {p.id_number for p in persons} | {p.phone for p in persons if p.phone}
        found |= {h.phone for h in Household.objects.filter(household_no__in=numbers) if h.phone}
    return found


# --- the journey ---------------------------------------------------------------------------------------


def test_a_leader_drills_from_the_city_to_a_household_and_a_village_sees_only_its_own(
    browser: Browser, live_server, django_db_serialized_rollback, transactional_db
):
    world, homes = a_small_city()
    shots = artifacts()
    problems: list[str] = []

    # --- the leader, at a desk: lands on the city dashboard ----------------------------------------------
    context = _context(browser, live_server, DESKTOP)
    watched = Watched(context)
    page = watched.page
    log_in(page, "leader")
    expect(page).to_have_url(re.compile(r"/reports/$"))
    at_dashboard_of(page, world.city)
    headline_matches(page, world.city)
    problems += charts_checked(page, {"trend": 13, "ranking": 2})
    the_checker_fails_a_blank_chart(page)
    page.screenshot(path=str(shots / "dashboard-desktop.png"), full_page=True)

    # --- city → county → township → village, through the rankings ---------------------------------------
    ranked(page, [world.county, world.other_county])
    open_ranked(page, world.county)
    headline_matches(page, world.county)
    problems += charts_checked(page, {"trend": 13, "ranking": 1})
    ranked(page, [world.township])
    open_ranked(page, world.township)
    headline_matches(page, world.township)
    ranked(page, [world.village, world.other_village])
    open_ranked(page, world.village)
    headline_matches(page, world.village)
    # A village has no units below: its trend, no ranking.
    problems += charts_checked(page, {"trend": 13})
    expect(page.locator("tr.rank-row")).to_have_count(0)
    # The breadcrumb leads back up, every unit above a link for a city account.
    crumbs = page.locator("#breadcrumb a")
    expect(crumbs).to_have_text([world.city.name, world.county.name, world.township.name])
    crumbs.filter(has_text=world.township.name).click()
    at_dashboard_of(page, world.township)
    page.go_back()
    at_dashboard_of(page, world.village)
    problems += watched.problems()

    # --- a headline number → the households it counts -----------------------------------------------------
    expected = ex_poor_in(world.village)
    assert len(expected) == 4  # 张三, 赵六, 钱七, 孙八 (李九 is an ordinary household)
    card = page.locator(f"#card-{EX_POOR} .figure-value a")
    expect(card).to_have_text(str(len(expected)))
    card.click()
    expect(page).to_have_url(re.compile(r"/households/\?.*kind=ex_poor"))
    expect(page.locator("#household-results")).to_contain_text(f"共 {len(expected)} 户")
    links = page.locator("table.households tbody td[data-label='户编号'] a")
    expect(links).to_have_count(len(expected))
    assert set(links.all_inner_texts()) == expected
    # The leader holds no PII_VIEW: phones are masked on the list.
    expect(page.locator("table.households")).to_contain_text(phone_shown(world.home.phone, pii=False))
    assert world.home.phone not in page.content()
    list_url = page.url

    # --- a household, and back ---------------------------------------------------------------------------
    links.filter(has_text=world.home.household_no).click()
    expect(page.locator("#profile-title")).to_have_text("张三户")
    heads = masked_heads(expected)
    expect(page.get_by_text(heads[world.home.household_no], exact=True)).to_be_visible()
    with server_idle():
        whole = Person.objects.get(household=world.home, relation="head").id_number
    assert whole not in page.content()
    page.go_back()
    expect(page).to_have_url(list_url)
    expect(links).to_have_count(len(expected))

    # --- the list exported: the same households, ID numbers masked as on the pages ---------------------
    with page.expect_download() as download:
        page.locator("form.export").get_by_role("button", name="导出Excel", exact=True).click()
    assert download.value.suggested_filename.endswith(".xlsx")
    rows = exported_households(Path(download.value.path()))
    assert {r["户编号"] for r in rows} == expected
    assert {r["户编号"]: r["户主证件号码"] for r in rows} == heads
    assert all("*" in masked for masked in heads.values())
    unmasked = whole_numbers(expected)
    assert len(unmasked) >= 2 * len(expected)  # every head's number and phone, the spouses' numbers
    written = every_cell(Path(download.value.path()))
    assert not [n for n in unmasked if n in written], "the export shows a whole ID number or phone"
    problems += watched.problems()

    # --- the map at city level: each tile names its figure and leads to its unit's dashboard -----------
    ex_poor = indicator_get(EX_POOR)
    assert ex_poor is not None
    page.goto(f"{reverse('reports:map')}?indicator={EX_POOR}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("监测一张图")
    expect(page.locator(".schematic")).to_contain_text("示意图")
    with server_idle():
        counties = figures_compared(world.county, Period.current(), [ex_poor], "month")[0].current.value
        others = figures_compared(world.other_county, Period.current(), [ex_poor], "month")[0].current.value
    assert counties is not None and others is not None and counties > others > Decimal(0)
    tile = page.locator(f"svg.tilemap a[data-region='{world.county.code}'] g.tile")
    expect(tile.locator("title")).to_have_text(f"{world.county.name}:{value_text(counties, ex_poor)}(第1名)")
    expect(page.locator(f"svg.tilemap g.tile[data-code='{world.other_county.code}'] title")).to_have_text(
        f"{world.other_county.name}:{value_text(others, ex_poor)}(第2名)"
    )
    tile.hover()
    map_problems = svg_problems(page)
    assert not map_problems, map_problems
    page.screenshot(path=str(shots / "map-desktop.png"), full_page=True)
    tile.click()
    at_dashboard_of(page, world.county)
    headline_matches(page, world.county)
    problems += charts_checked(page, {"trend": 13, "ranking": 1})
    problems += watched.problems()
    context.close()

    # --- the leader on a phone: the same pages, nothing sideways ----------------------------------------
    context = _context(browser, live_server, PHONE)
    watched = Watched(context)
    page = watched.page
    log_in(page, "leader")
    at_dashboard_of(page, world.city)
    headline_matches(page, world.city)
    problems += charts_checked(page, {"trend": 13, "ranking": 2})
    fits(page, PHONE["viewport"]["width"])
    page.screenshot(path=str(shots / "dashboard-phone.png"), full_page=True)
    page.goto(f"{reverse('reports:map')}?indicator={EX_POOR}")
    expect(page.locator("svg.tilemap g.tile")).to_have_count(2)
    problems += svg_problems(page)
    fits(page, PHONE["viewport"]["width"])
    page.screenshot(path=str(shots / "map-phone.png"), full_page=True)
    problems += watched.problems()
    context.close()

    # --- the village officer, on a phone: its queue, its village, nothing above --------------------------
    context = _context(browser, live_server, PHONE)
    watched = Watched(context)
    page = watched.page
    log_in(page, "village_officer")
    expect(page).to_have_url(re.compile(re.escape(reverse("cases:alert_queue")) + "$"))
    page.goto(reverse("reports:dashboard"))
    at_dashboard_of(page, world.village)
    headline_matches(page, world.village)
    problems += charts_checked(page, {"trend": 13})
    expect(page.locator("tr.rank-row")).to_have_count(0)
    # The units above are named but none is a link: the breadcrumb opens nothing beyond the village.
    expect(page.locator("#breadcrumb a")).to_have_count(0)
    expect(page.locator("#breadcrumb [data-region]").last).to_have_text(world.village.name)
    for unit in (world.other_village, world.far_village):
        expect(page.locator("main")).not_to_contain_text(unit.name)
    problems += watched.problems()
    for url in (
        f"{reverse('reports:dashboard')}?region={world.county.code}",
        f"{reverse('reports:dashboard')}?region={world.other_village.code}",
        f"{reverse('reports:map')}?region={world.county.code}",
    ):
        response = page.goto(url)
        assert response is not None and response.status == 404, url
        expect(page.get_by_role("heading", level=1)).to_have_text("页面不存在")
        expect(page.locator("main")).not_to_contain_text(world.county.name)
        # The browser logs the 404 itself; anything else is a fault.
        watched.errors = [e for e in watched.errors if "status of 404" not in e]
        problems += watched.problems()
    context.close()

    assert not problems, "\n".join(problems)
