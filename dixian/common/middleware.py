"""Turn unexpected errors into a plain Chinese page; the traceback goes to the log, never to the user."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("dixian")


class FriendlyErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG:
            return None
        from django.core.exceptions import PermissionDenied
        from django.http import Http404

        if isinstance(exception, (Http404, PermissionDenied)):
            return None
        logger.exception("unhandled error on %s", request.path)
        from .views import server_error

        return server_error(request)


class NulRefusedMiddleware:
    """Refuse with 400 a request whose path or query values hold a NUL character (docs/security.md §4).

    No page has a use for one, and PostgreSQL cannot hold one in text: a NUL that reached a query would end
    in a 500 (psycopg refuses it) wherever a view reads a value without a form. Placed after the API's
    JSON errors, so that under /api/ the refusal is the API's JSON.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or "\x00" in value for key, value in _query_items(request)
        ):
            from .views import bad_request

            return bad_request(
                request, message="链接中含有不允许的空字符(%00),请从页面上的链接或按钮重新进入。"
            )
        return self.get_response(request)


def _query_items(request: HttpRequest) -> list[tuple[str, str]]:
    return [(key, value) for key, values in request.GET.lists() for value in values]
