"""The 疑点核查 list and the case page's panel of findings (docs/domain.md §20.1): scoped reads of
`ConsistencyFinding` and the link that leads to where each one is fixed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import NoReverseMatch, reverse

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import scope_by_region
from dixian.regions.models import Region
from dixian.registry.selectors import household_scope_for_user

from . import consistency as cc
from .models import ConsistencyFinding

if TYPE_CHECKING:
    from dixian.accounts.models import User

    from .models import MonitoringCase

# Where a finding is fixed: the case (its dates, plan, steps) or the household's record (members, income,
# helper). The rest of a finding's story is on the case page either way.
FIXED_ON_CASE = frozenset(
    {
        cc.ELIM_SAME_MONTH,
        cc.ELIM_BEFORE_6_MONTHS,
        cc.MEASURES_MISMATCH,
        cc.SAFETY_NET_ONLY,
        cc.NO_DEVELOPMENT_MEASURE,
        cc.BELOW_LINE_ELIMINATED,
        cc.IDENTIFICATION_OVERDUE,
    }
)
VILLAGE_DIGITS = Region.PREFIX_LENGTH[Region.Level.VILLAGE]


def finding_scope_for_user(user: User) -> QuerySet[ConsistencyFinding]:
    """The open findings `user` may see: its subtree for staff (the consistency_region index); the assigned
    households' findings for a 帮扶干部; nothing without CASES_VIEW."""
    if not user_can(user, Capability.CASES_VIEW):
        return ConsistencyFinding.objects.none()
    findings = scope_by_region(user, ConsistencyFinding.objects.filter(resolved_at__isnull=True))
    if user_can(user, Capability.REGISTRY_VIEW):
        return findings
    households = household_scope_for_user(user).filter(pk=OuterRef("household_id"))
    return findings.filter(Exists(households))


def fix_url(finding: ConsistencyFinding) -> str:
    """The page where the finding is fixed: the case page for a finding of the case, else the household's."""
    if finding.case_id is not None and finding.code in FIXED_ON_CASE:
        try:
            return reverse("monitoring:case_detail", args=[finding.case_id])
        except NoReverseMatch:  # the case page is not mounted in this build: the household's page
            pass
    return reverse("registry:household_detail", args=[finding.household_id])


@dataclass(frozen=True)
class FindingRow:
    finding: ConsistencyFinding
    rule: str
    url: str


@dataclass(frozen=True)
class VillageGroup:
    name: str
    rows: list[FindingRow]


def finding_rows(findings: list[ConsistencyFinding]) -> list[VillageGroup]:
    """The findings of a page grouped by village, in page order (one query for the villages' names)."""
    codes = {f.region_code[:VILLAGE_DIGITS] for f in findings}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "full_name"))
    groups: list[VillageGroup] = []
    for f in findings:
        village = f.region_code[:VILLAGE_DIGITS]
        name = names.get(village) or village
        if not groups or groups[-1].name != name:
            groups.append(VillageGroup(name, []))
        groups[-1].rows.append(FindingRow(f, cc.RULES.get(f.code, f.code), fix_url(f)))
    return groups


def case_findings_panel(user: User, case: MonitoringCase) -> dict[str, Any]:
    """The case page's panel (order 60): the open findings of the case, one query."""
    findings = ConsistencyFinding.objects.filter(case=case, resolved_at__isnull=True).order_by("code")
    return {
        "case_findings": [
            FindingRow(
                f, cc.RULES.get(f.code, f.code), reverse("registry:household_detail", args=[f.household_id])
            )
            for f in findings
        ]
    }
