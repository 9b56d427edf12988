"""Fixtures for the self-declaration tests: the bot check's test mode, and a valid submission."""

from __future__ import annotations

import pytest
from captcha.conf import settings as captcha_settings


@pytest.fixture
def captcha_test_mode(monkeypatch) -> None:
    """django-simple-captcha's CAPTCHA_TEST_MODE, for tests only: the answer "passed" is accepted.

    The package reads the setting once at import, so the module attribute is patched (and restored).
    """
    monkeypatch.setattr(captcha_settings, "CAPTCHA_TEST_MODE", True)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings) -> None:
    settings.DIXIAN_DECLARE_PER_IP_HOUR = 5
    settings.DIXIAN_DECLARE_PER_ID_DAY = 3
    settings.DIXIAN_LOOKUPS_PER_IP_HOUR = 20
    settings.DIXIAN_CAPTCHAS_PER_IP_HOUR = 30
    settings.DIXIAN_CLIENT_IP_HEADER = "REMOTE_ADDR"
    settings.DIXIAN_PUBLIC_BASE_URL = ""
