"""The monthly employment figures of a unit (docs/domain.md §23 "Figures"): the one place where the figures
page, its workbook, `dixian employment_report` and the leaders' dashboard and bulletin (reports/
producers_employment.py) take their definitions from.

For a unit (a region prefix) and a month:
- the roll (劳动力名册, `roll.py`: who qualifies on the month's last day, read from the registry now);
- the survey records of the month (摸排 coverage = records ÷ roll);
- the workers employed (records marked working), the same month of the base year (`policy_for(month)
  .base_year`, 2022 by default) and the ratio (e.g. 100.03 %), the same month of the previous year and the
  previous month;
- the employed by place tier and by channel, for the month and for the base month;
- the table by child unit (a 本级 row for records coded at the unit itself, as funds/figures.py does);
- the townships whose employed count fell from the previous month (the monthly dispatch, 调度).

A record counts where it was recorded (its `region_code`, the person's village at the time), so a month's
figures stay where they were counted when a worker moves later. The roll counts where the person lives now.

Cost: one grouped sum of the stored monthly count (`EmploymentCount`, kept by the database in every write of
the records, docs/domain.md §23) for the month and the three months it is compared with, one read of its tiers
and channels of the month and the base month, one grouped count of the roll, the policy, the unit's children and
its falling townships: six queries whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Substr

from dixian.common.access import region_range_q
from dixian.domain import employment as e
from dixian.regions.models import Region

from .models import EmploymentCount
from .roll import Policy, policy_for, roll

HUNDREDTH = Decimal("0.01")


def percent(numerator: int, denominator: int) -> Decimal | None:
    """numerator ÷ denominator as a percentage to two places (100.03), None when the denominator is 0."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


@dataclass
class Counts:
    """The survey records of one month in one group of rows."""

    records: int = 0
    employed: int = 0
    by_tier: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)

    def add(self, other: Counts) -> None:
        self.records += other.records
        self.employed += other.employed
        for mine, theirs in ((self.by_tier, other.by_tier), (self.by_channel, other.by_channel)):
            for code, n in theirs.items():
                mine[code] = mine.get(code, 0) + n


@dataclass
class Figures:
    """A unit's figures for a month: the roll and the records of the month and of the months it is compared
    with."""

    roll: int = 0
    month: Counts = field(default_factory=Counts)
    previous_month: Counts = field(default_factory=Counts)
    base: Counts = field(default_factory=Counts)
    previous_year: Counts = field(default_factory=Counts)

    def add(self, other: Figures) -> None:
        self.roll += other.roll
        self.month.add(other.month)
        self.previous_month.add(other.previous_month)
        self.base.add(other.base)
        self.previous_year.add(other.previous_year)

    @property
    def employed(self) -> int:
        return self.month.employed

    @property
    def records(self) -> int:
        return self.month.records

    @property
    def coverage(self) -> Decimal | None:
        """摸排覆盖率: records of the month ÷ workers on the roll (%)."""
        return percent(self.month.records, self.roll)

    @property
    def base_ratio(self) -> Decimal | None:
        """Employed ÷ employed in the same month of the base year (%, e.g. 100.03); None when the base is 0."""
        return percent(self.month.employed, self.base.employed)

    @property
    def previous_year_ratio(self) -> Decimal | None:
        return percent(self.month.employed, self.previous_year.employed)

    @property
    def change_from_previous_month(self) -> int:
        return self.month.employed - self.previous_month.employed

    @property
    def is_empty(self) -> bool:
        return not (self.roll or self.month.records or self.base.records or self.previous_month.records)


@dataclass(frozen=True)
class Months:
    """The month asked and the months it is compared with (first days)."""

    month: dt.date
    previous_month: dt.date
    base: dt.date
    previous_year: dt.date

    @classmethod
    def of(cls, month: dt.date, policy: Policy) -> Months:
        return cls(
            month=month,
            previous_month=e.month_add(month, -1),
            base=e.base_month(month, policy.base_year),
            previous_year=e.month_add(month, -12),
        )

    def slots(self) -> dict[str, dt.date]:
        return {
            "month": self.month,
            "previous_month": self.previous_month,
            "base": self.base,
            "previous_year": self.previous_year,
        }


