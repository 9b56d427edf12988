"""Malformed requests answer 400 or a normal page with a message, never 500 (docs/security.md §4).

Every URL pattern (the walk of test_no_leak) is asked with hostile query strings: non-numbers, negative and
huge numbers where a page or key is expected, path tricks, NUL bytes (PostgreSQL refuses them in text),
very long values, repeated keys, bytes that are not UTF-8, impossible dates. The keys are those of every
filter form of the project plus the usual ones, so each view meets its own parameters spoiled. The push
API also gets invalid and deeply nested JSON: 400 with its Chinese message, never a 500 or a
RecursionError.
"""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import quote

import pytest
from django import forms
from django.test import Client
from django.urls import NoReverseMatch, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dixian.cases.forms import AlertFilterForm, UnmatchedFilterForm
from dixian.common.models import Job
from dixian.common.tests.test_no_leak import (
    FILL,
    MISSING,
    PUBLIC,
    TOKEN_ONLY,
    project_routes,
    targets_for,
    url_for,
)
from dixian.declarations.forms import DeclarationFilterForm
from dixian.feeds.services import api_token_create
from dixian.registry.filters import HouseholdFilterForm
from dixian.registry.selectors import household_scope_for_user
from dixian.visits.forms import CoverageForm, VisitFilterForm

pytestmark = pytest.mark.django_db

FILTER_FORMS: list[type[forms.Form]] = [
    AlertFilterForm,
    UnmatchedFilterForm,
    DeclarationFilterForm,
    HouseholdFilterForm,
    VisitFilterForm,
    CoverageForm,
]
COMMON_KEYS = (
    "page",
    "q",
    "region",
    "status",
    "feed",
    "household",
    "year",
    "offset",
    "limit",
    "period",
    "date",
    "start",
    "end",
    "code",
    "id",
    "sort",
    "next",
)


def query_keys() -> list[str]:
    keys = set(COMMON_KEYS)
    for form in FILTER_FORMS:
        keys.update(form.base_fields)
    return sorted(keys)


# Each value below is put under every key at once (already percent-encoded where it must be).
HOSTILE_VALUES = (
    "abc",
    "-1",
    "99999999999999999999",
    quote("../../x"),
    "a%00b",
    "9" * 4000,
    "%ff%fe",
    "2026-13-45",
    quote("１２"),  # full-width digits
    "1e400",
)


def hostile_queries() -> list[str]:
    keys = query_keys()
    out = ["&".join(f"{k}={value}" for k in keys) for value in HOSTILE_VALUES]
    out.append("&".join(f"{k}=1&{k}=abc&{k}=%00" for k in keys))  # repeated keys
    out.append("page=%ff&q=%&region=%zz")  # broken percent-encoding
    return out


def ask(client: Client, url: str, query: str):
    """GET url?query; a POST-only URL (an export, a form) is posted to with the same query string."""
    response = client.get(f"{url}?{query}")
    if response.status_code == 405:
        response = client.post(f"{url}?{query}", {})
    return response


def routes_and_urls(world, user, job) -> list[tuple[str, str]]:
    visible = set(household_scope_for_user(user).values_list("pk", flat=True)) if user else set()
    _, inside = targets_for(world, visible, job)
    urls = []
    for route in project_routes():
        if route.name == "accounts:logout":
            continue
        if route.params:
            if route.name not in FILL:
                continue
            targets = replace(inside, rule="R01", feed="medical") if inside is not None else None
            url = (
                url_for(route, targets)
                if targets
                else reverse(
                    route.name,
                    kwargs={
                        p: {"code": "000000000000", "rule_id": "R99"}.get(p, MISSING) for p in route.params
                    },
                )
            )
        else:
            url = reverse(route.name)
        urls.append((route.name, url))
    return urls


