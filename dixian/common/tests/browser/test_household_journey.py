"""The main journeys in a real browser: household page, list and export, import with progress."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from python_calamine import CalamineWorkbook

from dixian.common.access import mask_id_number
from dixian.common.jobs import worker_run_once
from dixian.common.models import ChangeLog
from dixian.common.testing import PASSWORD
from dixian.registry.models import Household, Person
from dixian.registry.testing import build_world, personas
from dixian.registry.tests.workbooks import family, write_workbook

from .live import server_idle

pytestmark = pytest.mark.browser


def log_in(page: Page, username: str) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_village_officer_finds_a_household_and_edits_a_member_on_a_phone(phone: Page):
    world = build_world()
    personas(world)
    spouse = world.home.members.get(relation="spouse")

    log_in(phone, "village_officer")
    # The officer lands on its queue of clues (预警线索); the households are one menu away.
    expect(phone.get_by_role("heading", name="预警线索")).to_be_visible()
    phone.locator(".mainnav").get_by_role("link", name="农户信息").click()
    expect(phone.get_by_role("heading", name="农户信息")).to_be_visible()
    search = phone.get_by_role("searchbox")
    search.fill("张三")
    search.press("Enter")
    expect(phone.get_by_role("link", name=world.home.household_no)).to_be_visible()
    expect(phone.get_by_text(world.neighbour.household_no)).to_have_count(0)
    phone.get_by_role("link", name=world.home.household_no).click()

    expect(phone.get_by_role("heading", name="张三户")).to_be_visible()
    member = phone.locator(f"#member-{spouse.pk}")
    expect(member).to_contain_text(mask_id_number(spouse.id_number))
    assert spouse.id_number not in phone.content()

    member.get_by_role("link", name="修改").click()
    form = phone.locator("form.editor-form")
    expect(form.get_by_role("heading", name="修改成员 张三妻")).to_be_visible()
    form.get_by_label("文化程度").select_option(label="高中")
    form.get_by_role("button", name="保存").click()

    expect(phone.get_by_role("status")).to_contain_text("成员 张三妻 的信息已保存")
    history = phone.locator("ol.history li").first
    expect(history).to_contain_text("修改成员 张三妻")
    expect(history).to_contain_text("文化程度")
    expect(history).to_contain_text("未填写 → 高中")
    expect(phone.locator(f"#member-{spouse.pk}")).to_contain_text("高中")
    assert Person.objects.get(pk=spouse.pk).education == "senior"
    assert ChangeLog.objects.get(entity="person", entity_id=spouse.pk).actor.username == "village_officer"


def test_a_wrong_id_number_is_explained_in_place(phone: Page):
    world = build_world()
    personas(world)
    spouse = world.home.members.get(relation="spouse")
    log_in(phone, "village_officer")
    phone.goto(f"/households/{world.home.pk}/")
    phone.locator(f"#member-{spouse.pk}").get_by_role("link", name="修改").click()
    form = phone.locator("form.editor-form")
    form.get_by_label("证件号码").fill(spouse.id_number[:-1] + ("0" if spouse.id_number[-1] != "0" else "1"))
    form.get_by_role("button", name="保存").click()
    expect(phone.locator("form.editor-form")).to_contain_text("校验位不对")
    assert Person.objects.get(pk=spouse.pk).id_number == spouse.id_number
    assert ChangeLog.objects.count() == 0


def test_leader_reads_the_household_page_without_edit_controls(desktop: Page):
    world = build_world()
    personas(world)
    log_in(desktop, "leader")
    desktop.goto(f"/households/{world.far.pk}/")
    expect(desktop.get_by_role("heading", name="王五户")).to_be_visible()
    expect(desktop.get_by_role("heading", name="三保障和饮水安全")).to_be_visible()
    expect(desktop.get_by_text("修改农户信息")).to_have_count(0)
    expect(desktop.get_by_role("link", name="修改")).to_have_count(0)


def test_county_reviewer_exports_the_filtered_list(desktop: Page, tmp_path):
    world = build_world()
    personas(world)
    log_in(desktop, "county_reviewer")
    # The reviewer lands on the cases waiting for its step; the households are one menu away.
    expect(desktop.get_by_role("heading", name="监测帮扶档案")).to_be_visible()
    desktop.locator(".mainnav").get_by_role("link", name="农户信息").click()
    search = desktop.get_by_role("searchbox")
    search.fill("李四")
    search.press("Enter")
    expect(desktop.get_by_role("link", name=world.neighbour.household_no)).to_be_visible()
    expect(desktop.get_by_role("link", name=world.home.household_no)).to_have_count(0)
    with desktop.expect_download() as download:
        desktop.get_by_role("button", name="导出Excel(含人口)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx"
    book = CalamineWorkbook.from_path(str(path))
    cells = {
        str(cell)
        for name in book.sheet_names
        for row in book.get_sheet_by_name(name).to_python()
        for cell in row
    }
    text = "\n".join(cells)
    assert world.neighbour.household_no in cells
    assert world.home.household_no not in text and world.far.household_no not in text
    head = world.neighbour.members.get(relation="head")
    assert mask_id_number(head.id_number) in cells and head.id_number not in text


def test_village_officer_imports_a_workbook_and_watches_it_finish(phone: Page, tmp_path):
    world = build_world()
    personas(world)
    workbook = write_workbook(tmp_path / "良塘村.xlsx", family("3604241002010009", first_seq=21))
    log_in(phone, "village_officer")
    phone.goto("/households/import/")
    phone.get_by_label("选择 .xlsx 或 .csv 文件").set_input_files(workbook)
    phone.get_by_role("button", name="开始导入").click()
    expect(phone.locator("#import-status")).to_contain_text("排队中")
    expect(phone.get_by_role("progressbar", name="导入进度")).to_be_visible()
    # The worker (`dixian run_worker` in production) runs the job; the page polls until it is done.
    with server_idle():  # the page polls the job's status meanwhile
        while worker_run_once():
            pass
    expect(phone.locator("#import-status")).to_contain_text("导入成功")
    imported = Household.objects.get(household_no="3604241002010009")
    assert (imported.head_name, imported.member_count) == ("张大山", 3)
    phone.get_by_role("link", name="查看农户信息").click()
    expect(phone.get_by_role("link", name="3604241002010009")).to_be_visible()
