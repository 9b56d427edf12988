"""Reading figures: an indicator's value for a unit and a month, its comparisons, its ranking and trend.

Everything here reads `Fact` rows (a handful of indexed queries per page), never the source tables
(docs/domain.md §21). A missing fact is zero: a month without data shows zeros with a note, not an error.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from django.db.models import Q, Sum

from dixian.regions.models import Region

from .catalogue import Indicator
from .models import Fact, FactRefresh
from .periods import Period

Mode = Literal["month", "ytd"]
MODES: dict[str, str] = {"month": "当月", "ytd": "年累计"}
ZERO = Decimal(0)


@dataclass(frozen=True)
class Figure:
    indicator: Indicator
    numerator: Decimal
    denominator: Decimal | None

    @property
    def value(self) -> Decimal | None:
        """The number shown: a count, or the ratio (None when its denominator is zero)."""
        if self.denominator is None:
            return self.numerator
        if not self.denominator:
            return None
        ratio = self.numerator / self.denominator
        if self.indicator.is_percent:
            ratio *= 100
        step = Decimal(1).scaleb(-self.indicator.places) if self.indicator.is_percent else Decimal("1")
        return ratio.quantize(step, ROUND_HALF_UP)

    @property
    def empty(self) -> bool:
        return not self.numerator and not self.denominator


@dataclass(frozen=True)
class Compared:
    """A figure with the previous month's and the same month of the previous year's."""

    current: Figure
    previous: Figure
    year_ago: Figure

    @staticmethod
    def change(a: Decimal | None, b: Decimal | None, *, percent: bool) -> Decimal | None:
        """The change from b to a: in points for a percentage, else relative (%); None if b is 0."""
        if a is None or b is None:
            return None
        if percent:
            return (a - b).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if not b:
            return None
        return ((a - b) / b * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def month_on_month(self) -> Decimal | None:
        return self.change(self.current.value, self.previous.value, percent=self.current.indicator.is_percent)

    @property
    def year_on_year(self) -> Decimal | None:
        return self.change(self.current.value, self.year_ago.value, percent=self.current.indicator.is_percent)


def months_of(indicator: Indicator, period: Period, mode: Mode) -> list[Period]:
    """The months a figure adds up: the month itself, or January to it for a flow's 年累计."""
    if mode == "ytd" and indicator.flow:
        return period.year_to_date()
    return [period]


def _key_q(indicators: Iterable[Indicator]) -> Q:
    q = Q()
    for ind in indicators:
        q |= Q(code=ind.numerator, dim=ind.dim)
        if ind.denominator:
            q |= Q(code=ind.denominator, dim=ind.denominator_dim)
    return q


def facts_of(
    region_codes: Sequence[str], periods: Sequence[Period], indicators: Sequence[Indicator]
) -> dict[tuple[str, str, str, str], Decimal]:
    """{(region_code, period, code, dim): value} for the facts the indicators read, in one query."""
    if not indicators or not region_codes:
        return {}
    rows = Fact.objects.filter(
        _key_q(indicators), region_code__in=list(region_codes), period__in=[str(p) for p in periods]
    ).values_list("region_code", "period", "code", "dim", "value")
    return {(r, p, code, dim): value for r, p, code, dim, value in rows}


def figure_from(
    facts: dict[tuple[str, str, str, str], Decimal],
    indicator: Indicator,
    region_code: str,
    period: Period,
    mode: Mode = "month",
) -> Figure:
    months = [str(p) for p in months_of(indicator, period, mode)]
    num = sum((facts.get((region_code, m, indicator.numerator, indicator.dim), ZERO) for m in months), ZERO)
    den: Decimal | None = None
    if indicator.denominator:
        den = sum(
            (
                facts.get((region_code, m, indicator.denominator, indicator.denominator_dim), ZERO)
                for m in months
            ),
            ZERO,
        )
    return Figure(indicator, num, den)