def figures_by_prefix(
    months: Months, prefix: str, key_length: int, *, policy: Policy, with_roll: bool = True
) -> dict[str, Figures]:
    """The figures of the subtree of `prefix` ("" for everything) grouped by the first `key_length` digits of
    the rows' region codes: three queries (the records of the four months; the tiers and channels of the month and
    the base month, both from the stored monthly count; the roll of the month)."""
    scope = region_range_q(prefix) if prefix else Q()
    out: dict[str, Figures] = defaultdict(Figures)
    slots = months.slots()
    by_date: dict[dt.date, list[str]] = defaultdict(list)
    for slot, day in slots.items():
        by_date[day].append(slot)  # the base month is the month itself when the base year is this year
    # Two grouped sums of the stored monthly count (EmploymentCount: one row per place of recording, month,
    # working, tier and channel, kept by the database in every write of the records), not the records: a city's
    # four months are ~170,000 rows of it instead of two million records. The records and the employed summed
    # by the database to the keys (a city by township: 1,600 groups); the tiers and channels of the employed
    # by the count's own columns (grouped also by tier and channel to the keys, PostgreSQL misjudged the groups
    # and sorted on disk: 0.3 s more), added up to the keys here. Rows as tuples: dicts cost a second.
    counts = (
        EmploymentCount.objects.filter(scope, month__in=list(by_date))
        .annotate(key=Substr("region_code", 1, key_length))
        .values("month", "working", "key")
        .annotate(total=Sum("n"))
        .order_by()
        .values_list("month", "working", "key", "total")
    )
    for month, working, key, n in counts:
        figures = out[key]
        for slot in by_date[month]:
            c: Counts = getattr(figures, slot)
            c.records += n
            if working:
                c.employed += n
    broken_down = {months.month, months.base}  # the tiers and channels: of the month and the base month only
    # `working IN (true)`: SQLite writes `working = true` as the bare column, which no index search uses.
    kinds = (
        EmploymentCount.objects.filter(scope, month__in=sorted(broken_down), working__in=[True])
        .values_list("month", "region_code", "place_tier", "channel", "n")
        .order_by()
    )
    for month, code, tier, channel, n in kinds:
        if not n:
            continue  # a group whose records are all gone (docs/domain.md §23)
        key = code[:key_length]
        for slot in by_date[month]:
            if slot in ("month", "base"):
                c = getattr(out[key], slot)
                c.by_tier[tier] = c.by_tier.get(tier, 0) + n
                c.by_channel[channel] = c.by_channel.get(channel, 0) + n
    if with_roll:
        for key, n in roll_by_prefix(months.month, prefix, key_length, policy=policy).items():
            out[key].roll += n
    return dict(out)


def roll_by_prefix(month: dt.date, prefix: str, key_length: int, *, policy: Policy) -> dict[str, int]:
    """The labour roll of `month` in the subtree of `prefix`, counted by the first `key_length` digits of the
    persons' region codes (where they live now): one grouped query."""
    persons = roll(month, policy=policy)
    if len(prefix) > 4:
        persons = persons.filter(region_range_q(prefix))
    elif prefix:
        # A city's persons are the whole table: as a code range SQLite read them through the code index, row
        # by row in code order (9 s, 3 s as a plain scan). A prefix test is no index range on either database,
        # so they are scanned; a county's (a thirteenth of the city) are still cheaper through the index
        # (docs/benchmarks.md "Employment figures").
        # On SQLite the first digits compared as a string, cheaper per row than LIKE 'prefix%' (the city's roll:
        # 2.0 → 1.7 s); PostgreSQL misjudges how many rows that keeps and joins the households row by row
        # (0.7 → 1.6 s), while it estimates LIKE well.
        if connection.vendor == "sqlite":
            persons = persons.alias(head=Substr("region_code", 1, len(prefix))).filter(head=prefix)
        else:
            persons = persons.filter(region_code__startswith=prefix)
    return {
        row["key"]: row["n"]
        for row in persons.annotate(key=Substr("region_code", 1, key_length))
        .values("key")
        .annotate(n=Count("*"))
        .order_by()
    }


@dataclass
class UnitRow:
    """A row of the table by child unit: the child (None for the 本级 row) and its figures."""

    region: Region | None
    label: str
    figures: Figures


@dataclass(frozen=True)
class Falling:
    """A township whose employed count fell from the previous month (listed for the dispatch, 调度)."""

    region: Region
    previous: int
    current: int

    @property
    def fall(self) -> int:
        return self.previous - self.current


@dataclass
class Report:
    region: Region
    months: Months
    policy: Policy
    total: Figures
    rows: list[UnitRow]
    falling: list[Falling]

    @property
    def month(self) -> dt.date:
        return self.months.month

    @property
    def base_year(self) -> int:
        return self.policy.base_year


