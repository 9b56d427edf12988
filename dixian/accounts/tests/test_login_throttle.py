"""Brute force on the login page (docs/security.md §6): failures are counted per account name and per IP;
past the limit the login is refused until a time it states, whether or not the account exists; the lock
expires, a success clears the account's count, and other accounts are not affected."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dixian.accounts.web import services
from dixian.common.models import RateLimitHit
from dixian.common.testing import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")


def attempt(client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] != LOGIN


def fail(client, username: str, times: int, ip: str = "10.0.0.1") -> None:
    for _ in range(times):
        response = attempt(client, username, "wrong-guess", ip)
        assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()


def age_hits(minutes: int) -> None:
    RateLimitHit.objects.update(at=timezone.now() - dt.timedelta(minutes=minutes))


def test_five_failures_lock_the_account_even_for_the_right_password(client, people):
    fail(client, "helper", 5)
    response = attempt(client, "helper", PASSWORD)
    assert response.status_code == 429 and not signed_in(response)
    text = response.content.decode()
    assert "登录失败次数过多" in text and re.search(r"请在 \d\d:\d\d 之后", text)
    assert int(response["Retry-After"]) > 14 * 60
    assert "_auth_user_id" not in client.session


def test_the_lock_reads_the_same_for_an_account_that_does_not_exist(people):
    def locked_page(username: str) -> str:
        client = Client()
        fail(client, username, 5)
        response = attempt(client, username, PASSWORD)
        assert response.status_code == 429
        text = response.content.decode().replace(username, "NAME")
        text = re.sub(r"[A-Za-z0-9]{64}", "", text)  # CSRF tokens differ per response
        return re.sub(r"\d\d:\d\d|约 \d+ 分钟", "", text)  # the two locks began a moment apart

    assert locked_page("helper") == locked_page("nobody_here")


def test_the_lock_expires(client, people):
    fail(client, "helper", 5)
    assert attempt(client, "helper", PASSWORD).status_code == 429
    age_hits(14)
    assert attempt(client, "helper", PASSWORD).status_code == 429
    age_hits(16)
    assert signed_in(attempt(client, "helper", PASSWORD))


def test_a_success_clears_the_accounts_failures(client, people):
    fail(client, "helper", 4)
    assert signed_in(attempt(client, "helper", PASSWORD))
    client.logout()
    fail(client, "helper", 4)
    assert signed_in(attempt(client, "helper", PASSWORD))


def test_other_accounts_are_not_affected(client, people):
    fail(client, "helper", 5)
    assert attempt(client, "helper", PASSWORD).status_code == 429
    assert signed_in(attempt(Client(), "village_officer", PASSWORD))


def test_thirty_failures_from_one_address_lock_the_address_not_others(people):
    client = Client()
    for i in range(30):
        fail(client, f"guess{i}", 1, ip="10.9.9.9")
    response = attempt(client, "village_officer", PASSWORD, ip="10.9.9.9")
    assert response.status_code == 429
    assert signed_in(attempt(Client(), "village_officer", PASSWORD, ip="10.9.9.10"))


def test_the_address_comes_from_the_proxy_header_when_configured(settings, people):
    settings.DIXIAN_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    client = Client()
    for i in range(30):
        client.post(
            LOGIN,
            {"username": f"g{i}", "password": "x"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"1.1.1.1, 2.2.2.{i}",
        )
    # Thirty different addresses: none is locked, and the proxy's own address is not counted.
    assert signed_in(attempt(Client(), "helper", PASSWORD, ip="127.0.0.1"))


def test_an_administrators_password_reset_lifts_the_lock(client, people):
    fail(client, "helper", 5)
    services.account_password_reset(
        actor=people["county_admin"], account=people["helper"], password="Temp-pass-2026"
    )
    assert signed_in(attempt(client, "helper", "Temp-pass-2026"))


def test_the_service_counts_in_time(people):
    start = timezone.now()
    for i in range(5):
        services.login_attempt(username="Helper", ip="10.1.1.1", at=start + dt.timedelta(minutes=i))
    with pytest.raises(services.LoginLocked) as locked:
        services.login_attempt(username="helper", ip="10.1.1.1", at=start + dt.timedelta(minutes=5))
    assert locked.value.retry_at == start + dt.timedelta(minutes=15)
    # Once the oldest try has left the window, one more try is allowed.
    services.login_attempt(username="helper", ip="10.1.1.1", at=start + dt.timedelta(minutes=15, seconds=1))
    assert services.login_locked_until(username="helper", at=start + dt.timedelta(minutes=40)) is None
