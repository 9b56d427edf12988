"""Reads of allocations and arrangements: scoped lists, one allocation for an account (404 outside its
subtree), and the figures of docs/domain.md §22 that the region report uses: 资金安排率 (arranged ÷ issued) by
level, and the industry share (产业发展占比) against the year's minimum.

`arrangement_totals` and `industry_share` are the functions the region report and `funds_report` ask; they
take a code prefix (a unit's subtree) and a year, and compute every figure from the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from dixian.common.access import region_range_q, scope_by_region
from dixian.domain import funds as fd

from .models import AMOUNT, Allocation, Arrangement, FundsPolicy

if TYPE_CHECKING:
    from dixian.accounts.models import User

ZERO = Decimal("0.00")


def allocations_for_user(user: User) -> QuerySet[Allocation]:
    return scope_by_region(user, Allocation.objects.all())


def with_arranged(qs: QuerySet[Allocation]) -> QuerySet[Allocation]:
    """Each allocation with `arranged`, the sum of its arrangements, in the same query (a subquery, so that
    the list's filters and paging stay on the allocation table)."""
    arranged = (
        Arrangement.objects.filter(allocation=OuterRef("pk"))
        .order_by()
        .values("allocation")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return qs.annotate(
        arranged=Coalesce(
            Subquery(arranged, output_field=DecimalField(**AMOUNT)),
            Value(ZERO, output_field=DecimalField(**AMOUNT)),
        )
    )


def allocation_get_for_user(user: User, pk: int) -> Allocation:
    try:
        return with_arranged(allocations_for_user(user)).select_related("region").get(pk=pk)
    except Allocation.DoesNotExist:
        raise Http404("资金下达不存在或不在您的管辖范围内") from None


def allocations_filtered(
    user: User, *, year: int | None, level: str, prefix: str | None, direct: bool | None
) -> QuerySet[Allocation]:
    qs = allocations_for_user(user)
    if prefix:
        qs = qs.filter(region_range_q(prefix))
    if year:
        qs = qs.filter(year=year)
    if level:
        qs = qs.filter(level=level)
    if direct is not None:
        qs = qs.filter(direct=direct)
    return qs


def allocation_list_totals(qs: QuerySet[Allocation]) -> tuple[Decimal, Decimal, Decimal | None]:
    """(issued, arranged, 资金安排率) of the allocations of a filtered list, whatever page is shown."""
    issued = qs.order_by().aggregate(s=Sum("amount"))["s"] or ZERO
    arranged = (
        Arrangement.objects.filter(allocation__in=qs.order_by().values("pk")).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    return issued, arranged, fd.share(arranged, issued)


@dataclass(frozen=True)
class LevelTotals:
    level: str
    issued: Decimal
    arranged: Decimal

    @property
    def label(self) -> str:
        return fd.FUND_LEVELS.get(self.level, "合计")

    @property
    def rate(self) -> Decimal | None:
        """资金安排率 = arranged ÷ issued (None when nothing was issued)."""
        return fd.share(self.arranged, self.issued)


def arrangement_totals(region_prefix: str, year: int) -> dict[str, LevelTotals]:
    """Issued and arranged of the year's allocations to units in the subtree `region_prefix`, per fund level
    (every level present, zero when none), plus "total". Two grouped queries."""
    scope = region_range_q(region_prefix)
    issued = dict(
        Allocation.objects.filter(scope, year=year)
        .order_by()
        .values("level")
        .annotate(s=Sum("amount"))
        .values_list("level", "s")
    )
    # An arrangement carries its allocation's receiving unit (region_code): the same subtree.
    arranged = dict(
        Arrangement.objects.filter(scope, allocation__year=year)
        .order_by()
        .values("allocation__level")
        .annotate(s=Sum("amount"))
        .values_list("allocation__level", "s")
    )
    out = {
        level: LevelTotals(level, issued.get(level) or ZERO, arranged.get(level) or ZERO)
        for level in fd.FUND_LEVELS
    }
    out["total"] = LevelTotals(
        "total", sum((t.issued for t in out.values()), ZERO), sum((t.arranged for t in out.values()), ZERO)
    )
    return out


@dataclass(frozen=True)
class IndustryShare:
    industry: Decimal  # arranged to projects of type 产业发展
    total: Decimal  # all the year's money arranged
    minimum: Decimal  # FundsPolicy.industry_share_min of the year (default 55 %)

    @property
    def share(self) -> Decimal | None:
        return fd.share(self.industry, self.total)

    @property
    def under(self) -> bool:
        """Flagged (docs/domain.md §22): arranged money whose industry share is under the year's minimum."""
        share = self.share
        return share is not None and share < self.minimum


def industry_share_minimum(year: int) -> Decimal:
    policy = FundsPolicy.objects.filter(year=year).only("industry_share_min").first()
    return policy.industry_share_min if policy is not None else fd.DEFAULT_INDUSTRY_SHARE_MIN


def industry_share(prefix: str, year: int) -> IndustryShare:
    """The industry share of the year's money arranged within the subtree `prefix` (arrangements of the
    year's allocations to units there), against the year's minimum."""
    rows = dict(
        Arrangement.objects.filter(region_range_q(prefix), allocation__year=year)
        .order_by()
        .values("project__kind")
        .annotate(s=Sum("amount"))
        .values_list("project__kind", "s")
    )
    total = sum(rows.values(), ZERO)
    return IndustryShare(rows.get(fd.INDUSTRY) or ZERO, total, industry_share_minimum(year))


def arrangements_of(allocation: Allocation) -> QuerySet[Arrangement]:
    return (
        Arrangement.objects.filter(allocation=allocation)
        .select_related("project")
        .order_by("arranged_on", "pk")
    )
