"""Hardening of every answer (docs/security.md §7): the Content-Security-Policy, no inline code in any
template, and no copy of a page with personal data left in a browser or proxy cache."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from dixian.common.models import Job

ROOT = Path(__file__).resolve().parents[3]
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


def templates() -> list[Path]:
    found = sorted((ROOT / "templates").rglob("*.html")) + sorted(
        (ROOT / "dixian").glob("*/templates/**/*.html")
    )
    assert len(found) > 40, "the templates were not found"
    return found


# What the policy would block, or would need 'unsafe-inline' / 'unsafe-eval' to allow.
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE), "an inline <script>"),
    (re.compile(r"<style\b", re.IGNORECASE), "an inline <style>"),
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "an inline event handler (onclick=…)"),
    (re.compile(r"\s(?:data-)?hx-on", re.IGNORECASE), "htmx hx-on code (needs eval)"),
    (re.compile(r"javascript:", re.IGNORECASE), "a javascript: URL"),
    (re.compile(r"\bjs:|\bjavascript:", re.IGNORECASE), "htmx js: values (need eval)"),
]


def test_no_template_holds_inline_code_or_style():
    problems = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in templates()
        for pattern, what in INLINE
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "base", ["templates/base.html", "dixian/declarations/templates/declarations/public_base.html"]
)
def test_htmx_runs_without_eval_and_without_its_injected_style(base):
    text = (ROOT / base).read_text(encoding="utf-8")
    assert """<meta name="htmx-config" content='{"allowEval":false""" in text
    assert '"includeIndicatorStyles":false' in text


@pytest.mark.django_db
def test_every_kind_of_answer_carries_the_policy(client, world, people):
    anonymous = Client()
    answers = {
        "login": anonymous.get(reverse("accounts:login")),
        "public form": anonymous.get(reverse("declare:form")),
        "not found": anonymous.get("/no-such-page/"),
        "admin login": anonymous.get("/admin/login/"),
        "api": anonymous.get("/api/openapi.json"),
    }
    client.force_login(people["city_admin"])
    answers["household list"] = client.get(reverse("registry:household_list"))
    answers["htmx fragment"] = client.get(reverse("registry:household_list"), HTTP_HX_REQUEST="true")
    answers["export"] = client.post(reverse("registry:household_export"))
    for name, response in answers.items():
        assert response.get("Content-Security-Policy") == POLICY, name
        assert "unsafe" not in response["Content-Security-Policy"], name


NO_STORE = ("no-store", "no-cache", "private")


def no_store(response) -> bool:
    cache = response.get("Cache-Control", "")
    return all(word in cache for word in NO_STORE) and response.get("Pragma") == "no-cache"


@pytest.mark.django_db
def test_pages_and_files_of_a_signed_in_account_are_never_stored(client, world, people, settings, tmp_path):
    """The attack: the next person at a shared village computer opens the browser's cache (or the back
    button after logout) and reads the households of the account before."""
    user = people["village_officer"]
    client.force_login(user)
    for url in (
        reverse("registry:household_list"),
        reverse("registry:household_detail", args=[world.home.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200 and no_store(response), url

    export = client.post(reverse("registry:household_export"))
    assert export.status_code == 200 and export.has_header("Content-Disposition")
    assert no_store(export)

    from dixian.common.jobs import job_dir

    job = Job.objects.create(
        kind="household_export", owner=user, status=Job.Status.DONE, result_file="r.xlsx"
    )
    job_dir().mkdir(parents=True, exist_ok=True)
    (job_dir() / "r.xlsx").write_bytes(b"PK\x03\x04 personal data")
    try:
        download = client.get(reverse("jobs:download", args=[job.pk]))
        assert download.status_code == 200 and no_store(download)
        b"".join(download.streaming_content)
    finally:
        (job_dir() / "r.xlsx").unlink()


@pytest.mark.django_db
def test_a_request_with_credentials_is_never_stored(client):
    response = client.get("/api/v1/no-such-feed/deliveries", HTTP_AUTHORIZATION="Bearer nothing")
    assert no_store(response)


@pytest.mark.django_db
def test_public_files_without_personal_data_stay_cacheable(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and "no-store" not in icon["Cache-Control"]
