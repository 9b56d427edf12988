"""What a view's `request` carries, for the type checker; and who sent it (`client_ip`).

Django hands every view a plain `HttpRequest`; these subclasses only tell mypy what the middleware and
the decorators have already made true, so that no view has to re-check it. Nothing is created from them.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from dixian.accounts.models import User


class HtmxHttpRequest(HttpRequest):
    """Any request: django-htmx's middleware (config/settings.py) sets `request.htmx` on each one."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """The request of a view behind `login_required`: its user is a signed-in account, not AnonymousUser."""

    user: User


def _address(text: str) -> str | None:
    """`text` as a canonical IP address, or None when it is not one."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The address of whoever sent the request, for per-IP rate limits (docs/security.md §7).

    Without a proxy this is REMOTE_ADDR. Behind a reverse proxy, DIXIAN_CLIENT_IP_HEADER names the header
    it sets (e.g. HTTP_X_FORWARDED_FOR or HTTP_X_REAL_IP). Of a comma-separated list only the rightmost
    entry is taken: the proxy appends the address it saw, while every entry to its left came from the
    client and may be anything. A missing, empty or unparsable rightmost entry (a trailing comma, a port, a
    name) is not trusted either: the answer is then REMOTE_ADDR, never an entry further left.
    """
    remote = request.META.get("REMOTE_ADDR") or ""
    header = settings.DIXIAN_CLIENT_IP_HEADER
    if header and header != "REMOTE_ADDR":
        raw = request.META.get(header)
        rightmost = _address(raw.rsplit(",", 1)[-1]) if isinstance(raw, str) else None
        if rightmost is not None:
            return rightmost
    return _address(remote) or remote.strip() or "unknown"
