"""One mapping from an alert's grade and the days left to verify it to the colour a page shows.

The platform's colours say how urgent something is, the same way on every page: red, orange, yellow for the
three alert grades (the deadlines of docs/domain.md: 红 3 days, 橙 7, 黄 15), green only for what needs no
action. A deadline is never calmer than its alert: "剩 3 天" on a red alert is red, not green; a deadline that
is due or past is red whatever the grade, and two days or less make it at least orange.
"""

from __future__ import annotations

GRADE_CSS = {"红": "red", "橙": "orange", "黄": "yellow"}
ORDER = ("red", "orange", "yellow")  # most urgent first
SOON_DAYS = 2


def grade_css(grade: str) -> str:
    """'红' → 'red'; an unknown grade has no colour."""
    return GRADE_CSS.get(grade, "")


def _more_urgent(a: str, b: str) -> str:
    ranked = [c for c in (a, b) if c in ORDER]
    return min(ranked, key=ORDER.index) if ranked else ""


def due_css(grade: str, days_left: int | None) -> str:
    """The colour of a deadline: `days_left` None means the alert is closed (no urgency left)."""
    if days_left is None:
        return "muted"
    if days_left <= 0:
        return "red"
    by_days = "orange" if days_left <= SOON_DAYS else ""
    return _more_urgent(grade_css(grade), by_days) or "yellow"
