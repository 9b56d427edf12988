"""The optional second factor (TOTP, django-otp) of accounts with the personal-data right (docs/security.md
§6). Codes are computed here from the device's key by RFC 6238, independently of django-otp."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from dixian.common.models import ChangeLog
from dixian.common.testing import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:login_verify")
TOTP = reverse("accounts:totp")
HOUSEHOLDS = reverse("registry:household_list")


def code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits) from the device's hex key."""
    counter = int(time.time()) // 30 + steps_ahead
    digest = hmac.new(bytes.fromhex(device.key), counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF) % 10**6
    return f"{value:06d}"


def wrong(right: str) -> str:
    return f"{(int(right) + 1) % 10**6:06d}"


def enroll(client, user) -> TOTPDevice:
    client.force_login(user)
    page = client.get(TOTP)
    assert page.status_code == 200 and "完成绑定" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    qr = client.get(reverse("accounts:totp_qr"))
    assert (
        qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content and "no-store" in qr["Cache-Control"]
    )
    response = client.post(TOTP, {"action": "confirm", "code": code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_an_account_with_the_pii_right_enrolls_audited(client, people):
    admin = people["county_admin"]
    device = enroll(client, admin)
    [row] = ChangeLog.objects.filter(entity="user", entity_id=admin.pk)
    assert row.changes == {"totp": [False, True]} and device.key not in str(row.changes) + row.summary


def test_a_wrong_code_does_not_enroll(client, people):
    client.force_login(people["county_admin"])
    client.get(TOTP)
    device = TOTPDevice.objects.get(user=people["county_admin"])
    response = client.post(TOTP, {"action": "confirm", "code": wrong(code(device))})
    assert "动态口令不正确" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


def test_an_account_without_the_right_cannot_open_the_page(client, people):
    client.force_login(people["village_officer"])
    assert client.get(TOTP).status_code == 403
    assert client.get(reverse("accounts:totp_qr")).status_code == 403


def test_login_asks_for_the_code_once_enrolled(people):
    device = enroll(Client(), people["county_admin"])
    client = Client()
    response = client.post(LOGIN, {"username": "county_admin", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == VERIFY
    # The password alone signs nobody in.
    assert "_auth_user_id" not in client.session
    assert client.get(HOUSEHOLDS)["Location"].startswith(LOGIN)
    bad = client.post(VERIFY, {"code": wrong(code(device, steps_ahead=1))})
    assert bad.status_code == 200 and "动态口令不正确" in bad.content.decode()
    assert "_auth_user_id" not in client.session
    # django-otp holds a device back for a second after a wrong code (doubling with each further one).
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    good = client.post(VERIFY, {"code": code(device, steps_ahead=1)})
    assert good.status_code == 302
    assert client.get(HOUSEHOLDS).status_code == 200


def test_a_code_is_not_accepted_twice(people):
    device = enroll(Client(), people["county_admin"])
    first = Client()
    first.post(LOGIN, {"username": "county_admin", "password": PASSWORD})
    token = code(device, steps_ahead=1)
    assert first.post(VERIFY, {"code": token}).status_code == 302
    second = Client()
    second.post(LOGIN, {"username": "county_admin", "password": PASSWORD})
    assert second.post(VERIFY, {"code": token}).status_code == 200
    assert "_auth_user_id" not in second.session


def test_wrong_codes_count_toward_the_account_lock(people):
    device = enroll(Client(), people["county_admin"])
    client = Client()
    client.post(LOGIN, {"username": "county_admin", "password": PASSWORD})
    for _ in range(4):
        client.post(VERIFY, {"code": wrong(code(device, steps_ahead=1))})
    # One password try and four code tries: the account is locked now.
    response = client.post(VERIFY, {"code": code(device, steps_ahead=1)})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    again = Client().post(LOGIN, {"username": "county_admin", "password": PASSWORD})
    assert again.status_code == 429


def test_the_verify_page_without_a_pending_login_sends_to_login(client, people):
    assert client.get(VERIFY)["Location"] == LOGIN


def test_required_totp_holds_pii_accounts_until_they_enroll(settings, people):
    settings.DIXIAN_REQUIRE_TOTP_FOR_PII = True
    client = Client()
    client.force_login(people["county_admin"])
    assert client.get(HOUSEHOLDS)["Location"] == TOTP
    assert client.get(reverse("cases:alert_queue"))["Location"] == TOTP
    # An account without the right is not held.
    other = Client()
    other.force_login(people["county_reviewer"])
    assert other.get(HOUSEHOLDS).status_code == 200
    device = TOTPDevice.objects.filter(user=people["county_admin"])
    assert not device.exists()
    client.get(TOTP)
    pending = TOTPDevice.objects.get(user=people["county_admin"])
    assert client.post(TOTP, {"action": "confirm", "code": code(pending)}).status_code == 302
    assert client.get(HOUSEHOLDS).status_code == 200
    # Required: the owner cannot remove it.
    client.post(TOTP, {"action": "remove"})
    assert TOTPDevice.objects.filter(user=people["county_admin"], confirmed=True).exists()


def test_required_totp_asks_an_unverified_session_for_the_code(settings, people):
    device = enroll(Client(), people["county_admin"])
    settings.DIXIAN_REQUIRE_TOTP_FOR_PII = True
    client = Client()
    client.force_login(people["county_admin"])  # a session that never typed the code
    assert client.get(HOUSEHOLDS)["Location"] == TOTP
    assert client.post(TOTP, {"action": "verify", "code": code(device, steps_ahead=1)}).status_code == 302
    assert client.get(HOUSEHOLDS).status_code == 200


def test_an_administrator_clears_a_lost_second_factor(client, people, world):
    from dixian.common.testing import persona

    officer = persona("pii_officer", world.village, "village_officer", pii=True)
    enroll(Client(), officer)
    client.force_login(people["county_admin"])
    client.post(reverse("accounts:account_action", args=[officer.pk]), {"action": "totp_reset"})
    assert not TOTPDevice.objects.filter(user=officer).exists()
    row = ChangeLog.objects.filter(entity="user", entity_id=officer.pk).latest("pk")
    assert row.changes == {"totp": [True, False]} and row.actor == people["county_admin"]
    response = Client().post(LOGIN, {"username": "pii_officer", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] != VERIFY


def test_the_owner_may_remove_an_optional_second_factor(client, people):
    enroll(client, people["county_admin"])
    client.post(TOTP, {"action": "remove"})
    assert not TOTPDevice.objects.filter(user=people["county_admin"]).exists()
