"""The deployment checks (docs/security.md §7): `dixian check --deploy` is clean with production settings,
and the public embedded secret key fails loudly anywhere but the demo.

Settings are read once per process from the environment, so each case runs `dixian` in a child process
with the environment a deployment would have.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from dixian.common.checks import refuse_embedded_key

ROOT = Path(__file__).resolve().parents[3]


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIXIAN_", "DJANGO_", "DATABASE_URL"))}
    env.update(
        PYTHONPATH=str(ROOT),
        DIXIAN_DATA_DIR=str(tmp_path),
        DIXIAN_DEBUG="0",
        DIXIAN_SECRET_KEY=secrets.token_urlsafe(50),
        DIXIAN_ALLOWED_HOSTS="dixian.example.gov.cn",
        DIXIAN_CSRF_TRUSTED_ORIGINS="https://dixian.example.gov.cn",
        DIXIAN_SECURE_COOKIES="1",
    )
    env.update(extra)
    return env


def dixian(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dixian", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = dixian(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    # The one silenced check is HSTS preload, a decision for the domain's owner (docs/security.md §7).
    assert "no issues (1 silenced)" in result.stdout


def test_https_settings_follow_secure_cookies(tmp_path):
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps({k: "
        "getattr(s, k) for k in ('SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS',"
        " 'SECURE_PROXY_SSL_HEADER', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY',"
        " 'CSRF_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE')}))"
    )

    def settings_under(**extra: str) -> dict[str, object]:
        env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="config.settings", **extra)
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    secure = settings_under(DIXIAN_PROXY_SSL_HEADER="1")
    assert secure["SECURE_SSL_REDIRECT"] is True and secure["SECURE_HSTS_SECONDS"] >= 31536000
    assert secure["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert secure["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert secure["SESSION_COOKIE_SECURE"] and secure["CSRF_COOKIE_SECURE"]
    assert secure["SESSION_COOKIE_HTTPONLY"] and secure["CSRF_COOKIE_HTTPONLY"]
    assert secure["SESSION_COOKIE_SAMESITE"] == "Lax"
    plain = settings_under(DIXIAN_SECURE_COOKIES="0")
    assert plain["SECURE_SSL_REDIRECT"] is False and plain["SECURE_HSTS_SECONDS"] == 0
    # X-Forwarded-Proto is trusted only when the deployment says a proxy sets it.
    assert plain["SECURE_PROXY_SSL_HEADER"] is None


def test_the_embedded_key_fails_check_deploy_and_any_command_of_a_served_site(tmp_path):
    """The attack: a deployment that forgot DIXIAN_SECRET_KEY runs with the key published in this
    repository; `check --deploy` said nothing (the key is long enough for Django's own check)."""
    env = production_env(tmp_path)
    del env["DIXIAN_SECRET_KEY"]
    deploy = dixian(env, "check", "--deploy")
    assert deploy.returncode != 0 and "dixian.E001" in deploy.stderr, deploy.stderr
    assert "DIXIAN_SECRET_KEY" in deploy.stderr
    # The web server refuses to start.
    wsgi = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wsgi.returncode != 0 and "ImproperlyConfigured" in wsgi.stderr and "DIXIAN_DEMO=1" in wsgi.stderr
    # The demo on this machine runs with it.
    demo = {
        **env,
        "DIXIAN_DEMO": "1",
        "DIXIAN_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DIXIAN_SECURE_COOKIES": "0",
    }
    started = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        env=demo,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 0, started.stderr


def test_the_checks_in_process(settings):
    settings.SECRET_KEY = settings.EMBEDDED_SECRET_KEY
    settings.DEBUG, settings.DIXIAN_DEMO, settings.SECURE_COOKIES = False, False, False
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    ids = lambda deploy: {m.id for m in run_checks(include_deployment_checks=deploy)}  # noqa: E731
    # On this machine only: commands run; the deploy check and the web server refuse.
    assert "dixian.E001" not in ids(False)
    assert "dixian.E002" in ids(True)
    with pytest.raises(ImproperlyConfigured):
        refuse_embedded_key()
    settings.ALLOWED_HOSTS = ["10.1.2.3"]
    assert "dixian.E001" in ids(False)
    settings.DIXIAN_DEMO = True
    assert "dixian.E001" not in ids(False)
    refuse_embedded_key()
    settings.DIXIAN_DEMO = False
    settings.SECRET_KEY = secrets.token_urlsafe(50)
    assert not {"dixian.E001", "dixian.E002"} & ids(True)
    refuse_embedded_key()
