"""Reads of the project bank, the year's plan, its progress and the county discipline (docs/domain.md §22).

Every read is scoped by a region code prefix (`dixian.common.access.region_range_q`); an account's reads
go through `project_get_for_user` / `projects_for_user`, answering 404 out of scope. The region report
(`funds:report`) takes `project_progress` and `late_townships` from here.

The county discipline: at the end of September (the checkpoint is the month's last day, with the facts
dated up to it) a township whose plan is under 75 % completed or under 75 % paid is late, and so is each of
its projects not completed by then or under 75 % paid; after the end of December every project not
accepted by then is late, and its township with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from dixian.common.access import region_range_q, scope_by_region
from dixian.domain import funds as fd
from dixian.regions.models import Region

from .models import Payment, Project

if TYPE_CHECKING:
    from dixian.accounts.models import User

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=15, decimal_places=2)
PROGRESS_FILTERS: dict[str, str] = {
    "planned": "已纳入年度计划",
    "not_started": "未开工",
    "started": "已开工",
    "completed": "已完工",
    "accepted": "已验收",
    "late": "进度滞后(县级督导)",
}
TOWNSHIP_DIGITS = Region.PREFIX_LENGTH["township"]


def use_label(code: str) -> str:
    use = fd.USE_CATEGORIES.get(code)
    return use.label if use is not None else code


def project_get_for_user(user: User, pk: int) -> Project:
    return get_object_or_404(
        scope_by_region(user, Project.objects.select_related("region")),
        pk=pk,
    )


def projects_in(prefix: str) -> QuerySet[Project]:
    return Project.objects.filter(region_range_q(prefix))


# ---- the county discipline ------------------------------------------------------------------------------


def september_end(year: int) -> dt.date:
    return dt.date(year, 9, 30)


def december_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def paid_until(day: dt.date) -> Subquery:
    """A project's payments dated up to `day` (a subquery over OuterRef('pk'))."""
    return Subquery(
        Payment.objects.filter(project=OuterRef("pk"), paid_on__lte=day)
        .order_by()
        .values("project")
        .annotate(s=Sum("amount"))
        .values("s"),
        output_field=MONEY,
    )


def late_q(year: int, as_of: dt.date) -> Q:
    """The year's projects in the plan that are late on `as_of` (the caller annotates `paid_sept`)."""
    late = Q(pk__in=[])
    sept, dec = september_end(year), december_end(year)
    if as_of >= sept:
        late |= Q(completed_on__isnull=True) | Q(completed_on__gt=sept)
        late |= Q(paid_sept__lt=F("budget_total") * fd.SEPTEMBER_PAID_MIN)
    if as_of >= dec:
        late |= Q(accepted_on__isnull=True) | Q(accepted_on__gt=dec)
    return Q(state=fd.IN_PLAN, year=year) & late


def with_paid_sept(qs: QuerySet[Project], year: int) -> QuerySet[Project]:
    return qs.annotate(paid_sept=Coalesce(paid_until(september_end(year)), Value(ZERO), output_field=MONEY))


def late_projects_qs(qs: QuerySet[Project], year: int, as_of: dt.date) -> QuerySet[Project]:
    return with_paid_sept(qs, year).filter(late_q(year, as_of))


@dataclass
class Progress:
    """The plan's figures of a region and year: counts and money (Decimal, exact to the fen)."""

    in_plan: int = 0
    started: int = 0
    completed: int = 0
    accepted: int = 0
    budget: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def start_rate(self) -> Decimal | None:
        return fd.share(Decimal(self.started), Decimal(self.in_plan))

    @property
    def completion_rate(self) -> Decimal | None:
        return fd.share(Decimal(self.completed), Decimal(self.in_plan))

    @property
    def acceptance_rate(self) -> Decimal | None:
        return fd.share(Decimal(self.accepted), Decimal(self.in_plan))

    @property
    def spending_rate(self) -> Decimal | None:
        return fd.share(self.paid, self.budget)


def project_progress(prefix: str, year: int, as_of: dt.date | None = None) -> Progress:
    """In plan / started / completed / accepted counts and the budget and paid sums of the year's plan
    under `prefix` (dated up to `as_of` when given): 开工率, 完工率, 验收率 and 支出进度 follow."""
    plan = projects_in(prefix).filter(state=fd.IN_PLAN, year=year)
    day = as_of or dt.date.max

    def by(field_name: str) -> Q:
        return Q(**{f"{field_name}__isnull": False, f"{field_name}__lte": day})

    row = plan.aggregate(
        in_plan=Count("pk"),
        started=Count("pk", filter=by("started_on")),
        completed=Count("pk", filter=by("completed_on")),
        accepted=Count("pk", filter=by("accepted_on")),
        budget=Sum("budget_total"),
    )
    paid = Payment.objects.filter(project__in=plan.values("pk"), paid_on__lte=day).aggregate(s=Sum("amount"))
    return Progress(
        in_plan=row["in_plan"],
        started=row["started"],
        completed=row["completed"],
        accepted=row["accepted"],
        budget=row["budget"] or ZERO,
        paid=paid["s"] or ZERO,
    )


@dataclass(frozen=True)
class LateProject:
    pk: int
    code: str
    name: str
    region_name: str
    budget_total: Decimal
    paid_sept: Decimal
    started_on: dt.date | None
    completed_on: dt.date | None
    accepted_on: dt.date | None


