"""A finding from import to closing (issue 19 "Done when"; docs/domain.md §25).

The county imports the assessment's findings list, splits a finding into a task for the village and names a
reviewer; the village officer, on a phone, tries to close the task without evidence (refused with the reason),
uploads a photo PDF and closes it; the finding goes to joint review; the county's closing before the reviewer
signed is refused; the reviewer signs; the county closes it (销号) and the history shows every step. The walk
fails on any console error, uncaught script error or CSP violation, and on a page wider than the phone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import xlsxwriter
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, FilePayload, expect

from dixian.monitoring.testing import SMALL_PDF
from dixian.rectification.models import Finding
from dixian.registry.testing import build_world, personas

from .conftest import DESKTOP, PHONE, _context
from .test_case_journey import fits
from .test_funds_journey import log_in, log_out
from .test_leader_journey import Watched

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def patient_expect() -> Iterator[None]:
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=None)


def findings_book(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("问题清单")
    ws.write_row(
        0,
        0,
        ["序号", "问题来源", "问题类别", "问题描述", "县(市、区)", "乡(镇)", "村", "发现日期", "整改时限"],
    )
    ws.write_row(
        1,
        0,
        [
            "1",
            "国考",
            "政策落实",
            "监测户帮扶措施与风险类型不匹配",
            "修水县",
            "义宁镇",
            "良塘村",
            "2026-01-15",
            "2026-12-31",
        ],
    )
    ws.write_row(
        2, 0, ["2", "省考", "工作落实", "驻村工作队在岗不足", "修水县", "义宁镇", "桃坪村", "2026-01-20", ""]
    )
    wb.close()
    return path


def test_a_finding_goes_from_import_to_joint_review_and_closing(
    browser: Browser, live_server, django_db_serialized_rollback, transactional_db, tmp_path
):
    world = build_world()
    personas(world)
    problems: list[str] = []

    desk_context = _context(browser, live_server, DESKTOP)
    watched = Watched(desk_context)
    desk = watched.page
    desk.on("dialog", lambda d: d.accept())
    log_in(desk, "county_admin", reverse("rectification:finding_list"))
    desk.get_by_role("link", name="导入问题清单").click()
    desk.get_by_label("问题清单").set_input_files(str(findings_book(tmp_path / "清单.xlsx")))
    desk.get_by_role("button", name="导入").click()
    expect(desk.locator("#import-result")).to_contain_text("已导入 2 个问题")
    desk.get_by_role("link", name="查看问题台账").click()
    desk.get_by_role("link", name="监测户帮扶措施与风险类型不匹配").click()
    finding = Finding.objects.get(plan_no="1")
    expect(desk).to_have_url(
        re.compile(re.escape(reverse("rectification:finding_detail", args=[finding.pk])))
    )

    desk.get_by_role("link", name="分解整改任务").click()
    desk.locator("#id_title").fill("逐户核实风险类型并调整措施")
    desk.locator("#id_owner_region").select_option(str(world.village.pk))
    desk.locator("#id_owner_unit").fill("良塘村委会")
    desk.locator("#id_owner_name").fill("村支书")
    desk.locator("#id_deadline").fill((timezone.localdate() + dt.timedelta(days=2)).isoformat())
    desk.get_by_role("button", name="保存").click()
    expect(desk.locator("#finding-tasks")).to_contain_text("逐户核实风险类型并调整措施")
    expect(desk.locator("#finding-tasks .badge.orange")).to_contain_text("剩 2 天")  # the cases' colouring

    desk.get_by_role("link", name="指定联审人").click()
    desk.get_by_label(re.compile("county_reviewer")).check()
    desk.get_by_role("button", name="保存").click()
    expect(desk.locator("#finding-reviews")).to_contain_text("county_reviewer")
    problems += watched.problems()
    log_out(desk)

    phone_context = _context(browser, live_server, PHONE)
    watched_phone = Watched(phone_context)
    phone = watched_phone.page
    log_in(phone, "village_officer", reverse("rectification:finding_detail", args=[finding.pk]))
    fits(phone, PHONE["viewport"]["width"])
    phone.get_by_role("link", name="完成任务").click()
    phone.get_by_role("button", name="完成任务").click()
    expect(phone.locator("main form.card, form.card").first).to_contain_text("还没有佐证材料,不能完成")
    # The refused form answers 400 (the browser logs the status); nothing else may be wrong on it.
    assert all("400" in p for p in watched_phone.problems())
    phone.get_by_role("link", name="返回问题").click()
    phone.get_by_role("link", name="上传佐证材料").click()
    photo: FilePayload = {"name": "整改照片.pdf", "mimeType": "application/pdf", "buffer": SMALL_PDF}
    phone.get_by_label("佐证材料").set_input_files(files=[photo])
    phone.get_by_role("button", name="上传").click()
    expect(phone.locator("#finding-tasks")).to_contain_text("整改照片.pdf")
    phone.get_by_role("link", name="完成任务").click()
    phone.get_by_role("button", name="完成任务").click()
    expect(phone.locator("#finding-status")).to_contain_text("联审中")
    fits(phone, PHONE["viewport"]["width"])
    problems += watched_phone.problems()
    log_out(phone)

    log_in(desk, "county_admin", reverse("rectification:finding_detail", args=[finding.pk]))
    desk.get_by_role("button", name="销号").click()
    expect(desk.locator(".messages")).to_contain_text("还有 1 位联审人未签署同意")
    log_out(desk)

    log_in(desk, "county_reviewer", reverse("rectification:finding_detail", args=[finding.pk]))
    desk.get_by_label("同意销号").check()
    desk.get_by_role("button", name="提交审核意见").click()
    expect(desk.locator("#finding-reviews")).to_contain_text("同意销号")
    log_out(desk)

    log_in(desk, "county_admin", reverse("rectification:finding_detail", args=[finding.pk]))
    desk.get_by_role("button", name="销号").click()
    expect(desk.locator("#finding-status")).to_contain_text("已销号")
    history = desk.locator("#finding-history")
    for step in ("导入问题", "分解任务", "上传佐证材料", "完成任务", "提交联审", "联审同意", "销号"):
        expect(history).to_contain_text(step)
    problems += watched.problems()
    assert problems == []
    finding.refresh_from_db()
    assert finding.status == Finding.Status.CLOSED
