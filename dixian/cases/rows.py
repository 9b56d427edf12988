"""How an alert reads in a list: who, where, the deadline in days, the channels in Chinese.

Shared by the alert queue and the household page's 预警线索 section.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dixian.common.urgency import GRADE_CSS, due_css

from .models import Alert, Channel

CHANNEL_LABELS = dict(Channel.choices)


def due_text(alert: Alert, today: dt.date, case_due: dt.date | None = None) -> tuple[str, str]:
    """(text, css) of the deadline: days left, due today, or days overdue; closed alerts say so. The colour
    follows the alert's urgency (`common.urgency.due_css`), the same on every page. A 拟纳入 alert follows
    its case's 认定期限 (`case_due`), not its own (docs/domain.md §20)."""
    if not alert.is_open:
        return f"{alert.get_status_display()}", due_css(alert.grade, None)
    if alert.status == Alert.Status.PROPOSED:
        if case_due is None:
            return "拟纳入", due_css(alert.grade, None)
        days = (case_due - today).days
        prefix = "拟纳入 · 认定"
    else:
        days = (alert.due_date - today).days
        prefix = ""
    css = due_css(alert.grade, days)
    if days < 0:
        return f"{prefix}已超期 {-days} 天", css
    if days == 0:
        return f"{prefix}今天到期", css
    return f"{prefix}剩 {days} 天", css


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
    case_id: int | None = None  # the monitoring case a 拟纳入 alert follows

    @property
    def to_verify(self) -> bool:
        """Still worked by the village on the alert itself (what the queue's bulk actions may tick)."""
        return self.alert.status in Alert.TO_VERIFY_STATUSES


def alert_rows(
    alerts: list[Alert],
    today: dt.date,
    account_full_name: str = "",
    cases: dict[int, tuple[int, dt.date]] | None = None,
) -> list[AlertRow]:
    """`cases`: {alert pk: (case pk, the case's 认定期限)} of the 拟纳入 alerts (`selectors.case_clock_of`)."""
    cases = cases or {}
    rows = []
    for a in alerts:
        case_id, case_due = cases.get(a.pk, (None, None))
        full = a.region.full_name or a.region.name
        if account_full_name and full.startswith(account_full_name) and full != account_full_name:
            full = full[len(account_full_name) :]
        due, css = due_text(a, today, case_due)
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
                case_id=case_id if a.status == Alert.Status.PROPOSED else None,
            )
        )
    return rows
