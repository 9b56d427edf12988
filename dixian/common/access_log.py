"""The access log (个人信息访问记录): who saw whose personal data, when, and how (docs/security.md §5).

Every page, export, search and download that shows a record's personal data calls `log_access` once per
request: one INSERT, nothing else (no query to find out anything: the caller passes what it has already
read). The row is never changed afterwards; the admin shows it read-only, no page or API writes it, and
the worker deletes rows older than DIXIAN_ACCESS_LOG_DAYS (`access_log_purge`).

What is stored: the account (id and name), the time, the action, the household and the members shown (for a
page about one household), the number of records and the scope (for an export, a list or a search: the
filters, with every ID or mobile number in them masked), the fields shown, whether numbers were masked
(False: a "reveal", the account saw full numbers), the path without its query string (a query may carry a
full number) and the client address.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from .access import may_view_pii, user_prefix
from .http import client_ip
from .masking import text_shown
from .models import AccessLog

if TYPE_CHECKING:
    from dixian.accounts.models import User

# Off only for the benchmark's baseline (bench/bench_access_log.py): no setting turns the log off.
ENABLED = True

Action = AccessLog.Action

# What the common pages show, named once so that the log's readers see the same words for the same thing.
HOUSEHOLD_FIELDS = ("name", "id_number", "phone", "birth_date", "address", "health", "disability", "income")
PERSON_FIELDS = ("name", "id_number", "phone", "birth_date", "health", "disability")
HEALTH = frozenset({"health", "disability"})


def _logged_ip(request: HttpRequest) -> str | None:
    """The client's address as `http.client_ip` tells it (docs/security.md §7); None when it is not one."""
    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:
        return None


_HYPHENATED_DIGITS = re.compile(r"(?<=\d)[-\s](?=\d)")


def scope_text(text: str) -> str:
    """A scope or search term as the log keeps it: every ID or mobile number in it masked, whoever asked
    (the log's readers need not have the personal-data right). 138-1234-5678 is masked like 13812345678."""
    return text_shown(_HYPHENATED_DIGITS.sub("", text), pii=False)[:300]


def log_access(
    who: HttpRequest | User,
    *,
    action: str = Action.VIEW,
    household: Any = None,
    persons: Iterable[Any] = (),
    fields: Iterable[str] = (),
    masked: bool | None = None,
    count: int | None = None,
    scope: str = "",
    region_code: str | None = None,
    path: str = "",
    at: dt.datetime | None = None,
) -> AccessLog | None:
    """Record one showing of personal data (one INSERT). Returns the row, or None for an anonymous visitor.

        `who` is the request (account, path and address are read from it) or, in a background job, the
        account. `household` is the one household a page is about (an object with `pk` and `region_code`, or
    its id with `region_code` given);
        `persons` the members shown (objects or ids). `masked` defaults to the account lacking the
        personal-data right. `region_code` defaults to the household's, else the account's own region prefix.
    """
    if not ENABLED:
        return None
    request = who if isinstance(who, HttpRequest) else None
    user: Any = request.user if request is not None else who
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    person_ids = [p if isinstance(p, int) else p.pk for p in persons]
    if masked is None:
        masked = not may_view_pii(user)
    shown = [f for f in fields if not (masked and f in HEALTH)]  # hidden without the right, never shown
    household_id = household if isinstance(household, int) or household is None else household.pk
    if region_code is None:
        region_code = getattr(household, "region_code", None) or user_prefix(user) or ""
    if count is None:
        count = max(len(person_ids), 1 if household is not None else 0)
    return AccessLog.objects.create(
        at=at or timezone.now(),
        account=user,
        account_name=(f"{user.get_full_name()}({user.username})" if user.get_full_name() else user.username)[
            :200
        ],
        action=action,
        region_code=region_code[:14],
        household_id=household_id,
        person_ids=person_ids,
        record_count=count,
        scope=scope_text(scope),
        fields=shown,
        masked=masked,
        path=(request.path if request is not None else path)[:300],
        ip=_logged_ip(request) if request is not None else None,
    )


def access_log_purge(*, now: dt.datetime | None = None) -> int:
    """Delete rows older than DIXIAN_ACCESS_LOG_DAYS (the only deletion there is); returns how many."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.DIXIAN_ACCESS_LOG_DAYS)
    deleted, _ = AccessLog.objects.filter(at__lt=cutoff).delete()
    return deleted
