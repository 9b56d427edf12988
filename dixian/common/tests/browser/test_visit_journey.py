"""A cadre records a visit on a phone (375 x 812): finds the household, ticks a risk, sees the alert."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from dixian.cases.models import Alert
from dixian.common.testing import PASSWORD
from dixian.registry.testing import build_world, personas
from dixian.visits.models import Visit

pytestmark = pytest.mark.browser

SMALL_PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

# The image's width once it has loaded or failed (0), however far along it was when asked:
# visible is not loaded, and reading naturalWidth straight away races the photo's request.
LOADED_WIDTH = """img => img.complete ? img.naturalWidth : new Promise(done => {
    img.addEventListener("load", () => done(img.naturalWidth), {once: true});
    img.addEventListener("error", () => done(0), {once: true});
})"""


@pytest.fixture
def small_phone(
    browser: Browser, live_server, django_db_serialized_rollback, transactional_db
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **SMALL_PHONE
    )
    # Generous: the live server shares two cores with other test runs.
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 60)).save(out, "PNG")
    return out.getvalue()


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_village_officer_records_a_visit_with_a_risk_on_a_small_phone(small_phone: Page):
    page = small_phone
    world = build_world()
    personas(world)

    page.goto("/visits/new/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("用户名").fill("village_officer")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", name="记录走访")).to_be_visible()
    assert fits_the_screen(page)
    page.get_by_role("searchbox").fill("张三")
    choice = page.get_by_role("radio", name=re.compile("张三户"))
    expect(choice).to_be_visible()  # found by htmx while typing, no page load
    expect(page.get_by_text(world.neighbour.household_no)).to_have_count(0)
    choice.check()
    expect(page.get_by_role("radio", name="入户走访")).to_be_checked()
    page.get_by_role("checkbox", name="住房不安全").check()
    page.get_by_label("情况记录").fill("东厢房墙体开裂,雨天漏水。")
    page.get_by_label("照片(最多 6 张)").set_input_files(
        [{"name": "墙体.png", "mimeType": "image/png", "buffer": png()}]
    )
    assert fits_the_screen(page)
    page.get_by_role("button", name="保存走访记录").click()

    expect(page.locator(".messages")).to_contain_text("走访记录已保存:张三户")
    expect(page.locator(".messages")).to_contain_text("发现风险 1 项,已推送预警线索")
    expect(page.get_by_role("heading", name="由此次走访推送的预警线索")).to_be_visible()
    expect(page.get_by_text(re.compile("走访发现:住房不安全"))).to_be_visible()
    photo = page.get_by_role("img", name="走访照片 1")
    expect(photo).to_be_visible()
    photo.scroll_into_view_if_needed()  # the photo loads lazily: only near the viewport
    assert photo.evaluate(LOADED_WIDTH) == 64  # served through the scoped view
    assert fits_the_screen(page)

    visit = Visit.objects.get()
    assert visit.risks == ["housing"] and visit.photos.count() == 1
    alert = Alert.objects.get()
    assert (alert.household_id, alert.channels, alert.grade) == (world.home.pk, ["cadre_visit"], "红")
