"""Excel export of the filtered alert queue: the same scope and filters as the page, in urgency order.

ID numbers are masked, and numbers and dates in the free texts too, unless the account may see personal
data (docs/security.md §1); every text cell goes through
`common.spreadsheets.excel_text`, so nothing a person typed (a reason, a declarant's name) becomes a formula.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from django.utils import timezone

from dixian.common.access import may_view_pii
from dixian.common.masking import id_number_shown, reason_shown, text_shown
from dixian.common.spreadsheets import Sheet, export_workbook

from .models import Alert, AlertEvidence, Channel
from .selectors import AlertFilters, alert_queue_for_user

if TYPE_CHECKING:
    from dixian.accounts.models import User

MAX_ROWS = 50_000
CHUNK = 2000
CHANNELS = dict(Channel.choices)
HEADERS = [
    ("户编号", 20),
    ("户主/申报人", 12),
    ("所在村", 28),
    ("风险类型", 16),
    ("预警等级", 8),
    ("状态", 10),
    ("预警原因", 80),
    ("发现渠道", 24),
    ("相关人员证件号码", 22),
    ("首次预警", 12),
    ("核实期限", 12),
    ("超期天数", 8),
    ("核实结论", 30),
]


def _chunks(qs: Any) -> Iterator[list[Alert]]:
    chunk: list[Alert] = []
    for alert in qs.iterator(chunk_size=CHUNK):
        chunk.append(alert)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def alert_export_write(target: IO[bytes], *, user: User, filters: AlertFilters) -> int:
    """Write the workbook; returns the number of alerts (more than MAX_ROWS: nothing useful was written)."""
    qs = alert_queue_for_user(user, filters)
    total = qs.order_by()[: MAX_ROWS + 1].count()
    if total > MAX_ROWS:
        return total
    pii = may_view_pii(user)
    today = timezone.localdate()
    book, formats = export_workbook(target)
    sheet = Sheet(book, "预警线索", HEADERS, formats)
    for chunk in _chunks(qs):
        ids: dict[int, list[str]] = {}
        for alert_id, number in (
            AlertEvidence.objects.filter(alert_id__in=[a.pk for a in chunk])
            .exclude(id_number="")
            .values_list("alert_id", "id_number")
            .distinct()
        ):
            ids.setdefault(alert_id, []).append(id_number_shown(number, pii=pii))
        for a in chunk:
            overdue = (today - a.due_date).days if a.is_open and a.due_date < today else None
            sheet.write(
                [
                    a.household.household_no if a.household else "",
                    (a.household.head_name if a.household else a.subject_name) or "",
                    a.region.full_name or a.region.name,
                    a.get_risk_code_display(),
                    a.grade,
                    a.get_status_display(),
                    reason_shown(a.reason, pii=pii),
                    "、".join(CHANNELS.get(c, c) for c in a.channels),
                    "、".join(sorted(ids.get(a.pk, []))),
                    timezone.localdate(a.raised_at),
                    a.due_date,
                    overdue,
                    text_shown(a.close_note, pii=pii),
                ]
            )
    sheet.finish()
    book.close()
    return total
