"""The gate in front of every page (docs/security.md §6).

A signed-in account with a temporary password (set by an administrator) is sent to the password form until
it has chosen its own; with DIXIAN_REQUIRE_TOTP_FOR_PII=1, an account with the personal-data right is sent
to the second factor's page until this session has been verified by it (set up, or its code typed at
sign-in). Signing in and out, those two pages and the push API (which answers to tokens) stay open.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .views import VERIFIED

OPEN_NAMES = (
    "accounts:login",
    "accounts:login_verify",
    "accounts:logout",
    "accounts:password_change",
    "accounts:totp",
    "accounts:totp_qr",
)
OPEN_PREFIXES = ("/api/", "/static/", "/favicon.ico")


class AccountGate:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open: frozenset[str] | None = None

    def open_paths(self) -> frozenset[str]:
        if self._open is None:
            self._open = frozenset(reverse(name) for name in OPEN_NAMES)
        return self._open

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and request.path not in self.open_paths()
        ):
            if getattr(user, "must_change_password", False):
                return self._send(request, "accounts:password_change")
            if (
                settings.DIXIAN_REQUIRE_TOTP_FOR_PII
                and getattr(user, "can_view_pii", False)
                and not request.session.get(VERIFIED)
            ):
                return self._send(request, "accounts:totp")
        return self.get_response(request)

    @staticmethod
    def _send(request: HttpRequest, name: str) -> HttpResponse:
        url = reverse(name)
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
