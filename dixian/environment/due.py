"""What the living environment offers the dispatch page (docs/domain.md §27 "Not reported", §29): per
township under the prefix, its weekly report of the week asked (due the following week's deadline) while any
village lacks it, the previous four weeks' still missing (overdue), and the reports of the week filed late
(done, marked 迟报). Four queries whatever the number of townships."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.db.models.functions import Substr

from dixian.common.access import region_range_q
from dixian.common.due import DueItem, url_for_each
from dixian.regions.models import Region

from .models import WeeklyReport
from .validation import week_label

if TYPE_CHECKING:
    from dixian.accounts.models import User

LEDGER = "人居环境"
OVERDUE_WEEKS = 4


def environment_due(user: User, prefix: str, monday: dt.date, sunday: dt.date) -> list[DueItem]:
    from .services import deadline_of

    weeks = [monday - dt.timedelta(days=7 * k) for k in range(OVERDUE_WEEKS + 1)]
    townships = list(
        Region.objects.in_use()
        .filter(region_range_q(prefix, "code"), level=Region.Level.TOWNSHIP)
        .order_by("code")
    )
    if len(prefix) > 9:  # a village's account: its own township's report concerns it
        townships = list(Region.objects.filter(code=prefix[:9] + "000", level=Region.Level.TOWNSHIP))
    villages = dict(
        Region.objects.in_use()
        .filter(region_range_q(prefix[:9] if len(prefix) > 9 else prefix, "code"), level=Region.Level.VILLAGE)
        .annotate(t=Substr("code", 1, 9))
        .values("t")
        .annotate(n=Count("pk"))
        .values_list("t", "n")
    )
    filed: dict[tuple[str, dt.date], tuple[int, int]] = {}
    for row in (
        WeeklyReport.objects.filter(region_range_q(prefix[:9] if len(prefix) > 9 else prefix), week__in=weeks)
        .annotate(t=Substr("region_code", 1, 9))
        .values("t", "week")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(late=True)))
    ):
        filed[(row["t"], row["week"])] = (row["n"], row["late"])
    form_url = url_for_each("environment:weekly_form")
    shown = {week: (week_label(week), deadline_of(week).date()) for week in weeks}
    items: list[DueItem] = []
    for t in townships:
        total = villages.get(t.prefix, 0)
        if not total:
            continue
        form = form_url(t.code)
        for week in weeks:
            n, late = filed.get((t.prefix, week), (0, 0))
            label, due_on = shown[week]
            url = f"{form}?week={label}"
            if n < total:
                items.append(
                    DueItem(
                        ledger=LEDGER,
                        kind="周报未报",
                        title=f"{t.name}{label}人居环境周报:{total - n}个村未报",
                        region_code=t.code,
                        due_on=due_on,
                        url=url,
                        owner=t.name,
                    )
                )
            elif week == monday:
                items.append(
                    DueItem(
                        ledger=LEDGER,
                        kind="周报迟报" if late else "周报已报",
                        title=f"{t.name}{label}人居环境周报已报送" + (f"({late}个村迟报)" if late else ""),
                        region_code=t.code,
                        due_on=due_on,
                        url=url,
                        owner=t.name,
                        done=True,
                    )
                )
    return items
