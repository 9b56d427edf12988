"""A township files its weekly toilet report on a phone (issue 19 "Done when"; docs/domain.md §27).

The township reviewer opens 人居环境 from the menu, then 周报填报, which goes straight to the township's form:
one card per village, pre-filled from last week. It types only what changed; a count above the village's
households is refused whole with the reason beside the field (htmx, in place); once corrected the week is
saved, and the weekly dispatch shows the township's progress. The walk fails on any console error, uncaught
script error or CSP violation, and on a page wider than the phone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, expect

from dixian.environment import services
from dixian.environment.models import EnvironmentPlan, WeeklyReport
from dixian.environment.tests.helpers import more_households, row
from dixian.environment.validation import week_monday
from dixian.registry.testing import build_world, personas

from .conftest import PHONE, _context
from .live import server_idle
from .test_case_journey import fits
from .test_funds_journey import log_in
from .test_leader_journey import Watched

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def patient_expect() -> Iterator[None]:
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=None)


def test_a_township_files_its_weekly_toilet_report_on_a_phone(
    browser: Browser, live_server, django_db_serialized_rollback, transactional_db
):
    world = build_world()
    people = personas(world)
    more_households(world)  # 良塘村 has 5 households
    this_week = week_monday(timezone.localdate())
    for v in (world.village, world.other_village):
        EnvironmentPlan.objects.create(
            village=v,
            region_code=v.code,
            year=this_week.year,
            toilets_planned=4 if v == world.village else 1,
            natural_villages=3,
        )
    last_week = this_week - dt.timedelta(days=7)
    if last_week.year == this_week.year:
        services.weekly_file(
            actor=people["township_reviewer"],
            township=world.township,
            monday=last_week,
            rows={world.village.code: row(1, 2, 2), world.other_village.code: row(0, 1, 1)},
        )

    context = _context(browser, live_server, PHONE)
    watched = Watched(context)
    page = watched.page
    log_in(page, "township_reviewer", reverse("environment:ledger"))
    expect(page.locator(".mainnav").get_by_role("link", name="人居环境")).to_be_visible()
    page.get_by_role("link", name="周报填报").click()
    card = page.locator(f"#village-{world.village.code}")
    expect(card).to_be_visible()
    fits(page, PHONE["viewport"]["width"])
    card.get_by_label("本年已改造户厕").fill("3")
    card.get_by_label("卫生厕所户数").fill("9")  # above the 5 households: refused
    for v in (world.village, world.other_village):
        c = page.locator(f"#village-{v.code}")
        for label in (
            "本年已改造户厕",
            "卫生厕所户数",
            "正常使用户数",
            "垃圾收运覆盖自然村数",
            "污水治理覆盖户数",
            "村庄整治已完成项数",
        ):
            field = c.get_by_label(label)
            if not field.input_value():
                field.fill("0")
    page.get_by_role("button", name="提交本周周报").click()
    expect(page.locator("#weekly-error")).to_contain_text("全部未保存")
    expect(page.locator(f"#village-{world.village.code}")).to_contain_text("超过本村户数5户")
    page.locator(f"#village-{world.village.code}").get_by_label("卫生厕所户数").fill("4")
    page.get_by_role("button", name="提交本周周报").click()
    expect(page.locator("#weekly-saved")).to_contain_text("周报已保存")
    fits(page, PHONE["viewport"]["width"])

    page.get_by_role("link", name="周调度").click()
    expect(page.locator("#dispatch-ranking, #environment-figures").first).to_be_visible()
    expect(page.locator("#environment-figures")).to_contain_text("3/5户")

    with server_idle():
        stored = WeeklyReport.objects.get(region_code=world.village.code, week=this_week)
    assert (stored.toilets_upgraded, stored.toilets_sanitary, stored.households) == (3, 4, 5)
    problems = watched.problems()
    context.close()
    assert not problems, "\n".join(problems)
