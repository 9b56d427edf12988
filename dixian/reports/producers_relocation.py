"""Relocation follow-up facts (docs/domain.md §24 "Figures"): the same sums as the site list's
(`dixian.relocation.figures`, one definition), as facts of every unit, for the dashboard and the map.

A site's figures sit at the site's place (a village, a township or the county itself), wherever its households
came from; so, like the funds figures, these do not roll up from villages: each site's sums are added to its
12-digit code and every unit above it (`rollup=False`). They are the present's (the latest survey month, the
problems and the links as they are now): `history=False`, and cheap (a few grouped queries over at most a few
hundred sites), so a refresh recomputes them whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.urls import reverse

from dixian.accounts.capabilities import Capability
from dixian.relocation.figures import Figures, report
from dixian.relocation.models import RelocationSite

from .catalogue import Indicator, indicator_register
from .periods import Period
from .producers import Row, ancestors_of, producer_register, refresh_memo

if TYPE_CHECKING:
    from dixian.regions.models import Region

GROUP = "易地搬迁"

SITES = "relocation.sites"
HOUSEHOLDS = "relocation.households"
PERSONS = "relocation.persons"
LABOUR = "relocation.labour_households"  # linked households with a worker on the roll of the survey month
EMPLOYED = "relocation.employed_households"  # of which a worker recorded working that month
PROBLEMS = "relocation.problems"
RESOLVED = "relocation.problems_resolved"
CODES = (SITES, HOUSEHOLDS, PERSONS, LABOUR, EMPLOYED, PROBLEMS, RESOLVED)


def by_unit() -> dict[str, Figures]:
    """Each site's figures added to its 12-digit code and every unit above it."""

    def compute() -> dict[str, Figures]:
        units: dict[str, Figures] = defaultdict(Figures)
        for row in report(RelocationSite.objects.all()).rows:
            code = row.site.region_code[:12]
            for unit in (code, *ancestors_of(code)):
                units[unit].add(row.figures)
        return units

    return refresh_memo(("relocation_by_unit",), compute)


@producer_register("relocation", codes=CODES, history=False, rollup=False, whole_on_change=True)
def relocation_facts(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    """Sites, households and persons housed, labour and employed households, problems found and resolved."""
    for code, f in by_unit().items():
        yield code, SITES, "", f.sites
        yield code, HOUSEHOLDS, "", f.households
        yield code, PERSONS, "", f.persons
        yield code, LABOUR, "", f.labour
        yield code, EMPLOYED, "", f.employed
        yield code, PROBLEMS, "", f.problems
        yield code, RESOLVED, "", f.resolved


def _drill(region: Region, period: Period) -> str | None:
    """The site list of the unit (its cascading picker takes the unit's id)."""
    return f"{reverse('relocation:site_list')}?region={region.pk}"


def _register(**kwargs: object) -> None:
    kwargs.setdefault("group", GROUP)
    kwargs.setdefault("period_text", "当前数(不按月份回溯)")
    kwargs.setdefault("source_text", "易地搬迁安置点、搬迁户登记、就业信息摸排")
    kwargs.setdefault("drill_capability", Capability.RELOCATION_VIEW)
    kwargs.setdefault("drill", _drill)
    indicator_register(Indicator(**kwargs))  # type: ignore[arg-type]  # keyword arguments of Indicator


_register(
    code="relocation_sites",
    name="安置点数",
    unit="个",
    numerator=SITES,
    numerator_text="易地搬迁安置点(计在安置点所在地)",
)
_register(
    code="relocation_households",
    name="搬迁户数",
    unit="户",
    numerator=HOUSEHOLDS,
    numerator_text="登记到安置点的搬迁户(计在安置点所在地,不论原籍)",
)
_register(
    code="relocation_employment_rate",
    name="搬迁劳动力户就业率",
    unit="%",
    numerator=EMPLOYED,
    denominator=LABOUR,
    better="up",
    numerator_text="有劳动力的搬迁户中,最近一个摸排月份有劳动力登记为务工就业的户数",
    denominator_text="户内有劳动力名册上劳动力的搬迁户数(最近一个摸排月份)",
)
_register(
    code="relocation_problems_resolved_rate",
    name="安置点问题整改率",
    unit="%",
    numerator=RESOLVED,
    denominator=PROBLEMS,
    better="up",
    numerator_text="已整改销号的安置点问题",
    denominator_text="专项整治中发现的安置点问题",
    source_text="安置点问题整改登记",
)
