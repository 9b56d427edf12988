"""Rate limits of the public page, counted in the database: per IP, per ID number, and for the lookup."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dixian.common.models import RateLimitHit
from dixian.common.ratelimit import rate_key
from dixian.declarations.models import Bucket, Declaration

from .helpers import STRANGER_ID, declaration_post

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)  # 17:00 in Jiujiang


def declare(client, world, ip: str = "10.0.0.1", **overrides):
    return client.post(
        reverse("declare:form"), declaration_post(world.village.code, **overrides), REMOTE_ADDR=ip
    )


def ids(n: int) -> list[str]:
    from dixian.common.testing import fake_id

    return [fake_id("360424", dt.date(1980, 1, 1), 100 + i) for i in range(n)]


def test_five_declarations_per_ip_per_hour_then_a_429_that_says_when(client, world, captcha_test_mode):
    with time_machine.travel(START, tick=False) as clock:
        for i, id_number in enumerate(ids(5)):
            assert declare(client, world, id_number=id_number).status_code == 302
            clock.shift(dt.timedelta(minutes=10 if i == 0 else 1))
        response = declare(client, world, id_number=ids(6)[5])
        assert response.status_code == 429
        html = response.content.decode()
        # The first hit (17:00) leaves the hour at 18:00 local time.
        assert "同一网络每小时最多提交5次申报" in html
        assert "18:00" in html and "12317" in html
        assert int(response["Retry-After"]) == (dt.timedelta(hours=1) - dt.timedelta(minutes=14)).seconds
        assert Declaration.objects.count() == 5
        # Another network is not held back.
        assert declare(client, world, ip="10.0.0.2", id_number=ids(6)[5]).status_code == 302
        clock.move_to(START + dt.timedelta(hours=1, seconds=1))
        assert declare(client, world, id_number=ids(7)[6]).status_code == 302


def test_three_declarations_per_id_number_per_day_from_any_network(client, world, captcha_test_mode):
    with time_machine.travel(START, tick=False) as clock:
        for i in range(3):
            assert declare(client, world, ip=f"10.0.1.{i}").status_code == 302
        response = declare(client, world, ip="10.0.1.9")
        assert response.status_code == 429
        assert "同一个身份证号每天最多提交3次申报" in response.content.decode()
        assert "12317" in response.content.decode()
        assert Declaration.objects.count() == 3
        # The refused try did not use up the other network's allowance.
        hits = RateLimitHit.objects.filter(bucket="declare_ip", key_hash=rate_key("10.0.1.9"))
        assert not hits.exists()
        clock.shift(dt.timedelta(days=1, seconds=1))
        assert declare(client, world, ip="10.0.1.9").status_code == 302


def test_refused_input_does_not_count_against_the_limits(client, world, captcha_test_mode):
    for _ in range(8):
        assert declare(client, world, phone="123").status_code == 200
    # Only the bot checks drawn for the form shown again are counted (test_captcha_limits.py).
    assert not RateLimitHit.objects.exclude(bucket=Bucket.CAPTCHA_IP).exists()
    assert declare(client, world).status_code == 302


def test_only_salted_hashes_are_stored(client, world, captcha_test_mode):
    declare(client, world, ip="203.0.113.7")
    stored = list(RateLimitHit.objects.values_list("key_hash", flat=True))
    assert len(stored) == 2
    assert all("203.0.113.7" not in k and STRANGER_ID not in k and len(k) == 64 for k in stored)
    assert rate_key("203.0.113.7") in stored


def test_the_salt_comes_from_the_settings(settings):
    settings.DIXIAN_RATE_LIMIT_SALT = "one"
    first = rate_key("203.0.113.7")
    settings.DIXIAN_RATE_LIMIT_SALT = "two"
    assert rate_key("203.0.113.7") != first


def test_a_proxy_header_names_the_client_when_configured(client, world, captcha_test_mode, settings):
    settings.DIXIAN_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    client.post(
        reverse("declare:form"),
        declaration_post(world.village.code),
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP="198.51.100.4",
    )
    assert RateLimitHit.objects.filter(bucket="declare_ip", key_hash=rate_key("198.51.100.4")).exists()


def test_the_status_lookup_is_limited_per_ip_counting_every_try(client, world, settings):
    settings.DIXIAN_LOOKUPS_PER_IP_HOUR = 3
    url = reverse("declare:status")
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(3):
            response = client.post(url, {"reference": "SB2611-ABCDEF", "phone": "13912345678"})
            assert response.status_code == 200
        response = client.post(url, {"reference": "SB2611-ABCDEF", "phone": "13912345678"})
        assert response.status_code == 429
        assert "同一网络每小时最多查询3次" in response.content.decode()
        clock.shift(dt.timedelta(hours=1, seconds=1))
        assert client.post(url, {"reference": "SB2611-ABCDEF", "phone": "13912345678"}).status_code == 200


def test_old_hits_are_cleared_away(client, world, captcha_test_mode):
    with time_machine.travel(START, tick=False) as clock:
        declare(client, world)
        clock.shift(dt.timedelta(days=3))
        declare(client, world, id_number=ids(1)[0])
        assert RateLimitHit.objects.filter(at__lt=timezone.now() - dt.timedelta(days=2)).count() == 0
        assert RateLimitHit.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_the_last_slot_on_postgresql_do_not_both_get_it():
    """The first worker holds the last slot in its open transaction; the second, counting meanwhile, waits
    for it to commit and is refused. Without the lock it would count before the first hit is visible."""
    import threading
    import time

    from django.db import connection, transaction

    from dixian.common.ratelimit import RateLimited, rate_limit_take

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: the second worker cannot count meanwhile")
    limit, window, bucket = 1, dt.timedelta(hours=1), Bucket.DECLARE_IP
    holding, second_started = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                rate_limit_take(bucket=bucket, value="10.9.9.9", limit=limit, window=window)
                holding.set()
                second_started.wait(10)
                time.sleep(1.0)  # the second worker counts now, if nothing makes it wait
        finally:
            connection.close()

    def second() -> None:
        try:
            holding.wait(10)
            second_started.set()
            rate_limit_take(bucket=bucket, value="10.9.9.9", limit=limit, window=window)
            outcome["second"] = "taken"
        except RateLimited:
            outcome["second"] = "refused"
        finally:
            connection.close()

    workers = [threading.Thread(target=first), threading.Thread(target=second)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    assert outcome == {"second": "refused"}
    assert RateLimitHit.objects.filter(bucket=bucket).count() == 1
