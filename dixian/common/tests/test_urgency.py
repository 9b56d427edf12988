"""Colours follow urgency the same way everywhere: a deadline is never calmer than its alert."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from dixian.cases.rows import due_text
from dixian.cases.services import alert_add_evidence
from dixian.common.urgency import due_css, grade_css


def test_each_grade_has_its_colour():
    assert [grade_css(g) for g in ("红", "橙", "黄")] == ["red", "orange", "yellow"]
    assert grade_css("?") == ""


@pytest.mark.parametrize(
    ("grade", "days", "css"),
    [
        ("红", 3, "red"),  # a fresh red alert: red, never green
        ("红", 1, "red"),
        ("橙", 7, "orange"),
        ("橙", 2, "orange"),
        ("黄", 15, "yellow"),
        ("黄", 2, "orange"),  # two days or less: at least orange
        ("黄", 0, "red"),  # due today
        ("橙", -4, "red"),  # overdue
        ("红", None, "muted"),  # closed
    ],
)
def test_a_deadline_is_coloured_by_grade_and_days_left(grade, days, css):
    assert due_css(grade, days) == css


def test_no_open_deadline_is_ever_green():
    for grade in ("红", "橙", "黄"):
        for days in range(-3, 20):
            assert due_css(grade, days) in ("red", "orange", "yellow")


@pytest.mark.django_db
def test_a_red_alert_shows_its_days_left_in_red_on_the_queue_and_its_page(client, world, people):
    alert = alert_add_evidence(
        household=world.home,
        region=world.village,
        risk_code="01",
        channel="department",
        grade="红",
        reason="医疗个人负担 23,400 元",
        dedup_parts=("urgency",),
    ).alert
    assert alert is not None
    assert due_text(alert, timezone.localdate()) == ("剩 3 天", "red")
    client.force_login(people["village_officer"])
    queue = client.get(reverse("cases:alert_queue")).content.decode()
    assert '<span class="red due">剩 3 天</span>' in queue
    page = client.get(reverse("cases:alert_detail", args=[alert.pk])).content.decode()
    assert '<span class="due red">剩 3 天</span>' in page