def _falling(region: Region, by_key: dict[str, Figures], key_length: int) -> list[Falling]:
    """The townships of the unit (the unit itself when it is one) whose employed count fell, most fallen
    first: summed from the keys, which are at least township-long when the unit is above a village."""
    if region.level not in (Region.Level.CITY, Region.Level.COUNTY, Region.Level.TOWNSHIP):
        return []
    sums: dict[str, Figures] = defaultdict(Figures)
    for key, figures in by_key.items():
        if len(key) >= 9:
            sums[key[:9]].add(figures)
    fell = {
        prefix: f
        for prefix, f in sums.items()
        if f.month.employed < f.previous_month.employed and prefix.startswith(region.prefix)
    }
    if not fell:
        return []
    townships = Region.objects.filter(level=Region.Level.TOWNSHIP, code__in=[p + "000" for p in fell]).only(
        "id", "code", "name", "level", "prefix"
    )
    found = [
        Falling(t, fell[t.prefix].previous_month.employed, fell[t.prefix].month.employed) for t in townships
    ]
    return sorted(found, key=lambda f: (-f.fall, f.region.code))


def region_report(region: Region, month: dt.date) -> Report:
    """`region`'s figures for `month` (its first day), by child unit, and its falling townships: six
    queries whatever the number of rows (the policy, the children, the records, their tiers and channels, the
    roll, the townships that fell, when any did)."""
    policy = policy_for(month)
    months = Months.of(month, policy)
    children = list(
        Region.objects.filter(parent=region)
        .exclude(level=Region.Level.GROUP)
        .only("id", "code", "name", "level", "prefix")
        .order_by("code")
    )
    child_length = len(children[0].prefix) if children else len(region.prefix)
    # Above a township the keys go down to townships, so that the falling ones are found in the same query.
    key_length = (
        max(child_length, 9) if region.level in (Region.Level.CITY, Region.Level.COUNTY) else child_length
    )
    by_key = figures_by_prefix(months, region.prefix, key_length, policy=policy)
    total = Figures()
    for figures in by_key.values():
        total.add(figures)
    rows: list[UnitRow] = []
    if children:
        per_child: dict[str, Figures] = defaultdict(Figures)
        own = Figures()
        known = {c.prefix for c in children}
        for key, figures in by_key.items():
            if key[:child_length] in known:
                per_child[key[:child_length]].add(figures)
            else:
                own.add(figures)
        rows = [UnitRow(c, c.name, per_child.get(c.prefix, Figures())) for c in children]
        if not own.is_empty:
            rows.insert(0, UnitRow(None, f"{region.name}本级", own))
    return Report(region, months, policy, total, rows, _falling(region, by_key, key_length))


@dataclass(frozen=True)
class TrendPoint:
    month: dt.date
    employed: int
    base_month: dt.date
    base_employed: int


def trend(
    region: Region, month: dt.date, *, months: int = 12, policy: Policy | None = None
) -> list[TrendPoint]:
    """The employed of the `months` months up to `month` and of the same months of the base year (the base
    year in force on `month`): one query."""
    policy = policy or policy_for(month)
    wanted = [e.month_add(month, -k) for k in range(months - 1, -1, -1)]
    bases = [e.base_month(m, policy.base_year) for m in wanted]
    counts = dict(
        EmploymentCount.objects.filter(
            region_range_q(region.prefix), month__in=sorted(set(wanted) | set(bases)), working__in=[True]
        )
        .values("month")
        .annotate(n=Sum("n"))
        .order_by()
        .values_list("month", "n")
    )  # the stored monthly count (see figures_by_prefix)
    return [TrendPoint(m, counts.get(m, 0), b, counts.get(b, 0)) for m, b in zip(wanted, bases, strict=True)]


def latest_month(prefix: str, *, until: dt.date) -> dt.date | None:
    """The latest month with survey records in the subtree, up to `until` (a month's first day)."""
    counts = EmploymentCount.objects.filter(month__lte=until, n__gt=0)  # the stored count (figures_by_prefix)
    if prefix:
        counts = counts.filter(region_range_q(prefix))
    return counts.aggregate(m=Max("month"))["m"]


# ---- the figures as lines: names, units and how they are written (the page, its workbook and the command) ----

PERSONS, RECORDS, PERCENT, TOWNSHIPS = "人", "条", "%", "个"


