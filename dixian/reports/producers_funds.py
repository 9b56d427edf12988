"""Funds and projects facts (docs/domain.md §21 "Funds figures", §22 "Figures"): the same sums as the funds
report's (`dixian.funds.figures`, one definition), as facts of every unit, for the dashboard and the
monthly bulletin.

Where a figure sits: allocations and arrangements are made to a county (sometimes the city or a township),
not to villages; projects are built in a village or a township; households live in villages. So these
producers do not roll up from villages: they compute the sums per 12-digit code where the rows are recorded
(`figures_by_prefix`, six grouped queries over the whole city) and add each code's sums to itself and
every unit above it (`rollup=False`). A county's 资金安排率 is its own allocations; a township's projects
count at the township and above, never at a village; a village has projects, payments, assets and
households but no allocations (its 资金安排率 has no data).

They are cheap (a few grouped sums, ~0.1 s at city scale, docs/benchmarks.md), so a refresh of a few
changed villages recomputes them whole (`whole_on_change`) instead of leaving them to the night.

A month's figure is the year of the month to its end (a stock, in 年累计 the same): what was issued,
arranged, planned, started, completed, accepted and paid by the month's last day, from the rows' own dates
(`history`); in the current month everything recorded, as the report page counts it. Assets and benefit
links carry no date: they are the present's (their own producer, without history).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from dixian.accounts.capabilities import Capability
from dixian.domain import funds as fd
from dixian.funds.figures import Figures, figures_by_prefix
from dixian.funds.report import drill_link

from .catalogue import Drill, Indicator, dim_labels_register, indicator_register
from .periods import Period
from .producers import Row, ancestors_of, producer_register, refresh_memo

if TYPE_CHECKING:
    from dixian.regions.models import Region

GROUP = "衔接资金与项目"

ISSUED = "funds.issued"  # dims "", "level=central" …, "direct=1"
ARRANGED = "funds.arranged"  # dims "", "kind=industry"
PLANNED = "funds.projects_planned"
STARTED = "funds.projects_started"
COMPLETED = "funds.projects_completed"
ACCEPTED = "funds.projects_accepted"
BUDGET = "funds.budget"
PAID = "funds.paid"
ASSETS = "funds.assets"  # dims "", "class=operating" …
ASSET_VALUE = "funds.asset_value"  # dims as ASSETS
HOUSEHOLDS = "funds.households"  # distinct households linked (联农带农)
HOUSEHOLDS_POOR = "funds.households_poor"  # of which 脱贫户 or 监测户

DATED_CODES = (ISSUED, ARRANGED, PLANNED, STARTED, COMPLETED, ACCEPTED, BUDGET, PAID)
PRESENT_CODES = (ASSETS, ASSET_VALUE, HOUSEHOLDS, HOUSEHOLDS_POOR)


def _by_unit(period: Period) -> dict[str, Figures]:
    """The sums of the period's year per unit of every level: each 12-digit code's own, added to itself and
    every unit above it."""

    def compute() -> dict[str, Figures]:
        as_of = None if period == Period.current() else period.last_day
        units: dict[str, Figures] = defaultdict(Figures)
        for code, figures in figures_by_prefix(period.year, "", 12, as_of=as_of).items():
            for unit in (code, *ancestors_of(code)):
                units[unit].add(figures)
        return units

    # Both producers read the same sums: once per refresh.
    return refresh_memo(("funds_by_unit", str(period)), compute)


def _dated_rows(code: str, f: Figures) -> Iterable[Row]:
    yield code, ISSUED, "", f.issued
    for level, amount in f.issued_by_level.items():
        yield code, ISSUED, f"level={level}", amount
    yield code, ISSUED, "direct=1", f.issued_direct
    yield code, ARRANGED, "", f.arranged
    yield code, ARRANGED, f"kind={fd.INDUSTRY}", f.arranged_industry
    yield code, PLANNED, "", f.planned
    yield code, STARTED, "", f.started
    yield code, COMPLETED, "", f.completed
    yield code, ACCEPTED, "", f.accepted
    yield code, BUDGET, "", f.budget
    yield code, PAID, "", f.paid


def _present_rows(code: str, f: Figures) -> Iterable[Row]:
    yield code, ASSETS, "", f.assets_count
    yield code, ASSET_VALUE, "", f.assets_value
    for cls, (n, value) in f.assets.items():
        yield code, ASSETS, f"class={cls}", n
        yield code, ASSET_VALUE, f"class={cls}", value
    yield code, HOUSEHOLDS, "", f.households
    yield code, HOUSEHOLDS_POOR, "", f.households_poor


@producer_register("funds", codes=DATED_CODES, rollup=False, whole_on_change=True)
def funds_facts(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    """Issued, arranged, the plan's projects and their progress, budget and paid, by the month's end."""
    for code, figures in _by_unit(period).items():
        yield from _dated_rows(code, figures)


@producer_register("funds_present", codes=PRESENT_CODES, history=False, rollup=False, whole_on_change=True)
def funds_present_facts(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    """Assets held (by class, count and value) and distinct households linked, now."""
    for code, figures in _by_unit(period).items():
        yield from _present_rows(code, figures)


dim_labels_register("level=", dict(fd.FUND_LEVELS))
dim_labels_register("class=", dict(fd.ASSET_CLASSES))


# --- indicators ------------------------------------------------------------------------------------------


def _drill(name: str, **params: str) -> Drill:
    """The funds list behind a figure, filtered to the unit and the month's year; None while the list does
    not exist (the lists are built beside this, issue 16)."""

    def drill(region: Region, period: Period) -> str | None:
        return drill_link(name, {"year": str(period.year), "region": str(region.pk), **params})

    return drill


def _register(**kwargs: object) -> None:
    kwargs.setdefault("group", GROUP)
    kwargs.setdefault("period_text", "本年1月1日至月末累计(时点数)")
    kwargs.setdefault("source_text", "衔接资金和项目(资金下达、资金安排、项目库、资金支付)")
    kwargs.setdefault("drill_capability", Capability.FUNDS_VIEW)
    indicator_register(Indicator(**kwargs))  # type: ignore[arg-type]  # keyword arguments of Indicator


_register(
    code="funds_issued",
    name="下达衔接资金",
    unit="元",
    numerator=ISSUED,
    numerator_text="本年度下达到本级及以下单位的衔接资金(中央、省、市、县级),按下达日期",
    drill=_drill("funds:allocation_list"),
)
_register(
    code="funds_arranged_rate",
    name="资金安排率",
    unit="%",
    numerator=ARRANGED,
    denominator=ISSUED,
    better="up",
    numerator_text="本年度下达资金中已安排到项目的金额",
    denominator_text="本年度下达资金(计在接收单位,通常为县;村、乡镇无此项)",
    drill=_drill("funds:allocation_list"),
)
_register(
    code="funds_industry_share",
    name="产业发展资金占比",
    unit="%",
    numerator=ARRANGED,
    dim=f"kind={fd.INDUSTRY}",
    denominator=ARRANGED,
    better="up",
    numerator_text="安排到产业发展类项目的资金",
    denominator_text="本年度已安排资金(年度下限见资金管理要求,默认55%)",
    drill=_drill("funds:project_list", kind=fd.INDUSTRY),
)
_register(
    code="funds_projects_planned",
    name="年度实施项目",
    unit="个",
    numerator=PLANNED,
    numerator_text="纳入本年度实施计划的项目数(计在项目所在村或乡镇)",
    drill=_drill("funds:project_list", progress="planned"),
)
for _code, _name, _fact, _progress in (
    ("funds_started_rate", "开工率", STARTED, "started"),
    ("funds_completed_rate", "完工率", COMPLETED, "completed"),
    ("funds_accepted_rate", "验收率", ACCEPTED, "accepted"),
):
    _register(
        code=_code,
        name=_name,
        unit="%",
        numerator=_fact,
        denominator=PLANNED,
        better="up",
        numerator_text=f"年度实施项目中已{_name[:2]}的项目数(按实际{_name[:2]}日期)",
        denominator_text="纳入本年度实施计划的项目数",
        drill=_drill("funds:project_list", progress=_progress),
    )
_register(
    code="funds_paid_rate",
    name="支出进度",
    unit="%",
    numerator=PAID,
    denominator=BUDGET,
    better="up",
    numerator_text="年度实施项目已支付的资金(按支付日期)",
    denominator_text="年度实施项目的总投资",
    drill=_drill("funds:payment_list"),
)
_register(
    code="funds_asset_value",
    name="项目资产价值",
    unit="元",
    numerator=ASSET_VALUE,
    numerator_text="本年度项目形成、未处置的资产价值(经营性、公益性、到户类)",
    period_text="当前数(资产不按月份回溯)",
    source_text="项目资产台账",
    breakdown="class=",
    breakdown_title="按资产类别",
    drill=_drill("funds:asset_list"),
)
_register(
    code="funds_households",
    name="联农带农户数",
    unit="户",
    numerator=HOUSEHOLDS,
    numerator_text="本年度由项目、经营主体或产业基地联结带动的农户(不重复户数,计在农户所在村)",
    period_text="当前数(联农带农不按月份回溯)",
    source_text="联农带农登记",
    drill=_drill("funds:link_list"),
)
_register(
    code="funds_households_poor",
    name="带动脱贫户和监测户",
    unit="户",
    numerator=HOUSEHOLDS_POOR,
    numerator_text="联农带农户中的脱贫户和监测对象户(不重复户数)",
    period_text="当前数(联农带农不按月份回溯)",
    source_text="联农带农登记",
    drill=_drill("funds:link_list", kind="ex_poor_or_monitored"),
)

# The figures the bulletin's funds paragraph tells (reports/bulletin.py), in its order.
BULLETIN_CODES = (
    "funds_issued",
    "funds_arranged_rate",
    "funds_projects_planned",
    "funds_started_rate",
    "funds_completed_rate",
    "funds_accepted_rate",
    "funds_paid_rate",
    "funds_households",
    "funds_households_poor",
)
