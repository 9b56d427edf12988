"""Every page, as every persona sees it, in plain Chinese: a real browser walks each page a persona may open
and fails on the internal tokens users reported (issue 11) — a stored file name (medical.parquet), a code in
the change history (open → verifying), a template placeholder ({income}), an English status, the bare name
of a document users cannot open, a Python value (None, True), a number in scientific notation (5E+1).

The pages are those of `test_no_leak` (every URL pattern, so a page added later is walked without anyone
remembering to), filled with real records of the persona's own scope so that detail pages render: a visit
with a photo, an alert whose status changed and whose evidence names a generated delivery, a rejected
delivery, a 应纳未纳 record, a pending link, a self-declaration, a screening run, a rule. The push API's
pages (/api/…) are the API's own documents and are left to its tests.

What is checked is the page's visible text (`innerText`), as a person reads it, after removing the rule
editor's list of placeholders: that list teaches how to write a template, so its braces are meant.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page

from dixian.accounts.models import User
from dixian.cases.models import Alert
from dixian.cases.services import alert_add_evidence, alert_set_status
from dixian.common.models import Job
from dixian.common.testing import PASSWORD
from dixian.feeds.models import FeedDelivery
from dixian.registry.models import Household
from dixian.registry.selectors import household_scope_for_user
from dixian.registry.testing import PERSONA_NAMES, build_world, household, personas
from dixian.screening.models import RuleVersion, ScreeningRun

from ..test_no_leak import (
    FILL,
    MISSING,
    NOWHERE_TARGETS,
    PUBLIC,
    Targets,
    project_routes,
    targets_for,
    url_for,
)
from .conftest import DESKTOP, _context
from .live import server_idle

pytestmark = pytest.mark.browser

# Tokens a user must never read, each with what it betrays.
INTERNAL: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"parquet", re.IGNORECASE), "a stored file name (.parquet)"),
    (re.compile(r"\b[a-z_]+ → |→ [a-z_]+\b"), "a code in a change (open → verifying)"),
    (re.compile(r"\{[a-z_]+\}"), "a template placeholder ({income})"),
    (
        re.compile(
            r"\b(open|verifying|confirmed|dismissed|closed|pending|accepted|rejected|screened|received|"
            r"queued|running|done|failed|auto|manual|monthly|upload|generated|department|cadre_visit)\b"
        ),
        "an English status or code",
    ),
    (re.compile(r"feeds\.md|domain\.md"), "a document name users cannot open"),
    (re.compile(r"\b(None|True|False)\b"), "a Python value"),
    # With a decimal point or a sign (3.60423E+17, 1E+05), as Excel shows a long number: a bare "3E73" is also a
    # group of a second-factor secret (base32, shown in groups of four) and was a false alarm.
    (re.compile(r"\b\d+\.\d+E[+-]?\d+\b|\b\d+E[+-]\d+\b"), "a number in scientific notation"),
]

# Not pages: they end a session, or answer with a file, an image or a fragment of the public form's
# captcha; the API's pages belong to its own tests.
SKIP = {"accounts:logout"}
VISIBLE_TEXT = """() => {
  document.querySelectorAll('.template-syntax').forEach((e) => e.remove());
  return document.body.innerText;
}"""


def internal_tokens(text: str) -> list[str]:
    found = []
    for pattern, what in INTERNAL:
        for match in pattern.finditer(text):
            start = max(0, match.start() - 30)
            found.append(f"{what}: …{text[start : match.end() + 30]}…".replace("\n", " "))
    return found


def html_pages(client: Client, targets: Targets | None, *, public_only: bool = False) -> list[str]:
    """The URLs that answer this account's GET with a page (200, HTML), in URL-pattern order."""
    urls = []
    for route in project_routes():
        if route.name in SKIP or route.name.startswith("api:"):
            continue
        if public_only and route.name not in PUBLIC:
            continue
        if route.params:
            if route.name not in FILL or targets is None:
                continue
            url = url_for(route, targets)
        else:
            url = reverse(route.name)
        response = client.get(url)
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            urls.append(url)
    return urls


def a_generated_delivery_and_its_evidence(world) -> None:
    """What the demo shows: an alert whose evidence names a generated delivery (stored as medical.parquet)."""
    delivery = FeedDelivery.objects.create(
        feed="disability",
        period="2026-10",
        channel=FeedDelivery.Channel.GENERATED,
        region=world.city,
        file_name="disability.parquet",
        checksum="d" * 64,
        status=FeedDelivery.Status.ACCEPTED,
    )
    for h in (world.home, world.neighbour, world.far):
        alert_add_evidence(
            household=h,
            region=h.region,
            risk_code="03",
            channel="department",
            grade="橙",
            reason=f"2026年10月5日{h.head_name}新增一级残疾(规则 R04 第1版)",
            dedup_parts=("walk", h.pk),
            rule_version=RuleVersion.objects.get(rule__rule_id="R04", version=1),
            feed="disability",
            delivery=delivery,
        )