def value_text(value: Decimal | int | None, unit: str) -> str:
    if value is None:
        return "—"  # a ratio over nothing has no value
    if unit == PERCENT:
        return f"{value:.2f}%"
    return f"{value:,}"


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    unit: str
    value: Decimal | int | None

    @property
    def text(self) -> str:
        return value_text(self.value, self.unit)

    def json_value(self) -> int | str | None:
        """Counts as numbers, percentages as exact strings ("100.03"), a ratio over nothing as null."""
        if self.value is None or isinstance(self.value, int):
            return self.value
        return str(self.value)


def headline_lines(report: Report) -> list[Line]:
    """The unit's headline figures, in the order the page, the workbook and the command show them."""
    t, months = report.total, report.months
    base, year_ago = months.base, months.previous_year
    return [
        Line("employed", "务工就业人数", PERSONS, t.employed),
        Line(
            "base_employed", f"{base.year}年{base.month}月(基准年同期)务工就业人数", PERSONS, t.base.employed
        ),
        Line("base_ratio", f"占基准年({report.base_year}年)同期", PERCENT, t.base_ratio),
        Line(
            "previous_year_employed",
            f"{year_ago.year}年{year_ago.month}月(上年同期)务工就业人数",
            PERSONS,
            t.previous_year.employed,
        ),
        Line("previous_year_ratio", "占上年同期", PERCENT, t.previous_year_ratio),
        Line("previous_month_employed", "上月务工就业人数", PERSONS, t.previous_month.employed),
        Line("change_from_previous_month", "较上月增减", PERSONS, t.change_from_previous_month),
        Line("roll", "劳动力名册人数", PERSONS, t.roll),
        Line("records", "本月摸排记录", RECORDS, t.records),
        Line("coverage", "摸排覆盖率", PERCENT, t.coverage),
        Line("falling_townships", "就业人数较上月下降的乡镇", TOWNSHIPS, len(report.falling)),
    ]


@dataclass(frozen=True)
class Breakdown:
    """One place tier or channel: employed in the month and in the base month, and the ratio."""

    code: str
    label: str
    employed: int
    base: int

    @property
    def ratio(self) -> Decimal | None:
        return percent(self.employed, self.base)


def _breakdown(name: str, month: dict[str, int], base: dict[str, int]) -> list[Breakdown]:
    rows = [
        Breakdown(str(v.code), v.label, month.get(str(v.code), 0), base.get(str(v.code), 0))
        for v in e.DICTIONARIES[name].values
    ]
    # A working record without its tier or channel (refused by the survey's checks, docs/domain.md §23) would
    # be counted in the total: shown as such rather than lost.
    if month.get("") or base.get(""):
        rows.append(Breakdown("", "未填写", month.get("", 0), base.get("", 0)))
    return rows


def by_tier(figures: Figures) -> list[Breakdown]:
    return _breakdown("place_tier", figures.month.by_tier, figures.base.by_tier)


def by_channel(figures: Figures) -> list[Breakdown]:
    return _breakdown("channel", figures.month.by_channel, figures.base.by_channel)


def report_json(report: Report) -> dict[str, object]:
    """The figures as JSON for machines (`dixian employment_report --json`): counts as numbers, percentages
    as exact strings, a ratio over nothing as null."""

    def unit_json(figures: Figures) -> dict[str, object]:
        return {
            "roll": figures.roll,
            "records": figures.records,
            "coverage": None if figures.coverage is None else str(figures.coverage),
            "employed": figures.employed,
            "previous_month_employed": figures.previous_month.employed,
            "base_employed": figures.base.employed,
            "base_ratio": None if figures.base_ratio is None else str(figures.base_ratio),
        }

    def breakdown_json(rows: list[Breakdown]) -> dict[str, object]:
        return {
            b.code or "unset": {
                "label": b.label,
                "employed": b.employed,
                "base_employed": b.base,
                "base_ratio": None if b.ratio is None else str(b.ratio),
            }
            for b in rows
        }

    region = report.region
    return {
        "region": region.code,
        "region_name": region.full_name or region.name,
        "month": e.month_key(report.month),
        "base_year": report.base_year,
        "base_month": e.month_key(report.months.base),
        "figures": {line.key: line.json_value() for line in headline_lines(report)},
        "by_tier": breakdown_json(by_tier(report.total)),
        "by_channel": breakdown_json(by_channel(report.total)),
        "by_unit": [
            {"region": row.region.code if row.region else "", "name": row.label, **unit_json(row.figures)}
            for row in report.rows
        ],
        "falling_townships": [
            {
                "region": f.region.code,
                "name": f.region.name,
                "previous": f.previous,
                "current": f.current,
                "fall": f.fall,
            }
            for f in report.falling
        ],
    }
