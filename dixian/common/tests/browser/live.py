"""The live server seen from the test thread: on SQLite's in-memory test database the server's threads and
the test share one connection, so requests go one at a time and the test waits for a gap to use it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any


class OneRequestAtATime:
    """The live server answers each request on its own thread; on SQLite's in-memory test database every
    thread shares the one connection, and two requests at once (a search typed and submitted, a poll beside
    a click) break it ("bad parameter or other API misuse"). The browser still opens several connections;
    the application is entered by one request at a time."""

    # One lock for the process: the test thread takes it too (`server_idle`) while it uses the database
    # and the page may still be loading something (a captcha image, a poll).
    lock = threading.Lock()

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self.lock:
            return self.app(environ, start_response)


def server_idle() -> AbstractContextManager[object]:
    """Hold the live server between requests while the test thread uses the (on SQLite, shared) database
    connection; a no-op on PostgreSQL, where each thread has its own connection."""
    from django.db import connection

    return OneRequestAtATime.lock if connection.vendor == "sqlite" else nullcontext()
