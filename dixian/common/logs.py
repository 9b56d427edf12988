"""Logging helpers configured in config/settings.py (LOGGING).

A refused or missing page (403, 404) is an everyday answer, not a fault: Django logs a 403 with the whole
traceback of the PermissionDenied, which buries real errors in the log. Such records are cut to one line
naming the path, the account and the reason; a 5xx keeps its traceback.
"""

from __future__ import annotations

import logging

ONE_LINE_STATUSES = frozenset({403, 404})


class OneLineClientErrors(logging.Filter):
    """On the `django.request` logger: 403/404 records lose their traceback and say who asked."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Logging configured twice (dictConfig adds a logger's filters again; the demo server did) runs this twice.
        if getattr(record, "status_code", None) not in ONE_LINE_STATUSES or getattr(
            record, "one_line", False
        ):
            return True
        record.one_line = True
        reason = ""
        if record.exc_info and record.exc_info[1] is not None:
            reason = str(record.exc_info[1])
        record.exc_info = None
        record.exc_text = None
        request = getattr(record, "request", None)
        user = getattr(request, "user", None)
        who = getattr(user, "username", "") if getattr(user, "is_authenticated", False) else "anonymous"
        record.msg = f"{record.getMessage()} [{getattr(record, 'status_code', '')}] user={who}" + (
            f" · {reason}" if reason else ""
        )
        record.args = ()
        return True
