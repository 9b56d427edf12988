"""The figures of the living-environment ledger (docs/domain.md §27 "Figures"), the one definition that the
ledger, the weekly dispatch, its .xlsx and the monthly bulletin read.

A unit's figures of a week sum, over its villages, each village's latest report of the year up to that week
(a village that did not report that week counts with its last figures); the plans of the year are summed
beside them. Every sum is one grouped query whatever the number of villages; for a township and above it reads
the townships' stored week sums (`WeekSum`, §27 "Week sums", kept by sums.py) and `recount_sums` is the
definition they must equal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Substr

from dixian.common.access import region_range_q
from dixian.regions.models import Region

from .models import EnvironmentPlan, EnvironmentProject, WeeklyReport, WeekSum

SUMMED = (
    "households",
    "toilets_upgraded",
    "toilets_sanitary",
    "toilets_in_use",
    "garbage_covered",
    "sewage_households",
    "works_done",
)
PLANNED = ("toilets_planned", "natural_villages", "works_planned")
CHILD_LEVEL: dict[str, str] = {
    Region.Level.CITY: Region.Level.COUNTY,
    Region.Level.COUNTY: Region.Level.TOWNSHIP,
    Region.Level.TOWNSHIP: Region.Level.VILLAGE,
}
FOUR = Decimal("0.0001")
TOWNSHIP_LENGTH = Region.PREFIX_LENGTH[Region.Level.TOWNSHIP]


def ratio(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(FOUR, rounding=ROUND_HALF_UP)


@dataclass
class UnitFigures:
    region: Region | None
    villages: int = 0
    reported: int = 0  # villages with a report of the week itself
    late: int = 0  # of which filed late
    households: int = 0
    toilets_upgraded: int = 0
    toilets_sanitary: int = 0
    toilets_in_use: int = 0
    garbage_covered: int = 0
    sewage_households: int = 0
    works_done: int = 0
    toilets_planned: int = 0
    natural_villages: int = 0
    works_planned: int = 0

    @property
    def missing(self) -> int:
        return max(self.villages - self.reported, 0)

    @property
    def toilets_unused(self) -> int:
        return max(self.toilets_sanitary - self.toilets_in_use, 0)

    @property
    def progress(self) -> Decimal | None:
        """改厕进度 = upgraded ÷ planned."""
        return ratio(self.toilets_upgraded, self.toilets_planned)

    @property
    def sanitary_rate(self) -> Decimal | None:
        return ratio(self.toilets_sanitary, self.households)

    @property
    def usage_rate(self) -> Decimal | None:
        return ratio(self.toilets_in_use, self.toilets_sanitary)

    @property
    def garbage_rate(self) -> Decimal | None:
        return ratio(self.garbage_covered, self.natural_villages)

    @property
    def sewage_rate(self) -> Decimal | None:
        return ratio(self.sewage_households, self.households)

    @property
    def works_rate(self) -> Decimal | None:
        return ratio(self.works_done, self.works_planned)


RATES = ("progress", "sanitary_rate", "usage_rate", "garbage_rate", "sewage_rate", "works_rate")


def latest_reports(prefix: str, year: int, monday: dt.date) -> QuerySet[WeeklyReport]:
    """Each village's latest report of `year` up to the week of `monday`, under `prefix`."""
    latest = (
        WeeklyReport.objects.filter(region_code=OuterRef("region_code"), year=year, week__lte=monday)
        .order_by("-week")
        .values("week")[:1]
    )
    return WeeklyReport.objects.filter(
        region_range_q(prefix), year=year, week__lte=monday, week=Subquery(latest)
    )


def latest_rows(
    prefix: str, year: int, monday: dt.date, codes: list[str] | None = None
) -> QuerySet[WeeklyReport]:
    """The same rows as `latest_reports` (of the villages `codes` only, when given), found in two steps that
    every database plans well: each village's latest week (one grouped index scan), then the rows of those
    (village, week) pairs grouped by week — most villages report every week, so the pairs fall into a handful
    of weeks."""
    from django.db.models import Max

    reports = WeeklyReport.objects.filter(region_range_q(prefix))
    if codes is not None:
        reports = reports.filter(region_code__in=codes)
    latest = (
        reports.filter(year=year, week__lte=monday)
        .values("region_code")
        .annotate(w=Max("week"))
        .values_list("region_code", "w")
    )
    by_week: dict[dt.date, list[str]] = {}
    for code, week in latest:
        by_week.setdefault(week, []).append(code)
    if not by_week:
        return WeeklyReport.objects.none()
    q = Q()
    for week, of_week in by_week.items():
        # The week's own reports need no list of codes when every village of that week is in it (this week).
        q |= Q(week=week, region_code__in=of_week) if week != monday else Q(week=week)
    return reports.filter(q)


def _grouped(qs: QuerySet, key_field: str, length: int, **aggregates: object) -> dict[str, dict]:
    rows = qs.annotate(unit=Substr(key_field, 1, length)).values("unit").annotate(**aggregates)
    return {r.pop("unit"): r for r in rows}


