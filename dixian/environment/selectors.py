"""Reads of the living-environment ledger (docs/domain.md §27), scoped by region: a unit, village or record
outside the account's subtree answers 404 exactly like one that does not exist."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from dixian.common.access import code_in_scope, region_range_q, scope_by_region
from dixian.regions.models import Region

from .models import EnvironmentProject

if TYPE_CHECKING:
    from dixian.accounts.models import User

REGION_CODE = re.compile(r"\d{12}")
NOT_FOUND = "没有找到这个区划,或它不在您的管辖范围内。"


class NoRegion(Exception):
    """The account has no region: it has no ledger to see."""


def unit_for_user(user: User, raw: str) -> Region:
    """The unit asked as `?region=<12-digit code>`, the account's own when blank."""
    raw = (raw or "").strip()
    if not raw:
        if user.region is None:
            raise NoRegion
        return user.region
    if not REGION_CODE.fullmatch(raw) or not code_in_scope(user, raw):
        raise Http404(NOT_FOUND)
    found = Region.objects.filter(code=raw).exclude(level=Region.Level.GROUP).first()
    if found is None:
        raise Http404(NOT_FOUND)
    return found


def region_of_level(user: User, code: str, level: str) -> Region:
    if not REGION_CODE.fullmatch(code or "") or not code_in_scope(user, code):
        raise Http404(NOT_FOUND)
    found = Region.objects.filter(code=code, level=level).first()
    if found is None:
        raise Http404(NOT_FOUND)
    return found


def villages_for_user(user: User, prefix: str | None = None) -> QuerySet[Region]:
    qs = scope_by_region(user, Region.objects.filter(level=Region.Level.VILLAGE), field="code")
    if prefix:
        qs = qs.filter(region_range_q(prefix, "code"))
    return qs


def townships_for_user(user: User) -> QuerySet[Region]:
    return scope_by_region(
        user, Region.objects.in_use().filter(level=Region.Level.TOWNSHIP), field="code"
    ).order_by("code")


def projects_for_user(user: User) -> QuerySet[EnvironmentProject]:
    return scope_by_region(user, EnvironmentProject.objects.all())


def project_link_get(user: User, pk: int) -> EnvironmentProject:
    try:
        return projects_for_user(user).select_related("project").get(pk=pk)
    except EnvironmentProject.DoesNotExist:
        raise Http404("项目不存在或不在您的管辖范围内") from None
