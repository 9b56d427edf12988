"""A monitoring case from clue to 监测帮扶中 in a real browser, each step by the account that owns it
(docs/domain.md §5, §20): the village officer on a phone proposes an alert (拟纳入) and does the home check
with the signed authorisation; the county reviewer compares the information; the village holds the
democratic review and the notice, which may not close before five full days; the township reviews; the
county approves only once a helper is paired; the township announces; the village adds a measure. Each
illegal move on the way is refused with its Chinese reason on the page, and the printable notices show the
head of household but never an ID number or a phone.

The village officer stays logged in on the phone; the county and township accounts take turns on a desktop,
logging in and out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.db.models import F
from playwright.sync_api import FilePayload, Page, expect

from dixian.cases.models import Alert
from dixian.cases.services import alert_add_evidence
from dixian.common.masking import id_number_shown, phone_shown
from dixian.common.testing import PASSWORD
from dixian.domain import lifecycle as lc
from dixian.monitoring.models import CaseAttachment, Measure, MonitoringCase
from dixian.monitoring.testing import SMALL_PDF
from dixian.registry.models import HelperAssignment, Person
from dixian.registry.testing import build_world, personas
from dixian.screening.models import RuleVersion

pytestmark = pytest.mark.browser

REASON = "2026年1-10月张三医疗个人负担 23,400 元,达到一般农户阈值 20,000 元(规则 R01 第1版)"
DONE = "已办理,档案已进入下一环节。"


@pytest.fixture(autouse=True)
def patient_expect() -> Iterator[None]:
    """Assertions wait as long as the pages' actions do (30 s, conftest): the runner is shared and busy."""
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=None)  # Playwright's own default again


def log_in(page: Page, username: str, url: str) -> None:
    page.goto(url)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".who")).to_contain_text(username)


def log_out(page: Page) -> None:
    page.locator(".who").get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def act(page: Page, action: str) -> None:
    """Press the current step's button (its action's name, lifecycle.STEPS) on the case page."""
    page.locator("#case-actions").get_by_role("button", name=action, exact=True).click()


def state_of(case: MonitoringCase) -> str:
    case.refresh_from_db()
    return case.state


