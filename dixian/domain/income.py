"""The income line (收入监测线, 监测范围): which yearly per-capita line applies to a household.

The line is data with a region and a year (docs/domain.md §2): a line without a region applies to the
whole platform; a line for a region (a code prefix) overrides it inside that subtree, the most specific
region winning. The screening rule R12 carries its lines as a parameter, the registry keeps them in its
IncomeLine table for the household page; both look them up by this one rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# Demo line (docs/domain.md: shown as 示例 until the province's figure is entered), 元 per person per year.
DEMO_INCOME_LINE: dict[int, int] = {2023: 7600, 2024: 7900, 2025: 8200, 2026: 8500}

# The earliest income year the registry holds: incomes are recorded from 2014, when the poor were first
# registered (建档立卡) at the start of the 脱贫攻坚期 (docs/domain.md §1).
FIRST_INCOME_YEAR = 2014

type Amount = int | float | Decimal


@dataclass(frozen=True)
class LineEntry:
    region: str  # a region code prefix; "" = everywhere
    year: int
    amount: Amount


def line_entries(raw: Mapping[Any, Any] | Iterable[Mapping[str, Any]]) -> list[LineEntry]:
    """R12's `income_line` parameter as entries, in either of its forms: {year: amount} for the whole
    platform, or [{"region": prefix, "year": y, "amount": a}, ...]."""
    if isinstance(raw, Mapping):
        return [LineEntry("", int(year), amount) for year, amount in raw.items()]
    return [LineEntry(str(e.get("region", "") or ""), int(e["year"]), e["amount"]) for e in raw]


def most_specific_first(entries: Iterable[LineEntry]) -> list[LineEntry]:
    """The entries in the order a lookup tries them: longest region prefix first, then by year."""
    return sorted(entries, key=lambda e: (-len(e.region), e.year))


def lines_by_year[T](entries: Iterable[tuple[str, int, T]], region_code: str) -> dict[int, T]:
    """For each year, the value of the most specific (region prefix, year, value) entry whose region
    contains `region_code` ("" contains every code)."""
    best: dict[int, tuple[int, T]] = {}
    for region, year, value in entries:
        if not region_code.startswith(region):
            continue
        current = best.get(year)
        if current is None or len(region) > current[0]:
            best[year] = (len(region), value)
    return {year: value for year, (_, value) in best.items()}


def income_line(entries: Iterable[LineEntry], region_code: str, year: int) -> Amount | None:
    """The line that applies to a household of `region_code` in `year`, or None when none is set."""
    return lines_by_year(((e.region, e.year, e.amount) for e in entries), region_code).get(year)