def targets_of(world, user: User, job: Job, run: ScreeningRun) -> Targets:
    """Records of the account's own scope for every kind of page (or keys that exist nowhere)."""
    visible = set(household_scope_for_user(user).values_list("pk", flat=True))
    _, inside = targets_for(world, visible, job, None, user)
    if inside is None:
        inside = Targets(
            household=MISSING,
            person=MISSING,
            job=job.pk,
            batch=MISSING,
            household_no="0" * 16,
            id_number="0" * 18,
        )
    return dataclasses.replace(inside, screening_run=run.pk, rule="R01", job=job.pk)


# One test per persona (and the anonymous visitor), so that a parallel run (pytest-xdist, Makefile) shares
# the walk out between workers.
@pytest.mark.parametrize("name", [*PERSONA_NAMES, "anonymous"])
def test_no_page_shows_an_internal_code_to_any_persona(
    browser: Browser, live_server, django_db_serialized_rollback, transactional_db, name: str
):
    world = build_world()
    people = personas(world)
    a_generated_delivery_and_its_evidence(world)
    run = ScreeningRun.objects.create(
        period="2026-10",
        trigger=ScreeningRun.Trigger.MANUAL,
        status=ScreeningRun.Status.DONE,
        finished_at=timezone.now(),
        rules_run=["R01v1", "R04v1"],
        rules_skipped={"R17": "本期没有水利局的数据"},
        message="新增预警 3 条,并入已有预警 0 条",
    )
    client = Client()
    if name == "anonymous":
        anonymous_targets = dataclasses.replace(NOWHERE_TARGETS, village=world.village.code)
        urls = html_pages(client, anonymous_targets, public_only=True)
    else:
        user = people[name]
        job = Job.objects.create(
            kind="household_export", owner=user, status=Job.Status.DONE, finished_at=timezone.now()
        )
        targets = targets_of(world, user, job, run)
        client.force_login(user)
        urls = html_pages(client, targets)
        client.logout()
    # Every alert of the walk has moved on once, so the history shows a status change.
    for alert in Alert.objects.filter(status=Alert.Status.OPEN):
        alert_set_status(alert=alert, status=Alert.Status.VERIFYING, note="", actor=people["city_admin"])
    least = {"city_admin": 30, "helper": 10}.get(name, 1)
    assert len(urls) >= least, urls  # the walk walks
    if name == "village_officer":
        assert any("/alerts/" in u and u.rstrip("/").split("/")[-1].isdigit() for u in urls)

    problems: list[str] = []
    context = _context(browser, live_server, DESKTOP)
    page = context.new_page()
    if name != "anonymous":
        log_in(page, name)
    for url in urls:
        page.goto(url)
        problems.extend(f"{name} {url}: {p}" for p in internal_tokens(page.evaluate(VISIBLE_TEXT)))
    if name == "village_officer":
        icon = page.request.get(static("dixian/favicon.svg"))
        assert icon.ok and "svg" in icon.headers.get("content-type", ""), "the favicon is not served"
    context.close()
    assert not problems, "\n".join(problems)


def log_in(page: Page, username: str) -> None:
    page.goto(reverse("accounts:login"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def test_the_household_list_is_compact_on_a_small_phone(small_phone: Page, tmp_path: Path):
    world = build_world()
    personas(world)
    with server_idle():
        for seq in range(2, 10):
            household(f"36042410020100{seq:02d}", world.village, f"赵{seq}", 10 + seq)
        Household.objects.filter(pk=world.home.pk).update(water_ok=False, housing_ok=False)
    log_in(small_phone, "village_officer")
    small_phone.goto(reverse("registry:household_list"))
    rows = small_phone.locator("table.households tbody tr")
    assert rows.count() == 9
    heights = rows.evaluate_all("(rows) => rows.map((r) => r.getBoundingClientRect().height)")
    small_phone.screenshot(path=str(tmp_path / "households-375x812.png"))
    # Three short lines a household at most (eight label/value lines before: ~220 px each).
    assert max(heights) <= 90, heights
    assert small_phone.evaluate("document.documentElement.scrollWidth") <= 375
    first = rows.first
    assert first.locator("td").nth(1).bounding_box()["y"] == pytest.approx(
        first.locator("td").nth(0).bounding_box()["y"], abs=8
    ), "户主 and 户编号 share the first line"


def test_scientific_notation_is_told_from_a_secrets_group() -> None:
    assert internal_tokens("证件号码 3.60423E+17") and internal_tokens("金额 5E+1")
    assert not internal_tokens("密钥 ABCD 3E73 WXYZ")  # a group of a second-factor secret (base32)
