"""Reads of rules and their versions for the rules pages.

Thresholds are not personal data, but a county's own versions concern that county: an account sees the
platform-wide versions, those of the regions above it, and those inside its own subtree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from dixian.common.access import region_range_q, user_prefix
from dixian.regions.models import Region

from .models import Rule, RuleVersion

if TYPE_CHECKING:
    from dixian.accounts.models import User


def may_see_rules(user: User) -> bool:
    return user_prefix(user) is not None


def versions_visible_to(user: User) -> QuerySet[RuleVersion]:
    prefix = user_prefix(user)
    if prefix is None:
        return RuleVersion.objects.none()
    above = {prefix[:n] for n in Region.PREFIX_LENGTH.values() if n <= len(prefix)}
    return RuleVersion.objects.filter(
        Q(region_prefix="") | Q(region_prefix__in=above) | region_range_q(prefix, "region_prefix")
    )


def rule_get(rule_id: str) -> Rule:
    try:
        return Rule.objects.get(rule_id=rule_id)
    except Rule.DoesNotExist:
        raise Http404("没有这条规则") from None


@dataclass
class RuleSummary:
    rule: Rule
    current: list[RuleVersion]  # per region, the version that applies today
    upcoming: list[RuleVersion]  # versions that take effect later


def _applies(v: RuleVersion, day: dt.date) -> bool:
    return v.applies_on(day)


def current_by_region(
    versions: list[RuleVersion], day: dt.date
) -> tuple[list[RuleVersion], list[RuleVersion]]:
    """Per region, the highest version valid on the day (what the engine runs); and later versions."""
    best: dict[str, RuleVersion] = {}
    for v in versions:
        if _applies(v, day) and (v.region_prefix not in best or v.version > best[v.region_prefix].version):
            best[v.region_prefix] = v
    upcoming = [
        v
        for v in versions
        if v.valid_from is not None
        and v.valid_from > day
        and (v.region_prefix not in best or v.version > best[v.region_prefix].version)
    ]
    current = sorted(best.values(), key=lambda v: (len(v.region_prefix), v.region_prefix))
    return current, sorted(upcoming, key=lambda v: (v.region_prefix, v.version))


def rule_summaries(user: User) -> list[RuleSummary]:
    """Every rule with its current version(s) per region visible to the account: two queries."""
    day = timezone.localdate()
    by_rule: dict[int, list[RuleVersion]] = {}
    for v in versions_visible_to(user).order_by("rule_id", "version"):
        by_rule.setdefault(v.rule_id, []).append(v)
    out = []
    for rule in Rule.objects.order_by("rule_id"):
        current, upcoming = current_by_region(by_rule.get(rule.pk, []), day)
        out.append(RuleSummary(rule, current, upcoming))
    return out


def rule_history(user: User, rule: Rule) -> list[RuleVersion]:
    return list(versions_visible_to(user).filter(rule=rule).select_related("created_by").order_by("-version"))


def version_applying(rule: Rule, region_prefix: str, user: User) -> RuleVersion | None:
    """The version that applies today in `region_prefix` (the most specific region wins)."""
    day = timezone.localdate()
    candidates = [
        v for v in versions_visible_to(user).filter(rule=rule) if region_prefix.startswith(v.region_prefix)
    ]
    valid = [v for v in candidates if v.applies_on(day)] or candidates
    if not valid:
        return None
    return max(valid, key=lambda v: (len(v.region_prefix), v.version))
