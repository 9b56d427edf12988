"""Reads of visit records and coverage, always scoped to the account.

Who sees a visit (Capability.VISITS_VIEW): an account that reads the registry of its subtree sees the
visits in that subtree; a 帮扶干部 sees the visits of the households assigned to it (whoever made them).
Who may record one (Capability.VISITS_RECORD): those who keep the registry (REGISTRY_EDIT: village
officer, township and county staff, city admin) for any household of their subtree, anyone else only for
the households assigned to it on the day of the visit. 领导 reads and 部门数据员 sees nothing; neither
records (see dixian.accounts.capabilities).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import region_range_q, scope_by_region, user_prefix
from dixian.regions.models import Region
from dixian.registry.models import HelperAssignment, Household
from dixian.registry.selectors import household_scope_for_user

from .models import Visit, VisitPhoto

if TYPE_CHECKING:
    from dixian.accounts.models import User

VILLAGE_CODE_LENGTH = Region.PREFIX_LENGTH["village"]


def assignment_covers(on: dt.date) -> Q:
    """An assignment counts from its start date up to (not including) its end date (as in the registry)."""
    return Q(start_date__lte=on) & (Q(end_date__isnull=True) | Q(end_date__gt=on))


def household_scope_for_recording(user: User) -> QuerySet[Household]:
    """The households the account may record a visit for today."""
    if not user_can(user, Capability.VISITS_RECORD):
        return Household.objects.none()
    qs = scope_by_region(user, Household.objects.all())
    # Those who keep the registry of their subtree record for any of its households.
    if user_can(user, Capability.REGISTRY_EDIT):
        return qs
    # A helper (even one that also holds a read-only role such as 领导) records only for its own households.
    assigned = HelperAssignment.objects.filter(
        assignment_covers(timezone.localdate()), helper=user, household=OuterRef("pk")
    )
    return qs.filter(Exists(assigned))


def visit_may_record(user: User, household: Household) -> bool:
    """For the household page: whether to offer 记录走访 for this household."""
    return household_scope_for_recording(user).filter(pk=household.pk).exists()


def household_for_recording(user: User, pk: object) -> Household | None:
    """A household the account may record a visit for, or None (for a key that is out of scope too)."""
    try:
        key = int(str(pk))
    except (TypeError, ValueError):
        return None
    return household_scope_for_recording(user).select_related("region").filter(pk=key).first()


def helper_assigned_on(user: User, household: Household, on: dt.date) -> bool:
    return HelperAssignment.objects.filter(assignment_covers(on), helper=user, household=household).exists()


def households_matching(user: User, term: str, *, limit: int = 10) -> list[Household]:
    """The household picker of the visit form: by 户编号 or 户主姓名, inside the recording scope.

    In a township or village any part of the number or name matches (a scan of a few thousand rows at
    most); in a county or wider scope only the beginning does, so the indexes on household_no and
    head_name answer it instead of a scan of the county.
    """
    term = "".join(term.split())
    if not term:
        return []
    qs = household_scope_for_recording(user)
    prefix = user_prefix(user) or ""
    narrow = len(prefix) >= Region.PREFIX_LENGTH["township"]
    if term.isdigit():
        if not narrow and len(term) < 6:
            return []
        cond = Q(household_no__contains=term) if narrow else Q(household_no__startswith=term)
    else:
        if not narrow and len(term) < 2:
            return []
        cond = Q(head_name__contains=term) if narrow else Q(head_name__startswith=term)
    # The account's own households (结对帮扶 today) come first: a helper searching for 张 finds its own 张.
    return list(
        qs.filter(cond)
        .annotate(own=Exists(_own_assignment(user)))
        .select_related("region")
        .only("id", "household_no", "head_name", "region_code", "region__name", "region__full_name")
        .order_by("-own", "region_code", "id")[:limit]
    )


def _own_assignment(user: User) -> QuerySet[HelperAssignment]:
    return HelperAssignment.objects.filter(
        assignment_covers(timezone.localdate()), helper=user, household=OuterRef("pk")
    )


def households_of_helper(user: User, *, limit: int = 50) -> list[Household]:
    """The households the account helps today (结对帮扶), offered in the visit form before any search."""
    return list(
        household_scope_for_recording(user)
        .filter(Exists(_own_assignment(user)))
        .select_related("region")
        .only("id", "household_no", "head_name", "region_code", "region__name", "region__full_name")
        .order_by("region_code", "head_name", "id")[:limit]
    )


# --- visits -----------------------------------------------------------------------------------------


def visit_scope_for_user(user: User) -> QuerySet[Visit]:
    if not user_can(user, Capability.VISITS_VIEW):
        return Visit.objects.none()
    qs = scope_by_region(user, Visit.objects.all())
    if user_can(user, Capability.REGISTRY_VIEW):
        return qs
    return qs.filter(household__in=household_scope_for_user(user).values("pk"))


def visit_get_for_user(user: User, pk: int) -> Visit:
    try:
        return (
            visit_scope_for_user(user)
            .select_related("household", "household__region", "visitor", "measure")
            .get(pk=pk)
        )
    except Visit.DoesNotExist:
        raise Http404("走访记录不存在或不在您的管辖范围内") from None


def photo_get_for_visit(visit: Visit, pk: int) -> VisitPhoto:
    """A photo of a visit already fetched through `visit_get_for_user`; 404 for anything else."""
    try:
        return VisitPhoto.objects.get(pk=pk, visit=visit)
    except VisitPhoto.DoesNotExist:
        raise Http404("照片不存在") from None


def visits_for_household(household: Household, *, limit: int = 5) -> list[Visit]:
    """The latest visits of a household already fetched through a scoped selector (household page)."""
    return list(
        Visit.objects.filter(household=household)
        .select_related("visitor")
        .annotate(photo_count=Count("photos"))
        .order_by("-visit_date", "-id")[:limit]
    )


@dataclass(frozen=True)
class VisitFilters:
    village: Region | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    with_risks: bool = False
    # Visits to the households monitored now (the leaders' coverage figure drills here: reports).
    monitored: bool = False
    household: int | None = None

    def apply(self, qs: QuerySet[Visit]) -> QuerySet[Visit]:
        if self.village is not None:
            qs = qs.filter(region_range_q(self.village.prefix))
        if self.date_from is not None:
            qs = qs.filter(visit_date__gte=self.date_from)
        if self.date_to is not None:
            qs = qs.filter(visit_date__lte=self.date_to)
        if self.with_risks:
            qs = qs.filter(has_risks=True)
        if self.monitored:
            qs = qs.exclude(household__monitoring_category="")
        if self.household is not None:
            qs = qs.filter(household_id=self.household)
        return qs


def visit_list_for_user(user: User, filters: VisitFilters | None = None) -> QuerySet[Visit]:
    qs = visit_scope_for_user(user)
    if filters is not None:
        qs = filters.apply(qs)
    return qs.select_related("household", "household__region", "visitor").order_by("-visit_date", "-id")


def villages_for_user(user: User) -> list[Region]:
    prefix = user_prefix(user)
    if prefix is None:
        return []
    return list(
        Region.objects.filter(region_range_q(prefix, "code"), level=Region.Level.VILLAGE)
        .only("id", "code", "prefix", "name", "full_name", "parent_id")
        .order_by("code")
    )


# --- coverage ---------------------------------------------------------------------------------------


@dataclass
class CoverageRow:
    code: str
    name: str
    households: int = 0
    visited: int = 0
    visits: int = 0
    visits_with_risks: int = 0
    is_total: bool = False
    level: str = "village"
    villages: list[CoverageRow] = field(default_factory=list)

    @property
    def coverage(self) -> float | None:
        """Share of households visited at least once, in percent (None: no households)."""
        return round(100 * self.visited / self.households, 1) if self.households else None

    def add(self, other: CoverageRow) -> None:
        self.households += other.households
        self.visited += other.visited
        self.visits += other.visits
        self.visits_with_risks += other.visits_with_risks


@dataclass
class Coverage:
    start: dt.date
    end: dt.date
    townships: list[CoverageRow]  # each with its villages; one pseudo-township when the account is below
    total: CoverageRow

    @property
    def villages(self) -> list[CoverageRow]:
        return [v for t in self.townships for v in t.villages]

    @property
    def show_townships(self) -> bool:
        return len(self.townships) > 1 or (bool(self.townships) and self.townships[0].level != "village")


def _village_key(field_name: str) -> Substr:
    return Substr(field_name, 1, VILLAGE_CODE_LENGTH)


def coverage_for_user(user: User, start: dt.date, end: dt.date) -> Coverage:
    """Visit coverage per village of the account's subtree for [start, end], in three aggregate queries.

    1. the villages (and their townships) of the subtree; 2. per village, the households and how many of
    them were visited at least once in the period (an EXISTS per household on the (household, visit_date)
    index); 3. per village, the visits of the period and those that found a risk. A household counts in
    the village it belongs to now; a visit counts in the village recorded with it.
    """
    prefix = user_prefix(user) or ""
    regions = (
        list(
            Region.objects.filter(
                region_range_q(prefix, "code"), level__in=[Region.Level.TOWNSHIP, Region.Level.VILLAGE]
            )
            .only("id", "code", "prefix", "name", "level", "parent_id")
            .order_by("code")
        )
        if prefix and user_can(user, Capability.VISITS_VIEW)
        else []
    )
    visits = visit_scope_for_user(user).filter(visit_date__gte=start, visit_date__lte=end)
    visited = visits.filter(household=OuterRef("pk")).order_by().values("pk")
    household_counts = {
        row["village"]: row
        for row in household_scope_for_user(user)
        .annotate(village=_village_key("region_code"))
        .order_by()
        .values("village")
        .annotate(households=Count("id"), visited=Count("id", filter=Q(Exists(visited))))
    }
    visit_counts = {
        row["village"]: row
        for row in visits.annotate(village=_village_key("region_code"))
        .order_by()
        .values("village")
        .annotate(visits=Count("id"), risky=Count("id", filter=Q(has_risks=True)))
    }

    townships: dict[str, CoverageRow] = {}
    village_rows: list[CoverageRow] = []
    for region in regions:
        if region.level == Region.Level.TOWNSHIP:
            townships[region.prefix] = CoverageRow(region.code, region.name, level="township", is_total=True)
            continue
        h: Mapping[str, Any] = household_counts.get(region.prefix, {})
        v: Mapping[str, Any] = visit_counts.get(region.prefix, {})
        village_rows.append(
            CoverageRow(
                code=region.code,
                name=region.name,
                households=h.get("households", 0),
                visited=h.get("visited", 0),
                visits=v.get("visits", 0),
                visits_with_risks=v.get("risky", 0),
            )
        )
    account = user.region if prefix else None
    total = CoverageRow(
        account.code if account else "", f"{account.name if account else ''}合计", is_total=True
    )
    groups: list[CoverageRow] = []
    for row in village_rows:
        township = townships.get(row.code[: Region.PREFIX_LENGTH["township"]])
        if township is None:  # the account is a village (or the township is missing from the tree)
            township = townships.setdefault(
                row.code[: Region.PREFIX_LENGTH["township"]],
                CoverageRow(row.code, "", level="village", is_total=True),
            )
        if not township.villages:
            groups.append(township)
        township.villages.append(row)
        township.add(row)
        total.add(row)
    return Coverage(start=start, end=end, townships=groups, total=total)