def recount_sums(prefix: str, monday: dt.date, length: int) -> dict[str, dict]:
    """The definition of a unit's week sums (§27 "Figures"), counted from the reports: per code prefix of
    `length`, the sums of each village's latest report of the year up to the week, and the villages that
    reported that very week (`reported`, of which `late`)."""
    return _grouped(
        latest_rows(prefix, monday.year, monday),
        "region_code",
        length,
        **{f: Coalesce(Sum(f), 0) for f in SUMMED},
        reported=Count("pk", filter=Q(week=monday)),
        late=Count("pk", filter=Q(week=monday, late=True)),
    )


def stored_sums(prefix: str, monday: dt.date, length: int) -> dict[str, dict]:
    """The same sums read from the townships' week sums (`WeekSum`, kept by sums.py): a row per township;
    only for a prefix and grouping no finer than a township's."""
    return _grouped(
        WeekSum.objects.filter(region_range_q(prefix, "unit_code"), week=monday),
        "unit_code",
        length,
        **{f: Coalesce(Sum(f), 0) for f in (*SUMMED, "reported", "late")},
    )


def week_sums(prefix: str, monday: dt.date, length: int) -> dict[str, dict]:
    """A unit's week sums grouped by code prefix of `length`: from the townships' stored rows when neither is
    finer than a township, else (a village, a township's villages) recounted from the few reports."""
    if len(prefix) <= TOWNSHIP_LENGTH and length <= TOWNSHIP_LENGTH:
        return stored_sums(prefix, monday, length)
    return recount_sums(prefix, monday, length)


def unit_figures(
    region: Region, monday: dt.date, *, children: bool = True
) -> tuple[UnitFigures, list[UnitFigures]]:
    """(the unit's total, its child units') for the week starting `monday`: four queries (five for a
    village's or a township's villages)."""
    year = monday.year
    child_level = CHILD_LEVEL.get(region.level) if children else None
    length = Region.PREFIX_LENGTH[child_level] if child_level else len(region.prefix)
    prefix = region.prefix
    sums = week_sums(prefix, monday, length)
    plans = _grouped(
        EnvironmentPlan.objects.filter(region_range_q(prefix), year=year),
        "region_code",
        length,
        **{f: Coalesce(Sum(f), 0) for f in PLANNED},
    )
    villages = _grouped(
        Region.objects.in_use().filter(region_range_q(prefix, "code"), level=Region.Level.VILLAGE),
        "code",
        length,
        n=Count("pk"),
    )
    units: list[Region] = (
        list(Region.objects.filter(region_range_q(prefix, "code"), level=child_level).order_by("code"))
        if child_level
        else [region]
    )
    rows: list[UnitFigures] = []
    for unit in units:
        key = unit.prefix
        f = UnitFigures(unit, villages=villages.get(key, {}).get("n", 0))
        for name, value in {**sums.get(key, {}), **plans.get(key, {})}.items():
            setattr(f, name, int(value or 0))
        rows.append(f)
    total = UnitFigures(region)
    for name in ("villages", "reported", "late", *SUMMED, *PLANNED):
        setattr(total, name, sum(getattr(r, name) for r in rows))
    if not child_level:
        rows = []
    return total, rows


