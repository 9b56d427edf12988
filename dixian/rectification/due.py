"""What the rectification ledger offers the dispatch page (dixian/common/due.py, docs/domain.md §25
"Dispatch"): the open tasks of the unit due in the week or overdue before it, tasks done this week, and the
joint reviews waiting for the account's signature. Three queries, whatever the number of items."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Q

from dixian.common.access import region_range_q
from dixian.common.due import DueItem, url_for_each

from .models import Finding, FindingReviewer, FindingTask

if TYPE_CHECKING:
    from dixian.accounts.models import User

LEDGER = "问题整改"
MAX_ITEMS = 200


def due_items(user: User, prefix: str, monday: dt.date, sunday: dt.date) -> list[DueItem]:
    finding_url = url_for_each("rectification:finding_detail")
    # The first MAX_ITEMS tasks are chosen in a subquery of the task table alone (its region/status/deadline
    # index covers it) and only they are joined to their findings: joining before the sort read a finding for
    # each of the city's ~12,000 overdue tasks (docs/benchmarks.md "Dispatch (issue 19)"). Still one query.
    first = (
        FindingTask.objects.filter(region_range_q(prefix))
        .filter(
            Q(status=FindingTask.Status.OPEN, deadline__lte=sunday)
            | Q(
                status=FindingTask.Status.DONE, done_on__gte=monday, done_on__lte=sunday, deadline__gte=monday
            )
        )
        .order_by("deadline", "pk")
        .values("pk")[:MAX_ITEMS]
    )
    tasks = (
        FindingTask.objects.filter(pk__in=first)
        .select_related("finding")
        .only(
            "finding_id",
            "title",
            "region_code",
            "deadline",
            "owner_unit",
            "owner_name",
            "status",
            "finding__title",
        )
        .order_by("deadline", "pk")
    )
    items = [
        DueItem(
            ledger=LEDGER,
            kind="整改任务到期",
            title=f"{t.title}(问题:{t.finding.title})",
            region_code=t.region_code,
            due_on=t.deadline,
            url=finding_url(t.finding_id),
            owner=" ".join(x for x in (t.owner_unit, t.owner_name) if x),
            done=t.status == FindingTask.Status.DONE,
        )
        for t in tasks
    ]
    if user.pk is None:  # the command's reader account is never saved (§29): it reviews nothing
        return items
    reviews = (
        FindingReviewer.objects.filter(
            reviewer=user, decision=FindingReviewer.Decision.PENDING, finding__status=Finding.Status.REVIEW
        )
        .filter(region_range_q(prefix, "finding__region_code"))
        .select_related("finding")
        .only("finding_id", "unit", "finding__title", "finding__region_code", "finding__deadline")
        .order_by("finding__deadline", "pk")[:MAX_ITEMS]
    )
    items += [
        DueItem(
            ledger=LEDGER,
            kind="联审待签",
            title=r.finding.title,
            region_code=r.finding.region_code,
            due_on=r.finding.deadline or monday,
            url=finding_url(r.finding_id),
            owner=r.unit,
        )
        for r in reviews
    ]
    return items
