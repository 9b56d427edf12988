"""A project of the 衔接资金 from proposal to the region's report in a real browser (issue 16 "Done when";
docs/domain.md §22): the village officer proposes a project on a phone, its budget by fund source; the
township passes it; the county approves it, which starts the publicity, and closes the publicity only once
the period has passed, so the project enters the year's plan; the project's page tells each step in
Chinese. The sector office records the actual start; the finance office records an allocation, arranges it
to the project and records a payment, and sees a payment for a use on the negative list refused with the
rule that forbids it, and one beyond the budget refused with what is left. The county's funds page counts
the project as started, shows the paid amount and 支出进度 exactly as `dixian.funds.figures` computes them,
and its 已开工项目 figure leads to a project list holding the project; the leader's city page shows the same
money in the county's row.

Every step goes through the pages as their users fill them; the test fails on any console error, uncaught
script error or Content-Security-Policy violation on the way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from dixian.accounts.models import User
from dixian.common.templatetags.numbers import yuan as page_yuan
from dixian.common.testing import PASSWORD
from dixian.domain import funds as fd
from dixian.funds.figures import region_report
from dixian.funds.models import Arrangement, Payment, Project, ProjectBudget
from dixian.funds.negative_list import negative_list_on
from dixian.funds.report import value_text
from dixian.registry.testing import build_world, personas

from .conftest import DESKTOP, PHONE, _context
from .live import server_idle
from .test_leader_journey import Watched

pytestmark = pytest.mark.browser

NAME = "良塘村蔬菜大棚建设项目"
# Two fund sources, one with fen: the total must be their exact sum.
CENTRAL = Decimal("300000.00")
PROVINCE = Decimal("50000.50")
BUDGET = CENTRAL + PROVINCE
ISSUED = Decimal("1000000.00")
ARRANGED = Decimal("300000.00")
PAID = Decimal("123456.78")
FORBIDDEN_USE = "rent"  # 租金: on the default negative list (docs/domain.md §22)


@pytest.fixture(autouse=True)
def patient_expect() -> Iterator[None]:
    """Assertions wait as long as the pages' actions do (30 s, conftest): the runner is shared and busy."""
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=None)


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


def move(page: Page, label: str) -> None:
    """Press a move of the project bank (dixian.domain.funds.PROJECT_MOVES) on the project's page."""
    page.locator("#project-actions").get_by_role("button", name=label, exact=True).click()


def state_of(project: Project) -> str:
    with server_idle():
        project.refresh_from_db()
    return project.state


def fits(page: Page, width: int) -> None:
    """Nothing sticks out sideways on the phone."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways ({scroll} > {width})"


def who(user: User) -> str:
    return user.get_full_name() or user.username


def yuan(amount: Decimal) -> str:
    """An amount as the messages and the report write it (to the fen); the pages' tables use `page_yuan`."""
    return f"{amount:,.2f}"


