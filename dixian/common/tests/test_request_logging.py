"""A 403 or 404 is logged as one line with the path, the account and the reason; a 500 keeps its traceback."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from dixian.common.logs import OneLineClientErrors

pytestmark = pytest.mark.django_db


def request_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request"]


def formatted(record: logging.LogRecord) -> str:
    return logging.Formatter().format(record)


def test_a_refused_page_is_one_line_with_path_account_and_reason(client, world, people, caplog):
    client.force_login(people["helper"])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("feeds:upload"))
    assert response.status_code == 403
    (record,) = request_records(caplog)
    line = formatted(record)
    assert "\n" not in line and "Traceback" not in line
    assert "/feeds/upload/" in line and "[403]" in line and "user=helper" in line


def test_a_missing_page_is_one_line_with_path_and_account(client, world, people, caplog):
    client.force_login(people["village_officer"])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("registry:household_detail", args=[10**9]))
    assert response.status_code == 404
    (record,) = request_records(caplog)
    line = formatted(record)
    assert "\n" not in line and "[404]" in line and "user=village_officer" in line
    assert f"/households/{10**9}/" in line


def test_a_server_error_keeps_its_traceback():
    try:
        raise ValueError("boom")
    except ValueError as exc:
        record = logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error: %s",
            ("/x/",),
            (ValueError, exc, exc.__traceback__),
        )
    record.status_code = 500
    assert OneLineClientErrors().filter(record) is True
    assert "Traceback" in formatted(record)


def test_the_filter_applied_twice_still_writes_one_line(client, world, people, caplog):
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/x/",), None
    )
    record.status_code = 404
    record.request = None
    OneLineClientErrors().filter(record)
    OneLineClientErrors().filter(record)
    assert formatted(record) == "Not Found: /x/ [404] user=anonymous"
