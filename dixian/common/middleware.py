"""Turn unexpected errors into a plain Chinese page (the traceback goes to the log, never to the user), and
keep pages with personal data out of every cache."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

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


class NoStoreMiddleware:
    """`Cache-Control: no-store` (and `Pragma: no-cache`) on whatever may carry personal data (docs/security.md
    §7): every answer to a signed-in account or to a request with credentials (the push API's token), and
    every download. A browser or proxy then keeps no copy for the next person at the same computer. Static
    files are answered by WhiteNoise before this middleware and stay cacheable; so do the public pages of an
    anonymous visitor, whose forms set their own never-cache headers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            (user is not None and user.is_authenticated)
            or "HTTP_AUTHORIZATION" in request.META
            or response.has_header("Content-Disposition")
        ):
            add_never_cache_headers(response)
            response["Pragma"] = "no-cache"
        return response


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
