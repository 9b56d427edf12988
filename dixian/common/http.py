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
