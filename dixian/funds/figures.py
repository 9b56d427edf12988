"""The headline figures of a region's funds and projects for a year (docs/domain.md §22 "Figures"): the one
place where the report page, its workbook, `dixian funds_report` and the leaders' dashboard (reports/
producers_funds.py) take their definitions from.

Six aggregate queries whatever the number of rows, each grouped by a prefix of the rows' region codes (a
unit's children, or every 12-digit code for the dashboard's facts), and the year's policy: no row is read
into Python, only one sum per group. Amounts are Decimals exact to the fen; a rate is a Decimal to four
places (`dixian.domain.funds.share`), None when its denominator is nothing.

Where a figure is counted (docs/domain.md §22): allocations and arrangements at the allocation's receiving
unit (usually a county), projects and payments at the project's place (a village, or a township), assets at
their place, linked households at the household's village (so distinct households add up the tree: a
household lives in one unit).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Substr

from dixian.common.access import region_range_q
from dixian.domain import funds as fd
from dixian.regions.models import Region
from dixian.registry.choices import HouseholdKind
from dixian.registry.models import MONITORED, Household

from .models import Allocation, Arrangement, Asset, BenefitLink, FundsPolicy, Payment, Project

ZERO = Decimal("0.00")


@dataclass
class Figures:
    """The raw sums of one unit (or one group of rows); the rates are computed from them."""

    issued: Decimal = ZERO
    issued_by_level: dict[str, Decimal] = field(default_factory=dict)
    issued_direct: Decimal = ZERO
    arranged: Decimal = ZERO
    arranged_industry: Decimal = ZERO
    planned: int = 0
    started: int = 0
    completed: int = 0
    accepted: int = 0
    budget: Decimal = ZERO
    paid: Decimal = ZERO
    # asset class -> (count, value); disposed assets are not held any more.
    assets: dict[str, tuple[int, Decimal]] = field(default_factory=dict)
    households: int = 0
    households_poor: int = 0  # of which 脱贫户 or 监测户 (docs/domain.md §22)

    def add(self, other: Figures) -> None:
        for name in (
            "issued",
            "issued_direct",
            "arranged",
            "arranged_industry",
            "planned",
            "started",
            "completed",
            "accepted",
            "budget",
            "paid",
            "households",
            "households_poor",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for level, amount in other.issued_by_level.items():
            self.issued_by_level[level] = self.issued_by_level.get(level, ZERO) + amount
        for cls, (n, value) in other.assets.items():
            had_n, had_value = self.assets.get(cls, (0, ZERO))
            self.assets[cls] = (had_n + n, had_value + value)

    # ---- the rates (docs/domain.md §22) ----
    @property
    def arranged_rate(self) -> Decimal | None:
        return fd.share(self.arranged, self.issued)

    @property
    def direct_share(self) -> Decimal | None:
        return fd.share(self.issued_direct, self.issued)

    @property
    def industry_share(self) -> Decimal | None:
        return fd.share(self.arranged_industry, self.arranged)

    @property
    def started_rate(self) -> Decimal | None:
        return fd.share(Decimal(self.started), Decimal(self.planned))

    @property
    def completed_rate(self) -> Decimal | None:
        return fd.share(Decimal(self.completed), Decimal(self.planned))

    @property
    def accepted_rate(self) -> Decimal | None:
        return fd.share(Decimal(self.accepted), Decimal(self.planned))

    @property
    def paid_rate(self) -> Decimal | None:
        return fd.share(self.paid, self.budget)

    @property
    def assets_count(self) -> int:
        return sum(n for n, _v in self.assets.values())

    @property
    def assets_value(self) -> Decimal:
        return sum((v for _n, v in self.assets.values()), ZERO)


@dataclass
class RegionRow:
    """A row of the table by child region: the child (None for the unit's own rows, 本级) and its sums."""

    region: Region | None
    label: str
    figures: Figures


@dataclass
class RegionReport:
    region: Region
    year: int
    total: Figures
    rows: list[RegionRow]
    industry_share_min: Decimal

    @property
    def industry_share_low(self) -> bool:
        """Flagged when the industry share is under the year's minimum (no flag before anything is arranged)."""
        share = self.total.industry_share
        return share is not None and share < self.industry_share_min


def _fen(value: Decimal | None) -> Decimal:
    """A database sum exact to the fen: SQLite's SUM of decimals comes back with trailing digits."""
    return ZERO if value is None else Decimal(value).quantize(fd.FEN)


def industry_share_min(year: int) -> Decimal:
    policy = FundsPolicy.objects.filter(year=year).values_list("industry_share_min", flat=True).first()
    return policy if policy is not None else fd.DEFAULT_INDUSTRY_SHARE_MIN


def _key(qs: QuerySet, length: int) -> QuerySet:
    return qs.annotate(key=Substr("region_code", 1, length))


def figures_by_prefix(
    year: int, prefix: str, key_length: int, *, as_of: dt.date | None = None
) -> dict[str, Figures]:
    """The sums of the year's rows in the subtree of `prefix` (a code prefix; "" for everything), grouped by
    the first `key_length` digits of their region codes. `as_of`: count only what was done by that day (a
    month's end for the dashboard's history; None: everything recorded). Assets and links carry no date:
    they are counted as they are now."""
    scope = region_range_q(prefix) if prefix else Q()
    out: dict[str, Figures] = defaultdict(Figures)

    allocations = Allocation.objects.filter(scope, year=year)
    if as_of is not None:
        allocations = allocations.filter(doc_date__lte=as_of)
    for row in (
        _key(allocations, key_length)
        .values("key", "level", "direct")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        f = out[row["key"]]
        f.issued += _fen(row["total"])
        f.issued_by_level[row["level"]] = f.issued_by_level.get(row["level"], ZERO) + _fen(row["total"])
        if row["direct"]:
            f.issued_direct += _fen(row["total"])

    arrangements = Arrangement.objects.filter(scope, allocation__year=year)
    if as_of is not None:
        arrangements = arrangements.filter(arranged_on__lte=as_of, allocation__doc_date__lte=as_of)
    industry = Case(
        When(project__kind=fd.INDUSTRY, then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    for row in (
        _key(arrangements, key_length)
        .values("key")
        .annotate(industry=industry)
        .values("key", "industry")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        f = out[row["key"]]
        f.arranged += _fen(row["total"])
        if row["industry"]:
            f.arranged_industry += _fen(row["total"])

    planned = Q(state=fd.IN_PLAN)
    if as_of is not None:
        planned &= Q(planned_on__lte=as_of)
    done = {name: Q(**{f"{name}_on__isnull": False}) for name in ("started", "completed", "accepted")}
    if as_of is not None:
        done = {name: q & Q(**{f"{name}_on__lte": as_of}) for name, q in done.items()}
    projects = Project.objects.filter(scope, planned, year=year)
    for row in (
        _key(projects, key_length)
        .values("key")
        .annotate(
            planned=Count("pk"),
            started=Count("pk", filter=done["started"]),
            completed=Count("pk", filter=done["completed"]),
            accepted=Count("pk", filter=done["accepted"]),
            budget=Sum("budget_total"),
        )
        .order_by()
    ):
        f = out[row["key"]]
        f.planned += row["planned"]
        f.started += row["started"]
        f.completed += row["completed"]
        f.accepted += row["accepted"]
        f.budget += _fen(row["budget"])

    payments = Payment.objects.filter(scope, project__year=year, project__state=fd.IN_PLAN)
    if as_of is not None:
        payments = payments.filter(paid_on__lte=as_of, project__planned_on__lte=as_of)
    for row in _key(payments, key_length).values("key").annotate(total=Sum("amount")).order_by():
        out[row["key"]].paid += _fen(row["total"])

    assets = Asset.objects.filter(scope, project__year=year).exclude(state=Asset.State.DISPOSED)
    for row in (
        _key(assets, key_length)
        .values("key", "asset_class")
        .annotate(n=Count("pk"), value=Sum("value"))
        .order_by()
    ):
        f = out[row["key"]]
        n, value = f.assets.get(row["asset_class"], (0, ZERO))
        f.assets[row["asset_class"]] = (n + row["n"], value + _fen(row["value"]))

    # 脱贫户 or 监测户, as two sets of ids the registry's indexes give without reading a household row
    # (kind; the partial index of monitored households): joining 300,000 links to their households cost
    # seconds at city scale (docs/benchmarks.md "Funds and projects").
    poor = Q(household__in=Household.objects.filter(kind=HouseholdKind.EX_POOR).values("id")) | Q(
        household__in=Household.objects.filter(MONITORED).values("id")
    )
    links = BenefitLink.objects.filter(scope, year=year)
    for row in (
        _key(links, key_length)
        .values("key")
        .annotate(
            households=Count("household", distinct=True),
            poor=Count("household", distinct=True, filter=poor),
        )
        .order_by()
    ):
        f = out[row["key"]]
        f.households += row["households"]
        f.households_poor += row["poor"]

    return dict(out)


def region_report(region: Region, year: int, *, as_of: dt.date | None = None) -> RegionReport:
    """`region`'s figures for `year` and the same by child region (with a 本级 row for what is recorded at
    the unit itself, such as a county's allocations): eight queries whatever the number of rows."""
    children = list(Region.objects.filter(parent=region).exclude(level=Region.Level.GROUP).order_by("code"))
    key_length = len(children[0].prefix) if children else len(region.prefix)
    by_key = figures_by_prefix(year, region.prefix, key_length, as_of=as_of)
    total = Figures()
    for figures in by_key.values():
        total.add(figures)
    rows: list[RegionRow] = []
    if children:
        known = {c.prefix for c in children}
        rows = [RegionRow(c, c.name, by_key.get(c.prefix, Figures())) for c in children]
        own = Figures()
        for key, figures in by_key.items():
            if key not in known:
                own.add(figures)
        if own != Figures():
            rows.insert(0, RegionRow(None, f"{region.name}本级", own))
    return RegionReport(region, year, total, rows, industry_share_min(year))
