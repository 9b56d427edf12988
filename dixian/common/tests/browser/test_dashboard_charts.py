"""The dashboard's charts in a real browser (docs/reports.md §2): ECharts served by the app draws every
chart, with ink on its canvas, under the Content-Security-Policy (no violation), at desktop and phone width
without the page scrolling sideways; a click on a ranked unit opens that unit's dashboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from dixian.registry.testing import build_world, personas
from dixian.reports.periods import Period
from dixian.reports.services import facts_refresh

from .conftest import DESKTOP, PHONE, _context
from .test_csp import violations, watched
from .test_plain_chinese_walk import log_in

pytestmark = pytest.mark.browser

# Pixels of a chart's canvas that are not blank: a drawn chart has axes, labels and its series.
INK = """(el) => {
  const canvas = el.querySelector('canvas');
  if (!canvas) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++;
  return ink;
}"""


def charts_drawn(page: Page) -> list[str]:
    problems = []
    charts = page.locator(".chart[data-chart]")
    expect(charts.first).to_have_class(re.compile(r"\bdrawn\b"), timeout=15_000)
    for i in range(charts.count()):
        chart = charts.nth(i)
        key = chart.get_attribute("data-chart")
        if "drawn" not in (chart.get_attribute("class") or ""):
            problems.append(f"{key}: not drawn")
        elif chart.evaluate(INK) < 500:
            problems.append(f"{key}: its canvas is blank")
    return problems


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_leaders_dashboard_draws_every_chart_under_the_policy(
    browser: Browser, live_server, django_db_serialized_rollback, transactional_db, tmp_path: Path, device
):
    world = build_world()
    personas(world)
    facts_refresh(periods=[Period.current()])
    context = _context(browser, live_server, DESKTOP if device == "desktop" else PHONE)
    page, console = watched(context)
    log_in(page, "leader")
    page.goto("/reports/")
    problems = charts_drawn(page)
    assert page.locator(".chart[data-chart]").count() == 2  # the trend and the ranking of the counties
    width = DESKTOP["viewport"]["width"] if device == "desktop" else PHONE["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    page.screenshot(path=str(tmp_path / f"dashboard-{device}.png"), full_page=True)
    # The ranking's table is one click away.
    page.locator("#details-ranking summary").click()
    expect(page.locator("#table-ranking tr.rank-row")).to_have_count(2)
    problems += violations(page, console, "/reports/")
    assert not problems, "\n".join(problems)
    if device == "desktop":
        # A click on the first ranked unit (修水县: more 脱贫户) opens its dashboard.
        box = page.locator("#chart-ranking").bounding_box()
        assert box is not None
        with page.expect_navigation():
            # The grid's top margin, then the middle of the first of two rows of bars.
            page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + 8 + (box["height"] - 16) / 4)
        expect(page.locator("#breadcrumb strong")).to_have_text("修水县")
        assert not charts_drawn(page)
        # An indicator's page: its definition, and its own charts.
        page.locator("#card-ex_poor_households h2 a").click()
        expect(page.locator("#definition")).to_contain_text("户类型为脱贫户的农户数")
        assert not charts_drawn(page)
        assert not violations(page, console, "indicator page")
    context.close()
