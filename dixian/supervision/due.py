"""What the supervision ledger offers the dispatch page (dixian/common/due.py, docs/domain.md §26): the visits
planned in the week (done ones struck through) and the planned visits past their date without a record."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Q

from dixian.common.access import region_range_q
from dixian.common.due import DueItem, url_for_each

from .selectors import visits_for_user

if TYPE_CHECKING:
    from dixian.accounts.models import User

LEDGER = "组织保障与督导"
# At most this many visits are listed (the oldest first): the page is a week's work, not an archive.
DUE_MAX = 500


def supervision_due(user: User, prefix: str, monday: dt.date, sunday: dt.date) -> list[DueItem]:
    """One query: the account's visits under `prefix` planned in the week, or planned before it and not
    recorded. A planned 暗访 is listed only to accounts that may plan visits (visits_for_user)."""
    visits = (
        visits_for_user(user)
        .filter(region_range_q(prefix))
        .filter(Q(planned_on__range=(monday, sunday)) | Q(planned_on__lt=monday, done_on__isnull=True))
        .select_related("region")
        # only what an item shows (docs/benchmarks.md "Dispatch (issue 19)")
        .only("kind", "region_code", "topic", "planned_on", "done_on", "region__name", "region__full_name")
        .order_by("planned_on", "pk")[:DUE_MAX]
    )
    visit_url = url_for_each("supervision:visit_detail")
    items = []
    for visit in visits:
        this_week = monday <= visit.planned_on <= sunday
        items.append(
            DueItem(
                ledger=LEDGER,
                kind=f"{visit.get_kind_display()}{'计划' if this_week else '逾期未记录'}",
                title=f"{visit.region.full_name or visit.region.name}:{visit.topic}",
                region_code=visit.region_code,
                due_on=visit.planned_on,
                url=visit_url(visit.pk),
                done=visit.done_on is not None,
            )
        )
    return items
