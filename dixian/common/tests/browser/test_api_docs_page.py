"""The push API's documentation page in a real browser: as wide as the screen, examples copyable as written."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_api_docs_fit_the_screen_and_their_examples_keep_their_lines(device: str, request) -> None:
    page: Page = request.getfixturevalue(device)
    page.goto("/api/docs")
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    blocks = page.locator("pre.code code")
    example, curl = blocks.nth(0).inner_text(), blocks.nth(1).inner_text()
    # What a reader copies is what the server takes: the example is JSON, the command keeps its lines.
    assert json.loads(example)["rows"][0]["结算单号"]
    lines = curl.splitlines()
    assert len(lines) >= 4 and all(line.endswith("\\") for line in lines[:-1]), curl
    # A long line scrolls inside its block, never the page.
    for block in (page.locator("pre.code").nth(0), page.locator("pre.code").nth(1)):
        box = block.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1
    assert page.get_by_role("heading", name="怎样推送").is_visible()
