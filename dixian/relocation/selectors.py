"""Reads of relocation follow-up (docs/domain.md §24), scoped by region: a site is seen by the accounts whose
subtree holds its place; a record outside answers 404 exactly like one that does not exist.

A site's households come from villages that may lie outside the viewer's subtree (a township's site houses
families from the county's mountain villages): a household row, and a finding that names it, is shown only
to an account whose subtree holds the household's village; the site's figures count them all (numbers only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from dixian.common.access import scope_by_region

from .models import RelocationSite, SiteHousehold, SiteProblem, SiteProject

if TYPE_CHECKING:
    from dixian.accounts.models import User


def sites_for_user(user: User) -> QuerySet[RelocationSite]:
    return scope_by_region(user, RelocationSite.objects.all())


def site_get_for_user(user: User, pk: int) -> RelocationSite:
    try:
        return sites_for_user(user).select_related("county", "region").get(pk=pk)
    except RelocationSite.DoesNotExist:
        raise Http404("安置点不存在或不在您的管辖范围内") from None


def site_households_for_user(user: User, site: RelocationSite) -> QuerySet[SiteHousehold]:
    """The site's households whose village is in the account's subtree."""
    return scope_by_region(user, SiteHousehold.objects.filter(site=site))


def site_household_get(user: User, site: RelocationSite, pk: int) -> SiteHousehold:
    try:
        return site_households_for_user(user, site).select_related("site", "household").get(pk=pk)
    except SiteHousehold.DoesNotExist:
        raise Http404("搬迁户不存在或不在您的管辖范围内") from None


def problem_get(site: RelocationSite, pk: int) -> SiteProblem:
    """A problem of a site already scoped (site_get_for_user)."""
    try:
        return SiteProblem.objects.select_related("site").get(site=site, pk=pk)
    except SiteProblem.DoesNotExist:
        raise Http404("问题不存在或不在您的管辖范围内") from None


def site_project_get(site: RelocationSite, pk: int) -> SiteProject:
    try:
        return SiteProject.objects.select_related("site", "project").get(site=site, pk=pk)
    except SiteProject.DoesNotExist:
        raise Http404("项目关联不存在或不在您的管辖范围内") from None


def site_of_household(household_id: int) -> SiteHousehold | None:
    """The household's link to its site (the household page's panel)."""
    return (
        SiteHousehold.objects.filter(household_id=household_id).select_related("site", "site__county").first()
    )
