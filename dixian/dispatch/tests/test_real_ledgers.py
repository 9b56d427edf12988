"""The dispatch over the ledgers' own providers, as registered by their apps (docs/domain.md §29)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from dixian.rectification import services
from dixian.rectification.tests.helpers import done, finding, task

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


@pytest.fixture
def under_review(world, people):
    """A finding quoting a phone number in its title, its task done, waiting for the county reviewer."""
    admin = people["county_admin"]
    f = finding(world, admin, title=f"户主反映帮扶干部电话{PHONE}长期打不通")
    t = task(world, admin, f, days=1)
    services.reviewers_add(actor=admin, finding=f, reviewers=[people["county_reviewer"]])
    open_task = task(world, admin, f, days=2, title="回访群众满意度")
    done(people["village_officer"], t)
    return f, open_task


def test_the_command_without_an_account_reads_every_ledger(tmp_path, under_review):
    # The command's reader account is never saved: no provider may filter by it (a review is the account's own).
    out = tmp_path / "周汇总.xlsx"
    week = timezone.localdate().strftime("%G-W%V")
    call_command("dispatch_summary", "--region", "3604", "--week", week, "--out", str(out))
    book = CalamineWorkbook.from_path(str(out))
    cells = [
        str(c) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for c in row
    ]
    assert any("回访群众满意度" in c for c in cells)
    assert not any(PHONE in c for c in cells)  # the summary masks free text as the ledger's pages do


def test_the_page_masks_a_title_the_ledger_masks(client, people, under_review):
    client.force_login(people["county_reviewer"])
    body = client.get(reverse("dispatch:week")).content.decode()
    assert "回访群众满意度" in body  # the open task, named with its finding's title
    assert PHONE not in body
    assert PHONE[:3] in body  # masked, not dropped
