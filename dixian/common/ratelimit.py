"""Rate limits counted in the database: the public page, logins, full-number searches, the push API.

A limit is a bucket (what is counted), a value (whose use: an IP address, an account, a token), a number of
uses and a window. Only a salted hash of the value is stored (`rate_key`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .locks import transaction_lock
from .models import RateLimitHit

# Hits older than this count for nothing in any window: they are dropped as new hits come in.
LONGEST_WINDOW = dt.timedelta(days=2)


class RateLimited(Exception):  # noqa: N818 - a domain outcome, not a programming error
    """Too many uses of `bucket` by one value; `retry_at` says when it may be used again."""

    def __init__(self, bucket: str, retry_at: dt.datetime, limit: int, window: dt.timedelta) -> None:
        super().__init__(bucket)
        self.bucket = bucket
        self.retry_at = retry_at
        self.limit = limit
        self.window = window


def _salt() -> bytes:
    salt = settings.DIXIAN_RATE_LIMIT_SALT or f"dixian-rate-limit:{settings.SECRET_KEY}"
    return salt.encode()


def rate_key(value: str) -> str:
    """The salted hash stored in place of an IP address, ID number or account."""
    return hmac.new(_salt(), value.encode(), hashlib.sha256).hexdigest()


def rate_limit_take(
    *, bucket: str, value: str, limit: int, window: dt.timedelta, at: dt.datetime | None = None
) -> None:
    """Count one use of `bucket` by `value`, or raise RateLimited when `limit` uses in `window` are spent.

    The hit is inserted first and counted after, so that two workers racing for the last slot cannot both
    see room for themselves; a refused hit is removed again (a refusal does not push the next try back).
    Call inside the transaction of the work it guards: if that work fails, the hit is rolled back with it.
    Workers counting the same bucket and value take turns: SQLite has one writer at a time; on PostgreSQL
    a transaction-level advisory lock on the pair, held until the guarded work commits, does the same
    (without it two transactions would each count before the other's hit is committed, and both pass).
    """
    if window > LONGEST_WINDOW:
        raise ValueError(f"rate-limit windows are at most {LONGEST_WINDOW}")
    at = at or timezone.now()
    key = rate_key(value)
    since = at - window
    with transaction.atomic():
        transaction_lock(f"rate_limit:{bucket}:{key}")
        hit = RateLimitHit.objects.create(bucket=bucket, key_hash=key, at=at)
        times = list(
            RateLimitHit.objects.filter(bucket=bucket, key_hash=key, at__gt=since)
            .exclude(pk=hit.pk)
            .order_by("at")
            .values_list("at", flat=True)
        )
        if len(times) >= limit:
            hit.delete()
            # Room again once enough of the oldest hits have left the window.
            raise RateLimited(bucket, times[len(times) - limit] + window, limit, window)
    # Hits older than the longest window count for nothing: drop them (an indexed range, usually empty).
    RateLimitHit.objects.filter(at__lt=at - LONGEST_WINDOW).delete()


def rate_limit_retry_at(
    *, bucket: str, value: str, limit: int, window: dt.timedelta, at: dt.datetime | None = None
) -> dt.datetime | None:
    """When `value` may use `bucket` again, or None if it may now (a look, nothing counted)."""
    at = at or timezone.now()
    times = list(
        RateLimitHit.objects.filter(bucket=bucket, key_hash=rate_key(value), at__gt=at - window)
        .order_by("at")
        .values_list("at", flat=True)
    )
    return times[len(times) - limit] + window if len(times) >= limit else None


def rate_limit_clear(*, bucket: str, value: str) -> None:
    """Forget the counted uses of `bucket` by `value` (a successful login clears its failures)."""
    RateLimitHit.objects.filter(bucket=bucket, key_hash=rate_key(value)).delete()
