"""What village governance offers the dispatch page (dixian.common.due, docs/domain.md §28 "What is due"):
decisions not closed whose next step or disclosure is due by the end of the week, overdue ones included.
One query, bounded to the week's items of the prefix."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from dixian.common.access import region_range_q
from dixian.common.due import DueItem, url_for_each

from .models import Decision

if TYPE_CHECKING:
    from dixian.accounts.models import User

LEDGER = "乡村治理"
LIMIT = 500


def governance_due(user: User, prefix: str, monday: dt.date, sunday: dt.date) -> list[DueItem]:
    rows = (
        Decision.objects.filter(region_range_q(prefix), next_due_on__lte=sunday)
        .exclude(status=Decision.Status.CLOSED)
        .select_related("region")
        # only what an item shows: 500 full rows and regions were a fifth of the city's dispatch page
        .only("region_code", "title", "next_step", "next_due_on", "region__name")
        .order_by("next_due_on", "pk")[:LIMIT]
    )
    decision_url = url_for_each("governance:decision_detail")
    return [
        DueItem(
            ledger=LEDGER,
            kind=f"四议两公开:{d.next_step_label}",
            title=f"{d.region.name}「{d.title}」",
            region_code=d.region_code,
            due_on=d.next_due_on,
            url=decision_url(d.pk),
            owner=f"{d.region.name}村两委",
        )
        for d in rows
        if d.next_due_on is not None
    ]