@dataclass
class Ranked:
    current: UnitFigures
    previous: UnitFigures
    rank: int | None

    def change(self, rate: str) -> Decimal | None:
        """The change of a rate from the previous week, in percentage points."""
        now, before = getattr(self.current, rate), getattr(self.previous, rate)
        if now is None or before is None:
            return None
        return ((now - before) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def progress_change(self) -> Decimal | None:
        return self.change("progress")

    @property
    def usage_change(self) -> Decimal | None:
        return self.change("usage_rate")


def rank_rows(current: list[UnitFigures], previous: list[UnitFigures]) -> list[Ranked]:
    """Child units by 改厕进度, highest first; equal figures share a rank; units without a plan last."""
    before = {r.region.code if r.region else "": r for r in previous}
    out = [
        Ranked(r, before.get(r.region.code if r.region else "", UnitFigures(r.region)), None) for r in current
    ]
    out.sort(
        key=lambda x: (
            x.current.progress is None,
            -(x.current.progress or 0),
            x.current.region.code if x.current.region else "",
        )
    )
    rank, last = 0, None
    for i, row in enumerate(out, start=1):
        if row.current.progress is None:
            continue
        if row.current.progress != last:
            rank, last = i, row.current.progress
        row.rank = rank
    return out


@dataclass
class Dispatch:
    region: Region
    monday: dt.date
    total: UnitFigures
    previous_total: UnitFigures
    rows: list[Ranked] = field(default_factory=list)

    def total_change(self, rate: str) -> Decimal | None:
        return Ranked(self.total, self.previous_total, None).change(rate)

    @property
    def progress_change(self) -> Decimal | None:
        return self.total_change("progress")

    @property
    def usage_change(self) -> Decimal | None:
        return self.total_change("usage_rate")

    @property
    def garbage_change(self) -> Decimal | None:
        return self.total_change("garbage_rate")

    @property
    def sewage_change(self) -> Decimal | None:
        return self.total_change("sewage_rate")


def dispatch(region: Region, monday: dt.date) -> Dispatch:
    """The weekly dispatch (周调度) of a unit: its child units ranked, with the change from last week."""
    total, rows = unit_figures(region, monday)
    last_week = monday - dt.timedelta(days=7)
    if last_week.year == monday.year:
        previous_total, previous_rows = unit_figures(region, last_week)
    else:  # the year's first week: nothing before it in this year
        previous_total, previous_rows = UnitFigures(region), []
    return Dispatch(region, monday, total, previous_total, rank_rows(rows, previous_rows))


def missing_villages(prefix: str, monday: dt.date) -> QuerySet[Region]:
    """Villages in use under `prefix` with no report of the week (未报)."""
    filed = WeeklyReport.objects.filter(region_range_q(prefix), week=monday).values("region_code")
    return (
        Region.objects.in_use()
        .filter(region_range_q(prefix, "code"), level=Region.Level.VILLAGE)
        .exclude(code__in=Subquery(filed))
        .order_by("code")
    )


def village_reports_in(prefix: str, mondays: list[dt.date]) -> QuerySet[Region]:
    """Villages under `prefix`, each annotated with how many of the weeks `mondays` it filed (`filed`) and
    how many of them late (`filed_late`); those that missed any week."""

    def counted(**extra: object) -> Subquery:
        return Subquery(
            WeeklyReport.objects.filter(region_code=OuterRef("code"), week__in=mondays, **extra)
            .values("region_code")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        )

    return (
        Region.objects.in_use()
        .filter(region_range_q(prefix, "code"), level=Region.Level.VILLAGE)
        .annotate(filed=Coalesce(counted(), 0), filed_late=Coalesce(counted(late=True), 0))
        .filter(filed__lt=len(mondays))
        .order_by("code")
    )


# ---- the environment fund --------------------------------------------------------------------------------


@dataclass
class FundLine:
    label: str
    projects: int = 0
    budget: Decimal = Decimal("0")
    arranged: Decimal = Decimal("0")
    paid: Decimal = Decimal("0")

    @property
    def paid_rate(self) -> Decimal | None:
        if not self.budget:
            return None
        return (self.paid / self.budget).quantize(FOUR, rounding=ROUND_HALF_UP)


@dataclass
class Fund:
    total: FundLine
    by_theme: list[FundLine]
    corridor: list[FundLine]


def _money(qs: QuerySet, amount: str) -> Subquery:
    return Subquery(
        qs.filter(project=OuterRef("project")).values("project").annotate(s=Sum(amount)).values("s")
    )


def fund(prefix: str) -> Fund:
    """The environment fund under `prefix`: tagged projects' budget, arranged money and payments, by theme
    and by corridor (three grouped queries)."""
    from dixian.funds.models import Arrangement, Payment

    links = EnvironmentProject.objects.filter(region_range_q(prefix))

    def grouped(key: str) -> dict[str, FundLine]:
        out: dict[str, FundLine] = {}
        base = links.values(key).annotate(
            n=Count("pk"), budget=Coalesce(Sum("project__budget_total"), Decimal(0))
        )
        for r in base:
            out[r[key]] = FundLine(r[key], r["n"], r["budget"])
        for model, attr, amount in ((Arrangement, "arranged", "amount"), (Payment, "paid", "amount")):
            sums = (
                model.objects.filter(project__in=links.values("project"))
                .annotate(
                    k=Subquery(EnvironmentProject.objects.filter(project=OuterRef("project")).values(key)[:1])
                )
                .values("k")
                .annotate(s=Sum(amount))
            )
            for r in sums:
                if r["k"] in out:
                    setattr(out[r["k"]], attr, r["s"] or Decimal(0))
        return out

    themes = grouped("theme")
    corridors = grouped("corridor")
    total = FundLine("合计")
    for line in themes.values():
        total.projects += line.projects
        total.budget += line.budget
        total.arranged += line.arranged
        total.paid += line.paid
    by_theme = [
        FundLine(label, *_fields(themes.get(value)))
        for value, label in EnvironmentProject.Theme.choices
        if value in themes
    ]
    corridor = [
        FundLine(label, *_fields(corridors.get(value)))
        for value, label in EnvironmentProject.Corridor.choices
        if value and value in corridors
    ]
    return Fund(total, by_theme, corridor)


def _fields(line: FundLine | None) -> tuple[int, Decimal, Decimal, Decimal]:
    if line is None:
        return 0, Decimal(0), Decimal(0), Decimal(0)
    return line.projects, line.budget, line.arranged, line.paid