def fits(page: Page, width: int = 375) -> None:
    """Nothing sticks out sideways on the phone."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, (page.url, scroll)


def shows_no_personal_numbers(page: Page, numbers: list[str]) -> None:
    html = page.content()
    for number in numbers:
        assert number not in html, number


def test_a_case_walks_from_clue_to_monitoring_with_each_owner(small_phone: Page, desktop: Page):
    world = build_world()
    people = personas(world)
    # A household nobody is paired with yet: county approval must wait for a 帮扶联系人.
    HelperAssignment.objects.filter(household=world.home).delete()
    alert = alert_add_evidence(
        household=world.home,
        region=world.village,
        risk_code="01",
        channel="department",
        grade="红",
        reason=REASON,
        dedup_parts=("browser",),
        rule_version=RuleVersion.objects.get(rule__rule_id="R01", version=1),
        feed="medical",
    ).alert
    head = Person.objects.get(household=world.home, relation="head")
    phone_number = world.home.phone
    # Neither the whole numbers nor their masked forms belong on a notice.
    private = [
        head.id_number,
        id_number_shown(head.id_number, pii=False),
        phone_number,
        phone_shown(phone_number, pii=False),
    ]
    village = small_phone

    # --- 拟纳入, on the village officer's phone --------------------------------------------------------------
    log_in(village, "village_officer", f"/alerts/{alert.pk}/")
    expect(village.get_by_role("heading", name="01 因病")).to_be_visible()
    village.get_by_role("button", name="拟纳入", exact=True).click()
    expect(village.locator(".messages")).to_contain_text("已拟纳入 1 条预警线索")
    case = MonitoringCase.objects.get(household=world.home)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.PROPOSED
    case_url = f"/monitoring/{case.pk}/"
    expect(village).to_have_url(re.compile(rf"{case_url}$"))
    expect(village.get_by_role("heading", level=1)).to_contain_text("入户核实")
    fits(village)

    # --- 入户核实 on the phone: refused without the signed authorisation, then done with it -----------------
    village.get_by_role("link", name="填写入户核实").click()
    expect(village.get_by_role("heading", name=re.compile("入户核实 · 张三户"))).to_be_visible()
    fits(village)
    village.get_by_label("监测对象类别").select_option(label="突发严重困难户")
    risks = village.locator("fieldset.risk-checklist")
    expect(risks.get_by_label("因病", exact=False).first).to_be_checked()  # pre-ticked from the alert
    village.get_by_role("button", name="完成入户核实").click()
    expect(village.locator(".form-errors")).to_contain_text(
        "请先上传农户签字的承诺授权书(照片或PDF),再完成入户核实"
    )
    assert state_of(case) == lc.HOME_CHECK
    village.get_by_label("监测对象类别").select_option(label="突发严重困难户")
    village.get_by_label("农户签字的承诺授权书(拍照或 PDF)").set_input_files(
        [FilePayload(name="承诺授权书.pdf", mimeType="application/pdf", buffer=SMALL_PDF)]
    )
    village.get_by_role("button", name="完成入户核实").click()
    expect(village.locator(".messages")).to_contain_text("入户核实已完成,档案已转县级信息比对。")
    assert state_of(case) == lc.ASSET_CHECK
    assert (case.category, case.risk_codes) == ("sudden_hardship", ["01"])
    assert case.attachments.filter(kind=CaseAttachment.Kind.AUTHORISATION).count() == 1
    # The village may not do the county's step: no action, and the page says whose step it is.
    expect(village.locator("#case-actions")).to_have_count(0)
    expect(village.get_by_text("“信息比对”环节由县级审核员(信息比对)办理")).to_be_visible()

    # --- 信息比对: the county reviewer ---------------------------------------------------------------------
    county = desktop
    log_in(county, "county_reviewer", case_url)
    act(county, "完成信息比对")
    expect(county.locator(".messages")).to_contain_text(DONE)
    expect(county.get_by_text("“民主评议”环节由村级办理")).to_be_visible()
    assert state_of(case) == lc.VILLAGE_REVIEW
    log_out(county)

    # --- 民主评议 and 村内公示: the village, on the phone --------------------------------------------------------
    village.goto(case_url)
    act(village, "完成民主评议")
    expect(village.locator(".messages")).to_contain_text(DONE)
    assert state_of(case) == lc.PUBLIC_NOTICE
    today = case.notice_posted_on
    assert today is not None
    act(village, "公示期满,无异议")  # the same day: refused, five full days have not passed
    earliest = lc.notice_may_close_on(today)
    expect(village.locator(".messages")).to_contain_text(
        f"公示须满5个整天:本次公示于{today.year}年{today.month}月{today.day}日开始,"
        f"{earliest.year}年{earliest.month}月{earliest.day}日起才能结束公示。"
    )
    assert state_of(case) == lc.PUBLIC_NOTICE
    # The printable notice names the head of household, never a number.
    village.locator("#case-notice").get_by_role("link", name="查看并打印村内公示").click()
    expect(village.get_by_role("heading", name="关于拟纳入防止返贫监测对象的公示")).to_be_visible()
    expect(village.locator("table")).to_contain_text("张三")
    expect(village.locator("table")).to_contain_text("突发严重困难户")
    shows_no_personal_numbers(village, private)
    # Six days pass, as the clock would have them: the notice was posted six days ago.
    MonitoringCase.objects.filter(pk=case.pk).update(
        notice_posted_on=F("notice_posted_on") - dt.timedelta(days=6)
    )
    village.goto(case_url)
    act(village, "公示期满,无异议")
    expect(village.locator(".messages")).to_contain_text(DONE)
    assert state_of(case) == lc.TOWNSHIP_REVIEW

    # --- 乡镇初审: the township ---------------------------------------------------------------------------------
    log_in(county, "township_reviewer", case_url)
    act(county, "初审通过")
    expect(county.locator(".messages")).to_contain_text(DONE)
    assert state_of(case) == lc.COUNTY_APPROVAL
    log_out(county)

    # --- 县级审定 without a helper: refused --------------------------------------------------------------------
    log_in(county, "county_admin", case_url)
    expect(county.locator("#case-assistance")).to_contain_text("县级审定纳入监测前须落实结对帮扶")
    act(county, "审定纳入监测")
    expect(county.locator(".messages")).to_contain_text("审定纳入监测前,请先为该户落实帮扶联系人(结对帮扶)")
    assert state_of(case) == lc.COUNTY_APPROVAL
    log_out(county)

    # --- the village pairs a helper through the assistance panel ------------------------------------------
    village.goto(case_url)
    panel = village.locator("#case-assistance")
    panel.locator("summary", has_text="安排帮扶联系人").click()
    panel.get_by_label("帮扶联系人").select_option(label="helper(良塘村)")
    panel.get_by_label("帮扶单位").fill("县农业农村局")
    panel.get_by_role("button", name="安排", exact=True).click()
    expect(village.locator(".messages")).to_contain_text("已安排helper为该户的帮扶联系人。")
    expect(village.locator("#case-assistance")).to_contain_text("县农业农村局")
    assert HelperAssignment.objects.filter(household=world.home, helper=people["helper"]).exists()

    # --- 县级审定 and 公告 -------------------------------------------------------------------------------------
    log_in(county, "county_admin", case_url)
    act(county, "审定纳入监测")
    expect(county.locator(".messages")).to_contain_text(DONE)
    assert state_of(case) == lc.ANNOUNCEMENT
    log_out(county)
    log_in(county, "township_reviewer", case_url)
    county.locator("#case-notice").get_by_role("link", name="查看并打印乡镇公告").click()
    expect(county.get_by_role("heading", name="关于纳入防止返贫监测对象的公告")).to_be_visible()
    expect(county.locator("table")).to_contain_text("张三")
    shows_no_personal_numbers(county, private)
    county.goto(case_url)
    act(county, "发布公告")
    expect(county.locator(".messages")).to_contain_text(DONE)
    assert state_of(case) == lc.MONITORING
    log_out(county)

    # --- 监测帮扶中: the village adds a measure from the plan panel ---------------------------------------------
    village.goto(case_url)
    expect(village.get_by_role("heading", level=1)).to_contain_text("监测帮扶中")
    fits(village)
    village.locator("#case-assistance").get_by_role("link", name="+ 健康帮扶").click()
    expect(village.get_by_role("heading", name="添加帮扶措施")).to_be_visible()
    expect(village.get_by_label("措施类别")).to_have_value("health")
    fits(village)
    village.get_by_label("具体措施").fill("医疗救助")
    village.get_by_label("落实单位或责任人").fill("县医保局")
    village.get_by_role("button", name="保存").click()
    expect(village.locator(".messages")).to_contain_text("已添加帮扶措施:医疗救助。")
    expect(village).to_have_url(re.compile(rf"{case_url}$"))
    item = village.locator("#case-assistance .assist-item", has_text="医疗救助")
    expect(item).to_contain_text("计划实施")
    # The household is monitored: the measure may be marked as carried out, from the same panel.
    item.get_by_role("button", name="标记落实").click()
    expect(village.locator(".messages")).to_contain_text("帮扶措施“医疗救助”:已落实。")
    measure = Measure.objects.get(case=case)
    assert (measure.category, measure.status) == ("health", Measure.Status.APPLIED)
    case.refresh_from_db()
    assert case.identified_on == today  # county approval, dated the day it was done
