"""The village officer's alert journey on a phone (375 x 812): the queue, a red alert's reason, verification."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from dixian.cases.models import Alert
from dixian.cases.services import alert_add_evidence
from dixian.common.testing import PASSWORD
from dixian.registry.testing import build_world, personas
from dixian.screening.models import RuleVersion

pytestmark = pytest.mark.browser

SMALL_PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
REASON = "2026年1-10月张三医疗个人负担 23,400 元,达到一般农户阈值 20,000 元(规则 R01 第1版)"


@pytest.fixture
def small_phone(
    browser: Browser, live_server, django_db_serialized_rollback, transactional_db
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **SMALL_PHONE
    )
    context.set_default_timeout(30_000)  # a first page load on a busy 2-core runner
    yield context.new_page()
    context.close()


def test_village_officer_opens_a_red_alert_and_starts_verification_on_a_phone(small_phone: Page):
    page = small_phone
    world = build_world()
    personas(world)
    evidence = alert_add_evidence(
        household=world.home,
        region=world.village,
        risk_code="01",
        channel="department",
        grade="红",
        reason=REASON,
        dedup_parts=("browser",),
        rule_version=RuleVersion.objects.get(rule__rule_id="R01", version=1),
        feed="medical",
    )
    alert = evidence.alert
    alert_add_evidence(  # an alert of another village: not on this officer's screen
        household=world.neighbour,
        region=world.other_village,
        risk_code="09",
        channel="cadre_visit",
        grade="黄",
        reason="走访发现孩子学费负担重",
        dedup_parts=("browser",),
    )

    page.goto("/alerts/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("用户名").fill("village_officer")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", name=re.compile("预警线索"))).to_be_visible()
    card = page.locator(f"#alert-{alert.pk}")
    expect(card).to_be_visible()
    expect(card).to_contain_text("红色预警")
    expect(card).to_contain_text("医疗个人负担 23,400 元")
    expect(card).to_contain_text("剩 3 天")
    expect(page.get_by_text("走访发现孩子学费负担重")).to_have_count(0)
    # The card fits the phone: nothing sticks out sideways.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width

    card.get_by_role("link", name=re.compile("张三")).click()
    expect(page.get_by_role("heading", name="01 因病")).to_be_visible()
    expect(page.get_by_text("规则 R01 第1版").first).to_be_visible()
    page.get_by_role("button", name="开始核实").click()

    expect(page.locator(".messages")).to_contain_text("已开始核实")
    expect(page.locator("#alert-title").locator("..")).to_contain_text("核实中")
    expect(page.get_by_role("button", name="开始核实")).to_have_count(0)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.VERIFYING
