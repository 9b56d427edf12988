"""A village records a month's employment survey on a phone (issue 18 "Done when"; docs/domain.md §23).

The village officer opens 就业监测 from the menu, then the village's month: every worker on the labour roll
with last month's answer. One worker unchanged since last month is carried over with its own 无变化 button
(htmx, the row and the counts change in place); one is recorded on the form, whose fields follow the
answer (a worker who does not work is asked why and whether willing, not where); a refused save says what is
missing; the rest are carried over with 其余人员本月无变化. The stored records are what the pages said, and
no employer or full ID number reaches the officer's screen (no personal-data right). The walk fails on any
console error, uncaught script error or CSP violation, and on a page wider than the phone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, expect

from dixian.domain import employment as e
from dixian.employment.models import Employment
from dixian.employment.testing import IDLE_WILLING, WORKING_AWAY, many_workers, record
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


def test_a_village_records_its_monthly_survey_on_a_phone(
    browser: Browser, live_server, django_db_serialized_rollback, transactional_db
):
    world = build_world()
    personas(world)
    month = timezone.localdate().replace(day=1)
    before = e.month_add(month, -1)
    head = world.home.members.get(relation="head")
    spouse = world.home.members.get(relation="spouse")
    (third,) = many_workers(world.village, 1, members=1)
    worked = min(before.month, 5) if before.year == month.year else 12
    record(head, before, WORKING_AWAY, months_worked=worked)
    record(spouse, before, WORKING_AWAY, months_worked=worked)
    record(third, before, IDLE_WILLING)

    context = _context(browser, live_server, PHONE)
    watched = Watched(context)
    page = watched.page
    log_in(page, "village_officer", reverse("employment:home"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("就业监测")
    expect(page.locator(".mainnav").get_by_role("link", name="就业监测")).to_be_visible()
    page.get_by_role("link", name="就业信息摸排").click()
    expect(page).to_have_url(
        re.compile(re.escape(reverse("employment:survey_village", args=[world.village.code])))
    )
    counts = page.locator("#survey-counts")
    expect(counts).to_contain_text("名册 3 人")
    expect(counts).to_contain_text("已摸排 0 人")
    fits(page, PHONE["viewport"]["width"])

    # 无变化 for one worker: the row and the counts change in place.
    row = page.locator(f"#worker-{head.pk}")
    expect(row).to_contain_text("上月:务工")
    row.get_by_role("button", name="无变化").click()
    expect(page.locator(f"#worker-{head.pk}")).to_contain_text("沿用上月")
    expect(counts).to_contain_text("已摸排 1 人")
    expect(page.locator("#survey-message")).to_contain_text("1人沿用")
    expect(page.get_by_role("button", name="其余人员本月无变化(2人)")).to_be_visible()

    # The spouse came home: recorded on the form, which asks only what applies.
    page.locator(f"#worker-{spouse.pk}").get_by_role("link", name="录入").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(spouse.name)
    expect(page.locator("main")).to_contain_text(f"已按{e.month_label(before)}的摸排记录预填")
    fits(page, PHONE["viewport"]["width"])
    page.locator("fieldset").filter(has_text="本月是否务工就业").get_by_label("否").check()
    expect(page.locator(".if-working")).to_be_hidden()
    expect(page.get_by_label("未就业原因")).to_be_visible()
    page.get_by_role("button", name="保存").click()
    expect(page.locator("main")).to_contain_text("未务工就业的人员须填写未就业原因")
    page.get_by_label("未就业原因").select_option(label="季节性返乡")
    page.locator("fieldset").filter(has_text="有就业意愿").get_by_label("是").check()
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("已保存")
    expect(counts).to_contain_text("已摸排 2 人")
    expect(page.locator(f"#worker-{spouse.pk}")).to_contain_text("未务工 · 季节性返乡 · 有就业意愿")

    # The rest: 其余人员本月无变化.
    page.get_by_role("button", name=re.compile("其余人员本月无变化")).click()
    expect(page.locator(".messages")).to_contain_text("1人沿用")
    expect(counts).to_contain_text("已摸排 3 人")
    expect(page.get_by_role("button", name=re.compile("其余人员本月无变化"))).to_have_count(0)
    html = page.content()
    assert WORKING_AWAY["employer"] not in html and head.id_number not in html
    fits(page, PHONE["viewport"]["width"])

    with server_idle():
        stored = {r.person_id: r for r in Employment.objects.filter(month=month)}
    assert set(stored) == {head.pk, spouse.pk, third.pk}
    assert (stored[head.pk].source, stored[head.pk].working) == ("carried", True)
    assert stored[head.pk].months_worked == (worked + 1 if before.year == month.year else 1)
    assert (stored[spouse.pk].working, stored[spouse.pk].not_working_reason, stored[spouse.pk].willing) == (
        False,
        "seasonal",
        True,
    )
    assert (stored[third.pk].source, stored[third.pk].working) == ("carried", False)
    problems = watched.problems()
    context.close()
    assert not problems, "\n".join(problems)