def comparison_periods(period: Period, mode: Mode) -> list[Period]:
    """Every month a comparison of `period` reads (this year's, last month's, last year's)."""
    found: set[Period] = set()
    for p in (period, period.previous(), period.year_ago()):
        found |= set(p.year_to_date() if mode == "ytd" else [p])
    return sorted(found)


def figures_compared(
    region: Region, period: Period, indicators: Sequence[Indicator], mode: Mode = "month"
) -> list[Compared]:
    """The indicators' figures for `region`, each with last month's and last year's, in one query."""
    facts = facts_of([region.code], comparison_periods(period, mode), indicators)
    return [
        Compared(
            figure_from(facts, ind, region.code, period, mode),
            figure_from(facts, ind, region.code, period.previous(), mode),
            figure_from(facts, ind, region.code, period.year_ago(), mode),
        )
        for ind in indicators
    ]


@dataclass(frozen=True)
class Ranked:
    region: Region
    figure: Figure
    rank: int | None


def ranking(region: Region, period: Period, indicator: Indicator, mode: Mode = "month") -> list[Ranked]:
    """The units directly below `region` with the indicator's figure, best first (by `better`), in two
    queries. Equal figures share a rank; units without a figure come last, unranked (a ratio over
    nothing has no rank)."""
    return rankings(region, period, [indicator], mode)[indicator.code]


def rankings(
    region: Region, period: Period, indicators: Sequence[Indicator], mode: Mode = "month"
) -> dict[str, list[Ranked]]:
    """`ranking` of several indicators at once, in the same two queries: {indicator code: ranked units}
    (the monthly bulletin's table of units, which ranks every headline figure)."""
    children = list(Region.objects.filter(parent=region).order_by("code"))
    months = sorted({m for ind in indicators for m in months_of(ind, period, mode)})
    facts = facts_of([c.code for c in children], months, indicators)
    return {ind.code: _ranked(children, facts, ind, period, mode) for ind in indicators}


def _ranked(
    children: list[Region],
    facts: dict[tuple[str, str, str, str], Decimal],
    indicator: Indicator,
    period: Period,
    mode: Mode,
) -> list[Ranked]:
    figures = [(c, figure_from(facts, indicator, c.code, period, mode)) for c in children]
    ranked = sorted(
        (f for f in figures if f[1].value is not None),
        key=lambda f: f[1].value or ZERO,
        reverse=indicator.better != "down",
    )
    # Equal figures share a rank (1, 2, 2, 4): two counties with no overdue case are not first and second.
    out: list[Ranked] = []
    rank, last = 0, None
    for i, (c, fig) in enumerate(ranked, start=1):
        if i == 1 or fig.value != last:
            rank, last = i, fig.value
        out.append(Ranked(c, fig, rank))
    out.extend(Ranked(c, fig, None) for c, fig in figures if fig.value is None)
    return out


def trend(
    region: Region, period: Period, indicator: Indicator, months: int = 13
) -> list[tuple[Period, Figure]]:
    """The indicator's monthly figure for the `months` months up to `period`, in one query."""
    span = [period.back(i) for i in range(months - 1, -1, -1)]
    facts = facts_of([region.code], span, [indicator])
    return [(p, figure_from(facts, indicator, region.code, p)) for p in span]


def breakdown(
    region: Region, period: Period, indicator: Indicator, mode: Mode = "month"
) -> list[tuple[str, Decimal]]:
    """The indicator's numerator split by its breakdown dimension: [(dim value, total)], largest first."""
    if not indicator.breakdown:
        return []
    months = [str(p) for p in months_of(indicator, period, mode)]
    rows = (
        Fact.objects.filter(
            region_code=region.code,
            period__in=months,
            code=indicator.numerator,
            dim__startswith=indicator.breakdown,
        )
        .values_list("dim")
        .annotate(total=Sum("value"))
    )
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for dim, total in rows:
        totals[dim.removeprefix(indicator.breakdown)] += total
    return sorted(totals.items(), key=lambda kv: -kv[1])


def last_refresh() -> FactRefresh | None:
    return FactRefresh.objects.order_by("-finished_at").first()
