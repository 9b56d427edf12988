"""Real-browser fixtures: Playwright's sync API driving Debian's chromium against pytest-django's live_server.

Playwright's own browser download does not work offline, so the tests use the distribution's chromium
(`scripts/ensure-chromium` installs it; DIXIAN_CHROMIUM overrides the path). A missing browser fails the
run with that instruction instead of skipping: the journeys are part of the suite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from .live import OneRequestAtATime

# The sync API keeps an asyncio loop running in the test thread, and Django refuses ORM calls from a thread
# with a running loop; the test's own ORM calls (fixtures, assertions) are synchronous and safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("DIXIAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# An applicant's phone on the public page: 375 x 812, the narrowest common screen.
SMALL_PHONE: dict[str, Any] = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"chromium not found at {CHROMIUM}: run scripts/ensure-chromium (installs Debian's chromium) "
            "or set DIXIAN_CHROMIUM to a chromium binary.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _serialised(live_server) -> None:  # noqa: ANN001 - pytest-django's LiveServer
    from django.db import connection

    httpd = live_server.thread.httpd
    if connection.vendor == "sqlite" and not isinstance(httpd.get_app(), OneRequestAtATime):
        httpd.set_app(OneRequestAtATime(httpd.get_app()))


def _context(browser: Browser, live_server, device: dict[str, Any]) -> BrowserContext:
    _serialised(live_server)
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **device
    )
    # The machines running the suite are shared and may be busy: allow a slow first paint.
    context.set_default_timeout(30_000)
    context.set_default_navigation_timeout(60_000)
    return context


# django_db_serialized_rollback: a transactional test starts from a flushed database, which would also
# drop the rows that migrations seed (the example income lines); serialized rollback restores them first,
# so the pages are driven against the data a real installation has.
@pytest.fixture
def phone(browser: Browser, live_server, django_db_serialized_rollback, transactional_db) -> Iterator[Page]:
    """A phone-sized page (390 x 844, touch), as a village officer uses the platform."""
    context = _context(browser, live_server, PHONE)
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop(browser: Browser, live_server, django_db_serialized_rollback, transactional_db) -> Iterator[Page]:
    context = _context(browser, live_server, DESKTOP)
    yield context.new_page()
    context.close()


@pytest.fixture
def small_phone(
    browser: Browser, live_server, django_db_serialized_rollback, transactional_db
) -> Iterator[Page]:
    """An applicant's phone on the public self-declaration page, not logged in."""
    context = _context(browser, live_server, SMALL_PHONE)
    yield context.new_page()
    context.close()
