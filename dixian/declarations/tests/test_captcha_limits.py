"""The bot check under attack (docs/security.md §7): guessing its answer costs declarations, and drawing
captchas (forms, 换一张, images) is limited per network, so neither the answer space (a small sum) nor the
captcha table and Pillow can be walked or flooded from one address."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from captcha.models import CaptchaStore
from django.urls import reverse

from dixian.common.models import RateLimitHit
from dixian.common.ratelimit import rate_key
from dixian.declarations.models import Bucket, Declaration

from .helpers import declaration_post

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def guess(client, world, answer: str, ip: str = "10.0.0.1"):
    """One try with a real captcha: draw it on the form, then answer `answer` (or its right answer)."""
    client.get(reverse("declare:form"), REMOTE_ADDR=ip)
    store = CaptchaStore.objects.latest("pk")
    data = declaration_post(
        world.village.code, captcha_0=store.hashkey, captcha_1=store.response if answer == "right" else answer
    )
    return client.post(reverse("declare:form"), data, REMOTE_ADDR=ip)


def test_wrong_answers_use_up_the_networks_declarations(client, world, settings):
    settings.DIXIAN_DECLARE_PER_IP_HOUR = 3
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(3):
            response = guess(client, world, "9999")
            assert response.status_code == 200
            assert "验证码不对或已过期" in response.content.decode()
        # Before the fix the guesses were free: the fourth try, even right, is refused with when to retry.
        response = guess(client, world, "right")
        assert response.status_code == 429
        assert "同一网络每小时最多提交3次申报" in response.content.decode()
        assert not Declaration.objects.exists()
        assert (
            RateLimitHit.objects.filter(bucket=Bucket.DECLARE_IP, key_hash=rate_key("10.0.0.1")).count() == 3
        )
        # Another network is not held back, and the hour passes.
        assert guess(client, world, "right", ip="10.0.0.2").status_code == 302
        clock.shift(dt.timedelta(hours=1, seconds=1))
        assert guess(client, world, "right").status_code == 302


def test_other_mistakes_do_not_cost_a_declaration(client, world):
    client.get(reverse("declare:form"), REMOTE_ADDR="10.0.0.1")
    store = CaptchaStore.objects.latest("pk")
    data = declaration_post(world.village.code, captcha_0=store.hashkey, captcha_1=store.response, phone="1")
    assert client.post(reverse("declare:form"), data, REMOTE_ADDR="10.0.0.1").status_code == 200
    assert not RateLimitHit.objects.filter(bucket=Bucket.DECLARE_IP).exists()


@pytest.mark.parametrize("page", ["declare:form", "declare:captcha"])
def test_drawing_captchas_is_limited_per_network(client, world, settings, page):
    settings.DIXIAN_CAPTCHAS_PER_IP_HOUR = 4
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(4):
            assert client.get(reverse(page), REMOTE_ADDR="10.0.0.1").status_code == 200
        drawn = CaptchaStore.objects.count()
        response = client.get(reverse(page), REMOTE_ADDR="10.0.0.1")
        assert response.status_code == 429
        assert "同一网络每小时最多获取4次验证码" in response.content.decode()
        assert int(response["Retry-After"]) > 0
        # Refused before a captcha row is drawn; another network still gets its captcha.
        assert CaptchaStore.objects.count() == drawn == 4
        assert client.get(reverse(page), REMOTE_ADDR="10.0.0.2").status_code == 200
        clock.shift(dt.timedelta(hours=1, seconds=1))
        assert client.get(reverse(page), REMOTE_ADDR="10.0.0.1").status_code == 200


def test_a_form_shown_again_draws_a_counted_captcha(client, world, settings):
    settings.DIXIAN_CAPTCHAS_PER_IP_HOUR = 2
    for _ in range(2):
        client.post(
            reverse("declare:form"), declaration_post(world.village.code, phone="1"), REMOTE_ADDR="10.0.0.1"
        )
    response = client.post(
        reverse("declare:form"), declaration_post(world.village.code, phone="1"), REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 429


def test_captcha_images_are_limited_per_network(client, world, settings):
    settings.DIXIAN_CAPTCHAS_PER_IP_HOUR = 2
    key = CaptchaStore.generate_key()
    url = reverse("captcha-image", kwargs={"key": key})
    for _ in range(6):  # three times the captchas: a page may load its image again
        response = client.get(url, REMOTE_ADDR="10.0.0.1")
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
    response = client.get(url, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert client.get(url, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_the_packages_uncounted_captcha_urls_are_not_routed(client):
    """django-simple-captcha's refresh URL draws a new captcha per request with no count: not served."""
    assert client.get("/captcha/refresh/", HTTP_X_REQUESTED_WITH="XMLHttpRequest").status_code == 404
    assert client.get("/captcha/audio/abc.wav").status_code == 404
