"""举一反三 (docs/domain.md §25): the named checks that look for a finding's problem in every other village.

A check is a function of a region prefix giving, per village, the households concerned and one sentence. The
checks are built on the platform's own data and reuse the rules that already exist: the consistency checks of
the monitored households (dixian.monitoring.consistency, docs/domain.md §20.1) and the registry's housing
grade (C/D级危房). Each is a handful of set-based queries over the subtree, never one per village.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from dixian.common.access import region_range_q
from dixian.domain import dictionaries as d
from dixian.monitoring import consistency as cc
from dixian.regions.models import Region
from dixian.registry.models import Household


@dataclass(frozen=True)
class Hit:
    village: Region
    household_ids: list[int]
    description: str


@dataclass(frozen=True)
class Check:
    code: str
    label: str  # the problem, in the words a finding of it would carry
    category: str  # the assessment's check dimension (docs/domain.md §12)
    run: Callable[[str], list[Hit]]


def _by_village(pairs: list[tuple[str, int]], sentence: Callable[[int], str]) -> list[Hit]:
    """(household region code, household id) pairs → one Hit per village (the code's first 12 digits)."""
    by_code: dict[str, list[int]] = defaultdict(list)
    for code, hid in pairs:
        by_code[code[:12]].append(hid)
    villages = {r.code: r for r in Region.objects.filter(code__in=list(by_code), level=Region.Level.VILLAGE)}
    return [
        Hit(villages[code], sorted(ids), sentence(len(ids)))
        for code, ids in sorted(by_code.items())
        if code in villages
    ]


def _consistency(rule: str) -> Callable[[str], list[Hit]]:
    def run(prefix: str) -> list[Hit]:
        hits = [h for h in cc.consistency_hits(prefix=prefix) if h.code == rule]
        pairs = list(dict.fromkeys((h.region_code, h.household_id) for h in hits))
        return _by_village(pairs, lambda n: f"本村有 {n} 户{cc.RULES[rule]}")

    return run


def _unsafe_housing(prefix: str) -> list[Hit]:
    pairs = list(
        Household.objects.filter(region_range_q(prefix), housing_grade__in=(d.HOUSING_C, d.HOUSING_D))
        .order_by()
        .values_list("region_code", "id")
    )
    return _by_village(pairs, lambda n: f"本村有 {n} 户住房为C级或D级危房,住房安全未保障")


CHECKS: dict[str, Check] = {
    "no_helper": Check("no_helper", cc.RULES[cc.NO_HELPER], "工作落实", _consistency(cc.NO_HELPER)),
    "no_development_measure": Check(
        "no_development_measure",
        cc.RULES[cc.NO_DEVELOPMENT_MEASURE],
        "政策落实",
        _consistency(cc.NO_DEVELOPMENT_MEASURE),
    ),
    "measures_mismatch": Check(
        "measures_mismatch", cc.RULES[cc.MEASURES_MISMATCH], "政策落实", _consistency(cc.MEASURES_MISMATCH)
    ),
    "identification_overdue": Check(
        "identification_overdue",
        cc.RULES[cc.IDENTIFICATION_OVERDUE],
        "工作落实",
        _consistency(cc.IDENTIFICATION_OVERDUE),
    ),
    "unsafe_housing": Check("unsafe_housing", "农户住房为C级或D级危房", "成效巩固", _unsafe_housing),
}


def check_choices() -> list[tuple[str, str]]:
    return [(c.code, c.label) for c in CHECKS.values()]
