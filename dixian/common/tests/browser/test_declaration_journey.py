"""The applicant's journey on a phone: scan the village QR code, declare, get a reference, look it up."""

from __future__ import annotations

import re

import pytest
from captcha.models import CaptchaStore
from playwright.sync_api import Page, expect

from dixian.cases.models import Alert
from dixian.declarations.models import Declaration
from dixian.declarations.tests.helpers import STRANGER_ID
from dixian.registry.testing import build_world

from .live import server_idle

pytestmark = pytest.mark.browser


def solve_captcha(page: Page) -> None:
    """Read the answer of the image on the page from the store (the test's stand-in for a person's eyes)."""
    key = page.locator("input[name=captcha_0]").input_value()
    with server_idle():  # the captcha's image may still be loading
        answer = CaptchaStore.objects.get(hashkey=key).response
    page.get_by_label(re.compile("验证码")).fill(answer)


def fits_the_screen(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the page scrolls sideways"


def test_an_applicant_declares_from_the_village_qr_code_and_looks_up_the_status(small_phone: Page, tmp_path):
    page = small_phone
    world = build_world()
    page.goto(f"/declare/v/{world.village.code}/")
    expect(page.get_by_role("heading", name="家里遇到困难?可以直接申报")).to_be_visible()
    expect(page.get_by_text(world.village.full_name)).to_be_visible()
    fits_the_screen(page)
    page.screenshot(path=tmp_path / "form.png", full_page=True)

    page.get_by_label("申报人姓名").fill("阿依古丽•买买提")
    page.get_by_label("身份证号码").fill(STRANGER_ID[:-1] + ("0" if STRANGER_ID[-1] != "0" else "1"))
    page.get_by_label("手机号码").fill("139 1234 5678")
    page.get_by_label("看病花费大 / 家人患病").check()
    page.get_by_label("困难情况说明").fill("丈夫今年住院两次,自己花了四万多元,孩子还在上学。")
    page.get_by_label(re.compile("本人承诺所填信息真实")).check()
    solve_captcha(page)
    page.get_by_role("button", name="提交申报").click()

    # A mistyped ID number is explained next to its field; the rest of the form is kept.
    expect(page.locator(".field.has-error")).to_contain_text("校验位不对")
    expect(page.get_by_label("申报人姓名")).to_have_value("阿依古丽•买买提")
    assert Declaration.objects.count() == 0
    page.get_by_label("身份证号码").fill(STRANGER_ID)
    page.get_by_label(re.compile("本人承诺所填信息真实")).check()
    solve_captcha(page)
    page.get_by_role("button", name="提交申报").click()

    expect(page.get_by_role("heading", name="申报已提交")).to_be_visible()
    reference = page.locator("#reference").inner_text().strip()
    assert re.fullmatch(r"SB\d{4}-[2-9A-HJKMNP-Z]{6}", reference)
    fits_the_screen(page)
    page.screenshot(path=tmp_path / "done.png", full_page=True)
    declaration = Declaration.objects.get()
    assert declaration.reference == reference and declaration.region_code == world.village.code
    assert Alert.objects.get().subject_name == "阿依古丽·买买提"

    page.get_by_role("link", name="查询办理进度").first.click()
    page.get_by_label("申报编号").fill(reference.lower())
    page.get_by_label("申报时填写的手机号码").fill("13912345678")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("status")).to_contain_text("已受理,等待村里核实")
    fits_the_screen(page)

    page.get_by_label("申报时填写的手机号码").fill("13912345670")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("status")).to_contain_text("没有查到这条申报")


def htmx_settled(page: Page) -> None:
    """Wait until htmx has finished a swap: a select swapped in is live only once htmx has processed it,
    and a choice made before that (a fast browser on a quiet machine) fires no request."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def test_without_a_qr_code_the_applicant_picks_county_township_and_village(small_phone: Page):
    page = small_phone
    world = build_world()
    page.goto("/declare/")
    page.get_by_label("县(市、区)").select_option(label=world.county.name)
    expect(page.get_by_label("乡镇")).to_be_enabled()
    htmx_settled(page)
    page.get_by_label("乡镇").select_option(label=world.township.name)
    expect(page.get_by_label("村", exact=True)).to_be_enabled()
    htmx_settled(page)
    page.get_by_label("村", exact=True).select_option(label=world.other_village.name)
    fits_the_screen(page)
    page.get_by_label("申报人姓名").fill("赵六")
    page.get_by_label("身份证号码").fill(STRANGER_ID)
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_label("住房不安全").check()
    page.get_by_label("困难情况说明").fill("房子漏雨,墙体开裂,住着不安全。")
    page.get_by_label(re.compile("本人承诺所填信息真实")).check()
    old_key = page.locator("input[name=captcha_0]").input_value()
    page.get_by_role("button", name="换一张").click()
    expect(page.locator("input[name=captcha_0]")).not_to_have_value(old_key)
    solve_captcha(page)
    page.get_by_role("button", name="提交申报").click()
    expect(page.get_by_role("heading", name="申报已提交")).to_be_visible()
    assert Declaration.objects.get().village == world.other_village
