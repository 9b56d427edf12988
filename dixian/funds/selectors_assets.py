"""Reads of project assets, their income and its distribution (docs/domain.md §22), scoped by region: a record
outside the account's subtree answers 404 exactly like one that does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import scope_by_region
from dixian.domain import funds as fd
from dixian.domain.idnumber import normalised_id

from .models import Asset, AssetIncome, BenefitLink, Distribution, Project, WorkReliefHire
from .recipients import civil_registry_departures, registry_departures

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.registry.models import Household


def assets_for_user(user: User) -> QuerySet[Asset]:
    return scope_by_region(user, Asset.objects.all())


def asset_get_for_user(user: User, pk: int) -> Asset:
    try:
        return assets_for_user(user).select_related("project", "household").get(pk=pk)
    except Asset.DoesNotExist:
        raise Http404("资产不存在或不在您的管辖范围内") from None


def income_get_for_user(user: User, pk: int) -> AssetIncome:
    try:
        return scope_by_region(user, AssetIncome.objects.select_related("asset__project")).get(pk=pk)
    except AssetIncome.DoesNotExist:
        raise Http404("资产收益不存在或不在您的管辖范围内") from None


def project_for_assets(user: User, code: str) -> Project | None:
    """The project of the account's subtree with this code (项目编号), or None."""
    return scope_by_region(user, Project.objects.all()).filter(code=code.strip()).first()


@dataclass(frozen=True)
class ClassTotal:
    code: str
    label: str
    count: int
    value: Decimal


def asset_class_totals(assets: QuerySet[Asset]) -> list[ClassTotal]:
    """Count and value of the assets by class (every class listed, zero where none): one query."""
    found: dict[str, tuple[int, Decimal]] = {
        cls: (n, v or Decimal("0"))
        for cls, n, v in assets.order_by()
        .values("asset_class")
        .annotate(n=Count("pk"), v=Sum("value"))
        .values_list("asset_class", "n", "v")
    }
    return [
        ClassTotal(code, label, *found.get(code, (0, Decimal("0"))))
        for code, label in fd.ASSET_CLASSES.items()
    ]


def distributions_for_user(user: User, income: AssetIncome) -> QuerySet[Distribution]:
    """The income's shares paid to households the account may see, in the order of the published list."""
    return scope_by_region(user, Distribution.objects.filter(income=income)).order_by(
        "period", "region_code", "household__household_no", "pk"
    )


@dataclass(frozen=True)
class GoneShare:
    """A share recorded for a month after its recipient died or left (a finding, docs/domain.md §22)."""

    distribution: Distribution
    message: str


def gone_recipient_findings(distributions: QuerySet[Distribution]) -> list[GoneShare]:
    """The shares of `distributions` paid for a month after the recipient's death or departure (公安 户籍变动
    feed) or after the recipient left the household (registry). Three queries and one read of the 公安
    deliveries' rows of the recipients' ID numbers, whatever the number of shares."""
    rows = list(
        distributions.filter(person__isnull=False).select_related("person", "household", "income__asset")
    )
    if not rows:
        return []
    feed = civil_registry_departures(d.person.id_number for d in rows if d.person is not None)
    left = registry_departures(
        (d.person.pk, d.household_id)
        for d in rows
        if d.person is not None and d.person.household_id != d.household_id
    )
    found: list[GoneShare] = []
    for d in rows:
        assert d.person is not None
        gone = feed.get(normalised_id(d.person.id_number) or "")
        moved = left.get((d.person.pk, d.household_id))
        candidates = [g for g in (gone, moved) if g is not None and g.stops(d.period)]
        if candidates:
            first = min(candidates, key=lambda g: g.on)
            found.append(
                GoneShare(d, f"{first.text(d.recipient_name)},但仍登记了{d.period}的分配 {d.amount:,.2f} 元")
            )
    return found


# ---- the household page's panel -------------------------------------------------------------------------


def household_funds(user: User, household: Household) -> dict[str, Any]:
    """What the projects, assets and income of the chain gave the household (docs/domain.md §22): its 到户类
    assets, income shares, benefit links and 以工代赈 wages, and the projects behind them. Four queries, or
    none for an account that may see neither funds nor the registry."""
    if not (user_can(user, Capability.FUNDS_VIEW) or user_can(user, Capability.REGISTRY_VIEW)):
        return {"funds_shown": False}
    assets = list(Asset.objects.filter(household=household).select_related("project").order_by("pk"))
    shares = list(
        Distribution.objects.filter(household=household)
        .select_related("income__asset__project")
        .order_by("-period", "pk")
    )
    links = list(
        BenefitLink.objects.filter(household=household)
        .select_related("project", "entity", "base")
        .order_by("-year", "pk")
    )
    hires = list(
        WorkReliefHire.objects.filter(household=household)
        .select_related("project", "person")
        .order_by("-hired_on", "pk")
    )
    projects: dict[int, Project] = {}
    for project in (
        *(a.project for a in assets),
        *(s.income.asset.project for s in shares),
        *(link.project for link in links if link.project is not None),
        *(h.project for h in hires),
    ):
        projects.setdefault(project.pk, project)
    return {
        "funds_shown": True,
        "funds_projects": sorted(projects.values(), key=lambda p: (-p.year, p.code)),
        "funds_assets": assets,
        "funds_shares": shares,
        "funds_shares_total": sum((s.amount for s in shares), Decimal("0")),
        "funds_links": links,
        "funds_hires": hires,
        "funds_wages_total": sum((h.wages_paid for h in hires), Decimal("0")),
        "funds_can_view": user_can(user, Capability.FUNDS_VIEW),
    }
