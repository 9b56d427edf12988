"""Figures of village governance per township (docs/domain.md §28), each an aggregate query grouped by the
township's code (the first nine digits of a record's region_code): three queries whatever the size."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr

from dixian.regions.models import Region

from .models import Decision, PointsAward, PointsRedemption

TOWNSHIP_DIGITS = 9


@dataclass
class Figures:
    decisions: int = 0
    done: int = 0  # implemented or closed
    complete: int = 0  # done with no missing step
    flagged: int = 0  # done with a missing step
    households: int = 0  # households with any award (in 积分制)
    awarded: int = 0  # points of positive awards
    deducted: int = 0  # points of negative awards (as a positive number)
    redeemed: int = 0

    @property
    def completeness(self) -> Decimal | None:
        """complete ÷ implemented or closed; None when nothing is implemented yet."""
        if not self.done:
            return None
        return (Decimal(self.complete) / Decimal(self.done)).quantize(Decimal("0.0001"))


@dataclass
class TownshipRow:
    code: str
    name: str
    figures: Figures


@dataclass
class Report:
    rows: list[TownshipRow] = field(default_factory=list)
    total: Figures = field(default_factory=Figures)


def report(
    decisions: QuerySet[Decision], awards: QuerySet[PointsAward], redemptions: QuerySet[PointsRedemption]
) -> Report:
    """The figures of the (already scoped and filtered) records, by township and in total."""
    by: dict[str, Figures] = {}
    town = Substr("region_code", 1, TOWNSHIP_DIGITS)
    done_q = ~Q(status=Decision.Status.OPEN)
    for row in (
        decisions.order_by()
        .annotate(t=town)
        .values("t")
        .annotate(
            n=Count("pk"),
            done=Count("pk", filter=done_q),
            flagged=Count("pk", filter=done_q & ~Q(missing="")),
        )
    ):
        f = by.setdefault(row["t"], Figures())
        f.decisions, f.done, f.flagged = row["n"], row["done"], row["flagged"]
        f.complete = f.done - f.flagged
    for arow in (
        awards.order_by()
        .annotate(t=town)
        .values("t")
        .annotate(
            households=Count("household", distinct=True),
            awarded=Sum("points", filter=Q(points__gt=0)),
            deducted=Sum("points", filter=Q(points__lt=0)),
        )
    ):
        f = by.setdefault(arow["t"], Figures())
        f.households, f.awarded = arow["households"], arow["awarded"] or 0
        f.deducted = -(arow["deducted"] or 0)
    for rrow in redemptions.order_by().annotate(t=town).values("t").annotate(s=Sum("points")):
        by.setdefault(rrow["t"], Figures()).redeemed = rrow["s"] or 0
    names = dict(Region.objects.filter(code__in=[t + "000" for t in by]).values_list("code", "name"))
    out = Report()
    for code in sorted(by):
        f = by[code]
        out.rows.append(TownshipRow(code + "000", names.get(code + "000", code), f))
        t = out.total
        t.decisions += f.decisions
        t.done += f.done
        t.complete += f.complete
        t.flagged += f.flagged
        t.households += f.households  # a household's awards lie in one township (they follow its moves)
        t.awarded += f.awarded
        t.deducted += f.deducted
        t.redeemed += f.redeemed
    return out