def test_a_project_walks_from_proposal_to_the_report_with_each_office(
    browser: Browser, live_server, django_db_serialized_rollback, transactional_db
):
    world = build_world()
    people = personas(world)
    today = timezone.localdate()
    problems: list[str] = []

    # --- 村级申报, on the village officer's phone: budget by fund source ------------------------------------
    phone_context = _context(browser, live_server, PHONE)
    watched_phone = Watched(phone_context)
    village = watched_phone.page
    log_in(village, "village_officer", reverse("funds:project_list"))
    expect(village).to_have_url(re.compile(re.escape(reverse("funds:project_list")) + "$"))
    village.get_by_role("link", name="申报项目", exact=True).click()
    expect(village.get_by_role("heading", name="申报项目")).to_be_visible()
    fits(village, PHONE["viewport"]["width"])
    village.get_by_label("项目名称").fill(NAME)
    village.get_by_label("项目类型").select_option(label=fd.PROJECT_TYPES[fd.INDUSTRY])
    village.get_by_label("项目地点").select_option(value=str(world.village.pk))
    village.get_by_label("项目实施单位").fill("良塘村村民委员会")
    village.get_by_label("建设内容及规模").fill("新建钢架大棚20亩,配套滴灌设施")
    village.get_by_label("计划开工日期").fill(f"{today:%Y-%m-%d}")
    village.get_by_label("计划完工日期").fill(f"{today + dt.timedelta(days=90):%Y-%m-%d}")
    # Typed as the offices type money: thousands separators, a full-width digit.
    village.get_by_label("中央资金(元)").fill("300,000.00")
    village.get_by_label("省级资金(元)").fill("5０000.5")
    village.get_by_role("button", name="提交申报").click()
    expect(village.locator(".messages")).to_contain_text("等待乡镇审核")
    with server_idle():
        project = Project.objects.get(name=NAME)
        budgets = dict(ProjectBudget.objects.filter(project=project).values_list("level", "amount"))
    assert budgets == {fd.CENTRAL: CENTRAL, fd.PROVINCE: PROVINCE}
    assert project.budget_total == BUDGET
    assert (project.region_id, project.year, project.state) == (world.village.pk, today.year, fd.PROPOSED)
    project_url = reverse("funds:project_detail", args=[project.pk])
    expect(village).to_have_url(re.compile(re.escape(project_url) + "$"))
    expect(village.get_by_role("heading", level=1)).to_contain_text(NAME)
    expect(village.locator("main")).to_contain_text(f"总投资{page_yuan(BUDGET)}")
    # The next step is the township's: the village has no button, and the page says so.
    expect(village.locator("#project-actions button")).to_have_count(0)
    expect(village.locator("#project-actions")).to_contain_text("下一步由乡镇办理")
    fits(village, PHONE["viewport"]["width"])
    problems += watched_phone.problems()
    phone_context.close()

    # --- 乡镇审核, at a desk -------------------------------------------------------------------------------
    desk_context = _context(browser, live_server, DESKTOP)
    watched = Watched(desk_context)
    desk = watched.page
    log_in(desk, "township_reviewer", project_url)
    move(desk, "乡镇审核通过")
    expect(desk.locator(".messages")).to_contain_text(
        f"已办理:乡镇审核通过。项目{fd.PROJECT_STATES[fd.TOWNSHIP_PASSED]}。"
    )
    assert state_of(project) == fd.TOWNSHIP_PASSED
    log_out(desk)

    # --- 县级审定: the publicity starts; closing it the same day is refused ------------------------------------
    log_in(desk, "county_admin", project_url)
    move(desk, "县级审定通过,开始公示")
    expect(desk.locator(".messages")).to_contain_text(f"项目{fd.PROJECT_STATES[fd.PUBLICITY]}。")
    assert state_of(project) == fd.PUBLICITY
    assert project.publicity_started_on == today
    days = project.publicity_days
    assert days == fd.DEFAULT_PUBLICITY_DAYS
    first = fd.publicity_may_close_on(today, days)
    expect(desk.locator("main")).to_contain_text(
        f"公示自 {today:%Y-%m-%d} 开始,为期 {days} 天,{first:%Y-%m-%d} 起可结束公示"
    )
    move(desk, "公示期满,纳入年度实施计划")
    expect(desk.locator(".messages")).to_contain_text(
        f"公示自 {today:%Y-%m-%d} 开始,须满 {days} 天,{first:%Y-%m-%d} 起方可结束公示并纳入年度实施计划"
    )
    assert state_of(project) == fd.PUBLICITY
    # The test cannot wait the ten days of the publicity: the publicity is moved back in the database to have
    # begun `days + 1` days ago, as the clock would have it, and the county closes it through the page.
    with server_idle():
        Project.objects.filter(pk=project.pk).update(publicity_started_on=today - dt.timedelta(days=days + 1))
    desk.goto(project_url)
    move(desk, "公示期满,纳入年度实施计划")
    expect(desk.locator(".messages")).to_contain_text(f"项目{fd.PROJECT_STATES[fd.IN_PLAN]}。")
    assert state_of(project) == fd.IN_PLAN
    assert project.planned_on == today
    expect(desk.locator("main")).to_contain_text(f"{today:%Y-%m-%d} 纳入{today.year}年度实施计划。")
    # The history tells each step in Chinese: who, what, and where the project stood after it.
    steps = [
        (people["village_officer"], "村级申报", fd.PROPOSED),
        (people["township_reviewer"], "乡镇审核通过", fd.TOWNSHIP_PASSED),
        (people["county_admin"], "县级审定通过,开始公示", fd.PUBLICITY),
        (people["county_admin"], "公示期满,纳入年度实施计划", fd.IN_PLAN),
    ]
    history = desk.locator("ol.timeline li")
    expect(history).to_have_count(len(steps))
    for i, (actor, label, state) in enumerate(steps):
        expect(history.nth(i)).to_contain_text(f"{who(actor)} {label},项目{fd.PROJECT_STATES[state]}")
    # The county has no more moves, and no way to pay: payments are the finance office's.
    expect(desk.locator("#project-actions button")).to_have_count(0)
    expect(desk.get_by_role("link", name="录入支付")).to_have_count(0)
    log_out(desk)
    problems += watched.problems()

    # --- 实际开工: the sector office records the start ----------------------------------------------------------
    log_in(desk, "sector", project_url)
    desk.locator("summary", has_text="登记实施进度").click()
    desk.get_by_label("实际开工日期").fill(f"{today:%Y-%m-%d}")
    desk.locator("form[action$='/progress/']").get_by_role("button", name="保存").click()
    expect(desk.locator(".messages")).to_contain_text("已登记项目实施进度。")
    with server_idle():
        project.refresh_from_db()
    assert project.started_on == today
    expect(desk.locator("main")).to_contain_text(f"实际开工 {today:%Y-%m-%d}")
    log_out(desk)
    problems += watched.problems()

    # --- 资金下达 and 资金安排: the finance office ----------------------------------------------------------------
    log_in(desk, "finance", reverse("funds:allocation_new"))
    desk.get_by_label("资金级次").select_option(label=fd.FUND_LEVELS[fd.CENTRAL])
    desk.get_by_label("下达文号").fill("修财农〔2026〕18号")
    desk.get_by_label("下达日期").fill(f"{today:%Y-%m-%d}")
    desk.get_by_label("接收单位").select_option(value=str(world.county.pk))
    desk.get_by_label("下达金额(元)").fill("1,000,000")
    desk.get_by_label("资金用途").fill("巩固拓展脱贫攻坚成果和乡村振兴")
    desk.get_by_role("button", name="保存").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("资金下达:修财农〔2026〕18号")
    desk.get_by_role("link", name="安排到项目").click()
    desk.get_by_label("项目编号").fill(project.code)
    desk.get_by_label("安排金额(元)").fill("300000")
    # 安排日期 is left as drawn: today, by default.
    expect(desk.get_by_label("安排日期")).to_have_value(f"{today:%Y-%m-%d}")
    desk.get_by_role("button", name="保存").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("资金下达:修财农〔2026〕18号")
    expect(desk.locator("table")).to_contain_text(project.code)
    with server_idle():
        arranged = Arrangement.objects.get(project=project)
    assert (arranged.amount, arranged.allocation.amount) == (ARRANGED, ISSUED)

    # --- 资金支付: one recorded, one on the negative list refused, one beyond the budget refused ----------------
    desk.goto(project_url)
    expect(desk.locator("main")).to_contain_text(f"合计{page_yuan(ARRANGED)}")
    desk.get_by_role("link", name="录入支付").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("录入支付")

    def pay(amount: str, use: str, payee: str) -> None:
        desk.get_by_label("支付金额(元)").fill(amount)
        desk.get_by_label("资金来源").select_option(value=fd.CENTRAL)
        desk.get_by_label("资金用途").select_option(value=use)
        desk.get_by_label("收款方类别").select_option(value="contractor")
        desk.get_by_label("收款方", exact=True).fill(payee)
        desk.get_by_role("button", name="保存").click()

    pay("123,456.78", "construction", "修水县建工有限公司")
    expect(desk.locator(".messages")).to_contain_text(f"已录入支付 {yuan(PAID)} 元。")
    expect(desk).to_have_url(re.compile(re.escape(project_url) + "$"))
    desk.get_by_role("link", name="录入支付").click()
    pay("8,000", FORBIDDEN_USE, "良塘村村民委员会")
    rule = negative_list_on(today)[FORBIDDEN_USE]
    expect(desk.locator(".notice.error")).to_contain_text(
        f"资金用途“{fd.USE_CATEGORIES[FORBIDDEN_USE].label}”属于负面清单:{rule}"
    )
    left = BUDGET - PAID
    pay(yuan(left + Decimal("0.01")), "construction", "修水县建工有限公司")
    expect(desk.locator(".notice.error")).to_contain_text(
        f"累计支付 {yuan(BUDGET + Decimal('0.01'))} 元将超过项目总投资 {yuan(BUDGET)} 元"
        f"(已支付 {yuan(PAID)} 元,最多还可支付 {yuan(left)} 元)"
    )
    with server_idle():
        assert list(Payment.objects.filter(project=project).values_list("amount", flat=True)) == [PAID]
    desk.goto(project_url)
    expect(desk.locator("main")).to_contain_text(f"已支付 {page_yuan(PAID)} 元")
    log_out(desk)
    problems += watched.problems()

    # --- the county's funds page: the project started, the money paid, the 支出进度 exact ---------------------
    log_in(desk, "county_admin", project_url)
    desk.locator("nav.mainnav").get_by_role("link", name="资金项目").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text(
        f"衔接资金和项目 {world.county.name} · {today.year}年"
    )
    with server_idle():
        figures = region_report(world.county, today.year).total
    assert (figures.planned, figures.started, figures.paid, figures.budget) == (1, 1, PAID, BUDGET)
    assert figures.paid_rate == fd.share(PAID, BUDGET) == Decimal("0.3527")
    assert (figures.issued, figures.arranged) == (ISSUED, ARRANGED)
    # Each card shows the figure and its unit (a rate carries its own "%"), nothing else.
    shown = {
        "planned": ("1", "个"),
        "started": ("1", "个"),
        "started_rate": ("100.00%", ""),
        "paid": (yuan(PAID), "元"),
        "paid_rate": (value_text(figures.paid_rate, "%"), ""),
        "budget": (yuan(BUDGET), "元"),
        "issued": (yuan(ISSUED), "元"),
        "arranged": (yuan(ARRANGED), "元"),
    }
    assert shown["paid_rate"][0] == "35.27%"
    for key, (text, unit) in shown.items():
        card = desk.locator(f"#card-{key} .figure-value")
        expect(card).to_have_text(re.compile(rf"^\s*{re.escape(text)}\s*{unit}\s*$"))
    # 已开工项目 leads to the projects started in the county this year: this one.
    desk.locator("#card-started .figure-value a").click()
    expect(desk).to_have_url(re.compile(re.escape(reverse("funds:project_list")) + r"\?.*progress=started"))
    expect(desk.locator("#project-results")).to_contain_text("共 1 个项目")
    row = desk.locator(f"#project-{project.pk}")
    expect(row).to_contain_text(project.code)
    expect(row.locator("td[data-label='已支付(元)']")).to_have_text(page_yuan(PAID))
    row.get_by_role("link", name=NAME).click()
    expect(desk).to_have_url(re.compile(re.escape(project_url) + "$"))
    log_out(desk)
    problems += watched.problems()

    # --- the leader at the city: the same money, in the county's row of the table by region ---------------
    log_in(desk, "leader", reverse("funds:report"))
    expect(desk.get_by_role("heading", level=1)).to_contain_text(f"衔接资金和项目 {world.city.name}")
    with server_idle():
        city = region_report(world.city, today.year).total
    assert (city.paid, city.paid_rate) == (figures.paid, figures.paid_rate)
    expect(desk.locator("#card-paid_rate .figure-value")).to_have_text(re.compile(r"^\s*35\.27%\s*$"))
    county_row = desk.locator(f"#table-regions tr.rank-row[data-region='{world.county.code}']")
    expect(county_row.locator("td[data-label='已支付资金']")).to_have_text(yuan(PAID))
    expect(county_row.locator("td[data-label='支出进度']")).to_have_text("35.27%")
    problems += watched.problems()
    desk_context.close()

    assert not problems, "\n".join(problems)