# The broadest account (every page has rows to show) and a village's (its own region picker); the anonymous
# visitor for the public pages and the push API's refusal. One test each, so that a parallel run
# (pytest-xdist, Makefile) shares them out between workers.
@pytest.mark.parametrize("who", ["anonymous", "city_admin", "village_officer"])
def test_no_url_answers_a_malformed_query_with_a_server_error(world, people, who):
    queries = hostile_queries()
    problems: list[str] = []
    user = None if who == "anonymous" else people[who]
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
        token = api_token_create(user=user, name="walk", actor=None)[1]
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    job = Job.objects.create(kind="household_export", owner=user or people["leader"])
    for name, url in routes_and_urls(world, user, job):
        if user is None and name not in PUBLIC and name not in TOKEN_ONLY:
            continue  # sent to the login page before any parameter is read
        for query in queries:
            response = ask(client, url, query)
            if response.status_code >= 500:
                problems.append(f"{who}: {name} {url}?{query[:80]}… answered {response.status_code}")
                break  # one per URL is enough to find it
    assert not problems, "\n".join(problems)


PATH_VALUES = ("99999999999999999999", "a\x00b", "\x00", "9" * 300, "%ff", "..", "０１")


def test_no_url_answers_a_malformed_path_parameter_with_a_server_error(world, people):
    problems: list[str] = []
    for user in (None, people["city_admin"]):
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
            client.defaults["HTTP_AUTHORIZATION"] = (
                f"Bearer {api_token_create(user=user, name='walk', actor=None)[1]}"
            )
        for route in project_routes():
            if not route.params:
                continue
            for value in PATH_VALUES:
                try:
                    url = reverse(route.name, kwargs=dict.fromkeys(route.params, value))
                except NoReverseMatch:
                    continue  # the converter refuses it: the URL cannot be asked for
                response = ask(client, url, "")
                if response.status_code >= 500:
                    problems.append(f"{user}: {route.name} {url!r} answered {response.status_code}")
    assert not problems, "\n".join(problems)


def test_a_nul_is_refused_with_400_and_a_chinese_message(client, world, people):
    client.force_login(people["county_reviewer"])
    response = client.get(reverse("visits:new") + "?q=%E5%BC%A0%00")
    assert response.status_code == 400
    assert "空字符" in response.content.decode()
    response = client.get(reverse("api:feed_list") + "?x=%00")
    assert response.status_code == 400 and "application/json" in response["Content-Type"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.text(max_size=40),
    key=st.sampled_from(["page", "q", "region", "status", "date", "year", "start", "household"]),
)
def test_any_text_in_a_list_filter_is_not_a_server_error(client, world, people, value, key):
    client.raise_request_exception = False
    client.force_login(people["county_reviewer"])
    for name in ("registry:household_list", "cases:alert_queue", "visits:list", "declarations:list"):
        response = client.get(reverse(name), {key: value})
        assert response.status_code < 500, (name, key, value)


# --- JSON bodies --------------------------------------------------------------------------------------


def api_client(user) -> Client:
    token = api_token_create(user=user, name="json", actor=None)[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)


NESTED = "[" * 10_000 + "]" * 10_000
BODIES = {
    "deeply nested arrays": NESTED,
    "deeply nested objects": '{"a":' * 10_000 + "1" + "}" * 10_000,
    "nested rows": '{"rows": ' + NESTED + ', "period": "2026-03"}',
    "invalid JSON": '{"rows": [',
    "not UTF-8": b'{"rows": ["\xff\xfe"]}',
    "NUL in a value": '{"period": "2026-03\\u0000", "rows": [{"\\u0000": "\\u0000"}]}',
    "a number too big": '{"period": 1e400, "rows": []}',
    "huge integer": '{"period": ' + "9" * 5000 + ', "rows": []}',
    "a bare string": '"rows"',
    "empty": "",
}


@pytest.mark.parametrize("what", sorted(BODIES))
def test_the_push_api_answers_bad_json_with_400_in_chinese(world, people, what):
    client = api_client(people["department_uploader"])
    body = BODIES[what]
    response = client.post(
        reverse("api:delivery_create", kwargs={"code": "medical"}),
        data=body,
        content_type="application/json",
    )
    assert response.status_code in (400, 422), (what, response.status_code, response.content[:300])
    payload = response.json()
    text = json.dumps(payload, ensure_ascii=False)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), (what, text[:300])
    assert "Traceback" not in text and "RecursionError" not in text
