"""The Content-Security-Policy in a real browser (docs/security.md §7): every page of the walk, as the
accounts that see the most and as the anonymous applicant, loads with no violation reported: no inline
script, style or handler, no eval (htmx runs with allowEval off). The behaviours that moved out of the
templates still work: the editor's 取消, the public form's 换一张 and its place selects."""

from __future__ import annotations

import dataclasses

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from dixian.common.models import Job
from dixian.registry.testing import build_world, personas
from dixian.screening.models import ScreeningRun

from ..test_no_leak import NOWHERE_TARGETS
from .conftest import DESKTOP, _context
from .test_plain_chinese_walk import a_generated_delivery_and_its_evidence, html_pages, log_in, targets_of

pytestmark = pytest.mark.browser

# Collects what the browser refuses under the policy, from the first byte of every document.
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def watched(context: BrowserContext) -> tuple[Page, list[str]]:
    """A page whose CSP violations and console errors about the policy are collected."""
    context.add_init_script(LISTEN)
    page = context.new_page()
    console: list[str] = []
    page.on(
        "console",
        lambda m: (
            console.append(m.text) if "Content Security Policy" in m.text or "unsafe-eval" in m.text else None
        ),
    )
    return page, console


def violations(page: Page, console: list[str], url: str) -> list[str]:
    found = [f"{url}: {v}" for v in page.evaluate("window.__csp || []")]
    found += [f"{url}: console: {m}" for m in console]
    console.clear()
    return found


def test_no_page_violates_the_policy(
    browser: Browser, live_server, django_db_serialized_rollback, transactional_db
):
    world = build_world()
    people = personas(world)
    a_generated_delivery_and_its_evidence(world)
    run = ScreeningRun.objects.create(
        period="2026-10",
        trigger=ScreeningRun.Trigger.MANUAL,
        status=ScreeningRun.Status.DONE,
        finished_at=timezone.now(),
        rules_run=["R01v1"],
        message="新增预警 3 条",
    )
    client = Client()
    plan: dict[str, list[str]] = {}
    for name in ("city_admin", "village_officer"):
        user = people[name]
        job = Job.objects.create(
            kind="household_export", owner=user, status=Job.Status.DONE, finished_at=timezone.now()
        )
        client.force_login(user)
        plan[name] = html_pages(client, targets_of(world, user, job, run))
        client.logout()
    plan["anonymous"] = html_pages(
        client, dataclasses.replace(NOWHERE_TARGETS, village=world.village.code), public_only=True
    )
    assert len(plan["city_admin"]) >= 30 and plan["anonymous"], plan

    problems: list[str] = []
    for name, urls in plan.items():
        context = _context(browser, live_server, DESKTOP)
        page, console = watched(context)
        if name != "anonymous":
            log_in(page, name)
        for url in urls:
            response = page.goto(url)
            assert response is not None and "script-src 'self'" in (
                response.header_value("content-security-policy") or ""
            )
            page.wait_for_load_state("load")
            problems += violations(page, console, url)
        if name == "village_officer":
            # htmx loads the member editor; 取消 (a listener in site.js, formerly hx-on code) removes it.
            page.goto(f"/households/{world.home.pk}/")
            page.locator("#member-editor").wait_for(state="attached")
            page.get_by_role("link", name="新增成员").click()
            form = page.locator("form.editor-form")
            expect(form).to_be_visible()
            form.get_by_role("link", name="取消").click()
            expect(page.locator("form.editor-form")).to_have_count(0)
            expect(page).to_have_url(f"{live_server.url}/households/{world.home.pk}/")
            problems += violations(page, console, "member editor")
        if name == "anonymous":
            page.goto("/declare/")
            old = page.locator("input[name=captcha_0]").input_value()
            page.get_by_role("button", name="换一张").click()
            expect(page.locator("input[name=captcha_0]")).not_to_have_value(old)
            problems += violations(page, console, "换一张")
        context.close()
    assert not problems, "\n".join(problems)
