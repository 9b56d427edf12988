"""The push API keeps the contract it publishes: schemathesis, with every check, against the app in-process.

Schemathesis reads /api/openapi.json from the app and sends each operation requests the document allows
(they must be accepted) and requests it forbids (they must be refused with a 4xx), with a real token; every
answer must be documented, JSON, and match its schema. The app is called through WSGI in the test's
thread, so its database is the test's own transaction (SQLite or PostgreSQL alike).

Two batch rules JSON Schema cannot state are written in the row schemas' descriptions and checked by the
delivery service (422): rows with the same record key must be identical, and the medical feed's 个人负担
must equal 医疗总费用 less the four payments (and an end date cannot precede its start date). Batches the
document allows are generated at random, so `_keep_batch_rules` makes each positive one keep these rules
before it is sent; negative ones are sent as generated.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from dixian.domain import catalogue as cat
from dixian.feeds.services import api_token_create

pytestmark = pytest.mark.django_db

# Fuzzed examples per operation (the coverage phase adds its own boundary cases): 14 operations stay within
# about a minute on a shared runner.
EXAMPLES = int(os.environ.get("DIXIAN_API_FUZZ_EXAMPLES", "15"))


APP = WSGIHandler()
# Read from the app as a client would (no database is needed for the document).
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)


@pytest.fixture(autouse=True)
def _requests_keep_the_test_transaction(db: None) -> Iterator[None]:
    # As django.test.Client does: a request must not close the test's connection (its transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def token(people: dict[str, Any]) -> str:
    return api_token_create(user=people["department_uploader"], name="schemathesis", actor=None)[1]


def _cents(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value * 100
    whole, _, frac = str(value).partition(".")
    return int(whole) * 100 + int(frac.ljust(2, "0"))


def _keep_batch_rules(code: str, body: dict[str, Any]) -> None:
    spec = cat.feed(code)
    header = {c.field: c.header for c in spec.columns}
    rows, seen = [], set()
    for row in body["rows"]:
        if code == "medical":
            payments = ("fund_paid", "critical_illness_paid", "assistance_paid", "supplementary_paid")
            rest = _cents(row[header["total_cost"]]) - sum(_cents(row.get(header[f])) for f in payments)
            if rest < 0:
                for f in payments:
                    row.pop(header[f], None)
                rest = _cents(row[header["total_cost"]])
            row[header["out_of_pocket"]] = f"{rest // 100}.{rest % 100:02d}"
        for start, end in (("admission_date", "settlement_date"), ("start_date", "end_date")):
            a, b = row.get(header.get(start, "")), row.get(header.get(end, ""))
            if a is not None and b is not None and b < a:
                row[header[start]], row[header[end]] = b, a
        key = tuple(row.get(header[f]) for f in spec.record_key)
        if key not in seen:
            seen.add(key)
            rows.append(row)
    body["rows"] = rows


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=settings.default.derandomize,  # the "ci" profile (conftest.py) in CI
    # One token and one database for all examples of an operation: deliveries accumulate as they would.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_the_api_answers_as_its_openapi_document_says(case: Any, token: str) -> None:
    path = case.operation.path
    if (
        case.meta.generation.mode.is_positive
        and case.method == "POST"
        and path.startswith("/api/v1/feeds/")
        and isinstance(case.body, dict)
    ):
        _keep_batch_rules(path.split("/")[-2], case.body)
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})


def test_the_document_has_one_operation_per_feed_besides_reading_deliveries_and_the_catalogue() -> None:
    labels = {op.ok().label for op in schema.get_all_operations()}
    assert labels == {
        *(f"POST /api/v1/feeds/{f.code}/deliveries" for f in cat.FEEDS),
        "GET /api/v1/deliveries/{pk}",
        "GET /api/v1/feeds",
        # The monitoring case API (dixian.monitoring.api), on the same page and token: with this token (a
        # department's, without CASES_VIEW) every case operation answers 403, as documented.
        "GET /api/v1/cases/{pk}",
        *(f"POST /api/v1/cases/{{pk}}/{move}" for move in ("advance", "send-back", "refuse")),
    }
