"""What a view's `request` carries, for the type checker.

Django hands every view a plain `HttpRequest`; these subclasses only tell mypy what the middleware and
the decorators have already made true, so that no view has to re-check it. Nothing is created from them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def client_ip(request: HttpRequest) -> str:
    """The address of whoever sent the request, for per-IP rate limits: REMOTE_ADDR, or the header a trusted
    reverse proxy sets (settings.DIXIAN_CLIENT_IP_HEADER), of which the rightmost entry, the one the proxy
    appended (docs/security.md §7)."""
    from django.conf import settings

    raw = request.META.get(settings.DIXIAN_CLIENT_IP_HEADER) or request.META.get("REMOTE_ADDR") or ""
    return str(raw).rsplit(",", 1)[-1].strip() or "unknown"