@dataclass
class TownshipDiscipline:
    """One township's plan against the county discipline on a day."""

    code: str
    name: str
    in_plan: int
    completed_sept: int
    budget: Decimal
    paid_sept: Decimal
    accepted_dec: int
    late_september: bool
    late_december: bool
    projects: list[LateProject] = field(default_factory=list)
    region_id: int | None = None

    @property
    def late(self) -> bool:
        return self.late_september or self.late_december

    @property
    def completion_rate(self) -> Decimal | None:
        return fd.share(Decimal(self.completed_sept), Decimal(self.in_plan))

    @property
    def spending_rate(self) -> Decimal | None:
        return fd.share(self.paid_sept, self.budget)


def project_is_late(
    *,
    year: int,
    as_of: dt.date,
    budget: Decimal,
    paid_sept: Decimal,
    completed_on: dt.date | None,
    accepted_on: dt.date | None,
) -> bool:
    """`late_q` for one project read into Python (the discipline page reads the plan once); the two are held
    together by test_projects_pages.test_the_late_rule_reads_the_same_in_sql_and_in_python."""
    sept, dec = september_end(year), december_end(year)
    if as_of >= sept and (
        completed_on is None or completed_on > sept or paid_sept < budget * fd.SEPTEMBER_PAID_MIN
    ):
        return True
    return as_of >= dec and (accepted_on is None or accepted_on > dec)


def township_disciplines(prefix: str, year: int, as_of: dt.date) -> list[TownshipDiscipline]:
    """Every township with projects in the year's plan under `prefix`, with its September and December
    figures and, when late, its late projects. Three queries whatever the number of townships or projects:
    the plan's rows, their payments up to September grouped by project, the townships' names."""
    sept, dec = september_end(year), december_end(year)
    plan = projects_in(prefix).filter(state=fd.IN_PLAN, year=year)
    per_project = list(
        plan.order_by("region_code", "code").values_list(
            "pk",
            "code",
            "name",
            "region_code",
            "region__name",
            "budget_total",
            "started_on",
            "completed_on",
            "accepted_on",
        )
    )
    paid: dict[int, Decimal] = dict(
        Payment.objects.filter(project__in=plan.values("pk"), paid_on__lte=sept)
        .order_by()
        .values("project")
        .annotate(s=Sum("amount"))
        .values_list("project", "s")
    )
    towns: dict[str, TownshipDiscipline] = {}
    for pk, code, name, region_code, region_name, budget, started, completed, accepted in per_project:
        town = region_code[:TOWNSHIP_DIGITS]
        t = towns.get(town)
        if t is None:
            t = towns[town] = TownshipDiscipline(town, town, 0, 0, ZERO, ZERO, 0, False, False)
        paid_sept = paid.get(pk) or ZERO
        t.in_plan += 1
        t.budget += budget
        t.paid_sept += paid_sept
        if completed is not None and completed <= sept:
            t.completed_sept += 1
        if accepted is not None and accepted <= dec:
            t.accepted_dec += 1
        if project_is_late(
            year=year,
            as_of=as_of,
            budget=budget,
            paid_sept=paid_sept,
            completed_on=completed,
            accepted_on=accepted,
        ):
            t.projects.append(
                LateProject(pk, code, name, region_name, budget, paid_sept, started, completed, accepted)
            )
    names = {
        prefix: (pk, name)
        for prefix, pk, name in Region.objects.filter(
            prefix__in=list(towns), level=Region.Level.TOWNSHIP
        ).values_list("prefix", "pk", "name")
    }
    out = [towns[code] for code in sorted(towns)]
    for t in out:
        t.region_id, t.name = names.get(t.code, (None, t.code))
        t.late_september = as_of >= sept and (
            Decimal(t.completed_sept) < Decimal(t.in_plan) * fd.SEPTEMBER_BUILT_MIN
            or t.paid_sept < t.budget * fd.SEPTEMBER_PAID_MIN
        )
        t.late_december = as_of >= dec and t.accepted_dec < t.in_plan
        if not t.late:
            t.projects = []  # only a late township's projects are listed (docs/domain.md §22)
    return out


def late_townships(prefix: str, year: int, as_of: dt.date) -> list[TownshipDiscipline]:
    """The townships under `prefix` late on `as_of` against the year's county discipline, each with its late
    projects (docs/domain.md §22)."""
    return [t for t in township_disciplines(prefix, year, as_of) if t.late]


# ---- the project list -----------------------------------------------------------------------------------


def progress_q(progress: str) -> Q:
    return {
        "planned": Q(state=fd.IN_PLAN),
        "not_started": Q(state=fd.IN_PLAN, started_on__isnull=True),
        "started": Q(started_on__isnull=False),
        "completed": Q(completed_on__isnull=False),
        "accepted": Q(accepted_on__isnull=False),
    }.get(progress, Q())


def project_list_qs(
    user: User,
    *,
    region: Region | None = None,
    year: int | None = None,
    kind: str = "",
    state: str = "",
    progress: str = "",
    today: dt.date,
) -> QuerySet[Project]:
    qs = scope_by_region(user, Project.objects.all())
    if region is not None:
        qs = qs.filter(region_range_q(region.prefix))
    if year is not None:
        qs = qs.filter(year=year)
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(state=state)
    if progress == "late":
        qs = late_projects_qs(qs, year or today.year, today)
    elif progress:
        qs = qs.filter(progress_q(progress))
    paid = Subquery(
        Payment.objects.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(s=Sum("amount"))
        .values("s"),
        output_field=MONEY,
    )
    return (
        qs.select_related("region")
        .annotate(paid=Coalesce(paid, Value(ZERO), output_field=MONEY))
        .annotate(has_payments=Exists(Payment.objects.filter(project=OuterRef("pk"))))
        .order_by("-year", "region_code", "code")
    )
