"""How an alert reads in a list: who, where, the deadline in days, the channels in Chinese.

Shared by the alert queue and the household page's 预警线索 section.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dixian.common.urgency import GRADE_CSS, due_css

from .models import Alert, Channel

CHANNEL_LABELS = dict(Channel.choices)


def due_text(alert: Alert, today: dt.date) -> tuple[str, str]:
    """(text, css) of the deadline: days left, due today, or days overdue; closed alerts say so. The colour
    follows the alert's urgency (`common.urgency.due_css`), the same on every page."""
    if not alert.is_open:
        return f"{alert.get_status_display()}", due_css(alert.grade, None)
    days = (alert.due_date - today).days
    css = due_css(alert.grade, days)
    if days < 0:
        return f"已超期 {-days} 天", css
    if days == 0:
        return "今天到期", css
    return f"剩 {days} 天", css


@dataclass
class AlertRow:
    alert: Alert
    household_no: str
    name: str
    village: str
    channels: list[str]
    grade_css: str
    due: str
    due_css: str


def alert_rows(alerts: list[Alert], today: dt.date, account_full_name: str = "") -> list[AlertRow]:
    rows = []
    for a in alerts:
        full = a.region.full_name or a.region.name
        if account_full_name and full.startswith(account_full_name) and full != account_full_name:
            full = full[len(account_full_name) :]
        due, css = due_text(a, today)
        rows.append(
            AlertRow(
                alert=a,
                household_no=a.household.household_no if a.household else "",
                name=(a.household.head_name if a.household else a.subject_name) or "(未登记)",
                village=full,
                channels=[CHANNEL_LABELS.get(c, c) for c in a.channels],
                grade_css=GRADE_CSS.get(a.grade, ""),
                due=due,
                due_css=css,
            )
        )
    return rows
