"""Registry facts (docs/domain.md §21): households and persons by kind and monitoring category, 三保障 and
water, per-capita net income against the income line (docs/domain.md §2), and cadres' visits.

Each family of facts is one GROUP BY per village in the database, never a loop over households or persons
in Python: at city scale the registry holds 2.5 M persons.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, F, OuterRef, Q, Sum, Value
from django.db.models.functions import Substr

from dixian.accounts.capabilities import Capability
from dixian.registry import choices as c
from dixian.registry.filters import GUARANTEE_Q, CategoryFilter, GuaranteeFilter, IncomeFilter
from dixian.registry.income_lines import income_line_case, latest_income_year
from dixian.registry.models import GUARANTEE_GAP, MONITORED, Household, HouseholdIncome
from dixian.visits.models import Visit

from .catalogue import Drill, Indicator, dim_labels_register, indicator_register, list_url
from .periods import Period
from .producers import Row, producer_register, refresh_memo, villages_q

if TYPE_CHECKING:
    from dixian.regions.models import Region

HOUSEHOLDS = "registry.households"
PERSONS = "registry.persons"
MONITORED_HOUSEHOLDS = "registry.monitored_households"
MONITORED_PERSONS = "registry.monitored_persons"
# Households with a gap in 三保障 or water: dim "" any gap, "guarantee=education" … one gap each.
GUARANTEE_GAPS = "registry.guarantee_gaps"
# Income of the registry's latest income year (docs/domain.md §2); dims "", "kind=…", "category=monitored".
INCOME_HOUSEHOLDS = "registry.income_households"  # households with an income record of that year
INCOME_SUM = "registry.income_per_capita_sum"  # the sum of their per-capita net incomes (元)
INCOME_LINED = "registry.income_lined_households"  # those of them whose region has a line for the year
INCOME_BELOW = "registry.income_below_line"  # those of them below that line
VISITS = "visits.visits"  # visits recorded in the month, in the village recorded with the visit
VISIT_MONITORED = "visits.monitored_households"  # monitored households: the coverage's denominator
VISITED_MONITORED = "visits.monitored_visited"  # those of them visited at least once in the month

MONITORED_DIM = f"category={CategoryFilter.MONITORED}"
GUARANTEE_TYPES: tuple[GuaranteeFilter, ...] = (
    GuaranteeFilter.EDUCATION,
    GuaranteeFilter.MEDICAL,
    GuaranteeFilter.HOUSING,
    GuaranteeFilter.WATER,
)


def _village(field: str = "region_code") -> Substr:
    return Substr(field, 1, 12)


@producer_register(
    "registry",
    codes=(HOUSEHOLDS, PERSONS, MONITORED_HOUSEHOLDS, MONITORED_PERSONS, GUARANTEE_GAPS),
    history=False,
)
def registry_facts(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    """Households and persons by kind (dim "kind=ex_poor"), monitored ones by category, and households
    with a 三保障 or water gap, now: one GROUP BY over households.

    Persons are the households' denormalised member_count (kept with the members by the registry's
    services and imports; the registry's export counts persons the same way, registry/exports.py): a
    scan of 2.5 M person rows joined to their households took three times as long as the households'."""
    gaps: dict[str, Any] = {f"gap_{g}": Count("id", filter=GUARANTEE_Q[g]) for g in GUARANTEE_TYPES}
    households = (
        Household.objects.filter(villages_q(villages))
        .annotate(v=_village())
        .values_list("v", "kind", "monitoring_category")
        .annotate(n=Count("id"), persons=Sum("member_count"), gap=Count("id", filter=GUARANTEE_GAP), **gaps)
        .order_by()
    )
    for v, kind, category, n, persons, gap, *per_type in households:
        for code, monitored_code, value in (
            (HOUSEHOLDS, MONITORED_HOUSEHOLDS, n),
            (PERSONS, MONITORED_PERSONS, persons or 0),
        ):
            yield v, code, "", value
            yield v, code, f"kind={kind}", value
            if category:
                yield v, monitored_code, "", value
                yield v, monitored_code, f"category={category}", value
        yield v, GUARANTEE_GAPS, "", gap
        for g, count in zip(GUARANTEE_TYPES, per_type, strict=True):
            yield v, GUARANTEE_GAPS, f"guarantee={g}", count


# --- income -------------------------------------------------------------------------------------------


@producer_register(
    "registry_income", codes=(INCOME_HOUSEHOLDS, INCOME_SUM, INCOME_LINED, INCOME_BELOW), history=False
)
def income_facts(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    """Per village, kind and category: the households with an income of the latest income year, the sum
    of their per-capita net incomes, and how many of them are below the year's line (one GROUP BY)."""
    year = refresh_memo(("latest_income_year", period.year), lambda: latest_income_year(period.year))
    if year is None:
        return
    line = income_line_case(year)
    qs = HouseholdIncome.objects.filter(villages_q(villages, "household__region_code"), year=year).annotate(
        v=_village("household__region_code")
    )
    lined: Any = Value(0)
    below: Any = Value(0)
    if line is not None:
        qs = qs.annotate(line=line)
        lined = Count("id", filter=Q(line__isnull=False))
        below = Count("id", filter=Q(line__isnull=False, net_income_per_capita__lt=F("line")))
    rows = (
        qs.values_list("v", "household__kind", "household__monitoring_category")
        .annotate(n=Count("id"), total=Sum("net_income_per_capita"), lined=lined, below=below)
        .order_by()
    )
    for v, kind, category, n, total, n_lined, n_below in rows:
        for dim in ("", f"kind={kind}", *((MONITORED_DIM,) if category else ())):
            yield v, INCOME_HOUSEHOLDS, dim, n
            yield v, INCOME_SUM, dim, total or Decimal(0)
            yield v, INCOME_LINED, dim, n_lined
            yield v, INCOME_BELOW, dim, n_below


# --- visits -------------------------------------------------------------------------------------------


@producer_register("visits", codes=(VISITS, VISIT_MONITORED, VISITED_MONITORED), history=True)
def visit_facts(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    """Visits recorded in the month, and the monitored households visited at least once in it.

    A past month is recomputed from the visit dates; who is monitored is the registry's present state
    (the household's category), for the numerator and the denominator alike, so that coverage stays a
    share of one set of households. A household counts in the village it belongs to now, a visit in the
    village recorded with it (as the coverage page, visits/selectors.py coverage_for_user)."""
    first, last = period.first_day, period.last_day
    visits = (
        Visit.objects.filter(villages_q(villages), visit_date__gte=first, visit_date__lte=last)
        .annotate(v=_village())
        .values_list("v")
        .annotate(n=Count("id"))
        .order_by()
    )
    for v, n in visits:
        yield v, VISITS, "", n
    visited = Visit.objects.filter(
        household=OuterRef("pk"), visit_date__gte=first, visit_date__lte=last
    ).values("pk")
    monitored = (
        Household.objects.filter(villages_q(villages))
        .filter(MONITORED)
        .annotate(v=_village())
        .values_list("v")
        .annotate(n=Count("id"), seen=Count("id", filter=Q(Exists(visited))))
        .order_by()
    )
    for v, n, seen in monitored:
        yield v, VISIT_MONITORED, "", n
        yield v, VISITED_MONITORED, "", seen


# --- indicators ---------------------------------------------------------------------------------------


def _households(**params: str) -> Drill:
    def drill(region: Region, period: Period) -> str:
        return list_url("registry:household_list", region, **params)

    return drill


def _visits(**params: str) -> Drill:
    """The visit list of the unit for the month (its visit dates)."""

    def drill(region: Region, period: Period) -> str:
        dates = {"date_from": period.first_day.isoformat(), "date_to": period.last_day.isoformat()}
        return list_url("visits:list", region, **dates, **params)

    return drill


_SOURCE = "农户信息库(登记、导入、监测帮扶档案)"
_SNAPSHOT = "月末时点数(当月为刷新时的现状;以往月份为当月末保存的数)"
EX_POOR = c.HouseholdKind.EX_POOR
ORDINARY = c.HouseholdKind.ORDINARY
CATEGORIES = (
    c.MonitoringCategory.UNSTABLE_EX_POOR,
    c.MonitoringCategory.EDGE,
    c.MonitoringCategory.SUDDEN_HARDSHIP,
)


def _registry(
    code: str, name: str, unit: str, numerator: str, dim: str, text: str, drill: Drill, **extra: Any
) -> None:
    indicator_register(
        Indicator(
            code=code,
            name=name,
            group="农户底数",
            unit=unit,
            numerator=numerator,
            dim=dim,
            numerator_text=text,
            period_text=_SNAPSHOT,
            source_text=_SOURCE,
            drill=drill,
            drill_capability=Capability.REGISTRY_VIEW,
            **extra,
        )
    )


# 农户底数 ---------------------------------------------------------------------------------------------------
indicator_register(
    Indicator(
        code="ex_poor_households",
        name="脱贫户",
        group="农户底数",
        unit="户",
        numerator=HOUSEHOLDS,
        dim=f"kind={EX_POOR}",
        numerator_text="户类型为脱贫户的农户数",
        source_text=_SOURCE,
        drill=_households(kind=EX_POOR),
        drill_capability=Capability.REGISTRY_VIEW,
        headline=True,
    )
)
_registry(
    "ex_poor_persons",
    "脱贫人口",
    "人",
    PERSONS,
    f"kind={EX_POOR}",
    "户类型为脱贫户的农户的家庭成员数",
    _households(kind=EX_POOR),
    headline=True,
)
_registry(
    "ordinary_households",
    "一般农户",
    "户",
    HOUSEHOLDS,
    f"kind={ORDINARY}",
    "户类型为一般农户的农户数",
    _households(kind=ORDINARY),
)
_registry(
    "ordinary_persons",
    "一般农户人口",
    "人",
    PERSONS,
    f"kind={ORDINARY}",
    "户类型为一般农户的农户的家庭成员数",
    _households(kind=ORDINARY),
)
_registry(
    "monitored_households",
    "监测对象户数",
    "户",
    MONITORED_HOUSEHOLDS,
    "",
    "监测对象类别不为空的农户数(脱贫不稳定户、边缘易致贫户、突发严重困难户,含脱贫户和一般农户)",
    _households(category=CategoryFilter.MONITORED),
    breakdown="category=",
    breakdown_title="按监测对象类别",
    headline=True,
)
_registry(
    "monitored_persons",
    "监测对象人数",
    "人",
    MONITORED_PERSONS,
    "",
    "监测对象户的家庭成员数",
    _households(category=CategoryFilter.MONITORED),
    breakdown="category=",
    breakdown_title="按监测对象类别",
)
for _category in CATEGORIES:
    _registry(
        f"monitored_households_{_category}",
        f"{_category.label}户数",
        "户",
        MONITORED_HOUSEHOLDS,
        f"category={_category}",
        f"监测对象类别为{_category.label}的农户数",
        _households(category=_category),
    )
    _registry(
        f"monitored_persons_{_category}",
        f"{_category.label}人数",
        "人",
        MONITORED_PERSONS,
        f"category={_category}",
        f"监测对象类别为{_category.label}的农户的家庭成员数",
        _households(category=_category),
    )

# 收入与三保障 -------------------------------------------------------------------------------------------------
_INCOME_SOURCE = "农户信息库·年度收入(人均纯收入,docs/domain.md §2)与收入监测线(监测范围)"
_INCOME_PERIOD = "农户信息库现状,取截至统计月份所在年度已录入收入的最近一个收入年度(全市统一),月末时点数"
for _code, _who, _dim, _params in (
    ("ex_poor", "脱贫户", f"kind={EX_POOR}", {"kind": EX_POOR}),
    ("monitored", "监测对象户", MONITORED_DIM, {"category": CategoryFilter.MONITORED}),
):
    indicator_register(
        Indicator(
            code=f"income_per_capita_{_code}",
            name=f"{_who}人均纯收入",
            group="收入与三保障",
            unit="元",
            numerator=INCOME_SUM,
            dim=_dim,
            denominator=INCOME_HOUSEHOLDS,
            denominator_dim=_dim,
            better="up",
            numerator_text=f"{_who}最近收入年度的人均纯收入之和(元)",
            denominator_text=f"有该年度收入记录的{_who}户数;未录入该年度收入的户不计入平均",
            period_text=_INCOME_PERIOD,
            source_text=_INCOME_SOURCE,
            drill=_households(**_params),
            drill_capability=Capability.REGISTRY_VIEW,
        )
    )
    indicator_register(
        Indicator(
            code=f"income_below_line_{_code}",
            name=f"人均纯收入低于监测线的{_who}",
            group="收入与三保障",
            unit="户",
            numerator=INCOME_BELOW,
            dim=_dim,
            better="down",
            numerator_text=(
                f"最近收入年度人均纯收入低于当年收入监测线的{_who}户数"
                "(监测线按农户所在区划取最具体的一条:县、乡镇的标准优先于全市标准)"
            ),
            period_text=_INCOME_PERIOD,
            source_text=_INCOME_SOURCE,
            drill=_households(**_params, income=IncomeFilter.BELOW_LINE),
            drill_capability=Capability.REGISTRY_VIEW,
        )
    )
    indicator_register(
        Indicator(
            code=f"income_below_line_share_{_code}",
            name=f"{_who}收入低于监测线占比",
            group="收入与三保障",
            unit="%",
            numerator=INCOME_BELOW,
            dim=_dim,
            denominator=INCOME_LINED,
            denominator_dim=_dim,
            better="down",
            numerator_text=f"最近收入年度人均纯收入低于当年收入监测线的{_who}户数",
            denominator_text=(
                f"有该年度收入记录、且所在区划设有该年度监测线的{_who}户数;未录入该年度收入的户不计入"
            ),
            period_text=_INCOME_PERIOD,
            source_text=_INCOME_SOURCE,
            drill=_households(**_params, income=IncomeFilter.BELOW_LINE),
            drill_capability=Capability.REGISTRY_VIEW,
        )
    )

_GUARANTEE_SOURCE = "农户信息库(成员在校、参保情况与住房安全等级由系统判定;饮水安全按登记)"
indicator_register(
    Indicator(
        code="guarantee_gap_households",
        name="三保障及饮水未保障户",
        group="收入与三保障",
        unit="户",
        numerator=GUARANTEE_GAPS,
        better="down",
        numerator_text="义务教育、基本医疗、住房安全任一未保障或饮水不安全的农户数(饮水情况未登记的不计)",
        period_text=_SNAPSHOT,
        source_text=_GUARANTEE_SOURCE,
        drill=_households(guarantee=GuaranteeFilter.ANY),
        drill_capability=Capability.REGISTRY_VIEW,
        breakdown="guarantee=",
        breakdown_title="按未保障事项(一户可有多项)",
    )
)
_GUARANTEE_TEXT = {
    GuaranteeFilter.EDUCATION: "有义务教育阶段失学辍学成员的农户数",
    GuaranteeFilter.MEDICAL: "有成员未参加基本医疗保险的农户数",
    GuaranteeFilter.HOUSING: "住房安全等级为C级或D级(危房)的农户数",
    GuaranteeFilter.WATER: "登记为饮水不安全的农户数(未登记的不计)",
}
for _gap in GUARANTEE_TYPES:
    indicator_register(
        Indicator(
            code=f"guarantee_gap_{_gap}",
            name=f"{_gap.label}户",
            group="收入与三保障",
            unit="户",
            numerator=GUARANTEE_GAPS,
            dim=f"guarantee={_gap}",
            better="down",
            numerator_text=_GUARANTEE_TEXT[_gap],
            period_text=_SNAPSHOT,
            source_text=_GUARANTEE_SOURCE,
            drill=_households(guarantee=_gap),
            drill_capability=Capability.REGISTRY_VIEW,
        )
    )

# 走访排查 -----------------------------------------------------------------------------------------------------
_VISIT_SOURCE = "干部常态排查走访记录"
indicator_register(
    Indicator(
        code="visit_coverage_monitored",
        name="监测对象走访覆盖率",
        group="走访排查",
        unit="%",
        numerator=VISITED_MONITORED,
        denominator=VISIT_MONITORED,
        better="up",
        numerator_text="当月至少走访(入户或电话)一次的监测对象户数",
        denominator_text="监测对象户数(按当前监测对象名单,以往月份也按此名单计算)",
        period_text="统计月份内的走访(年累计也按当月计)",
        source_text=_VISIT_SOURCE,
        drill=_visits(monitored="on"),
        drill_capability=Capability.VISITS_VIEW,
        headline=True,
    )
)
indicator_register(
    Indicator(
        code="visits",
        name="走访次数",
        group="走访排查",
        unit="次",
        numerator=VISITS,
        flow=True,
        numerator_text="走访日期在统计月份内的走访记录条数(按记录的所在村统计)",
        source_text=_VISIT_SOURCE,
        drill=_visits(),
        drill_capability=Capability.VISITS_VIEW,
    )
)

dim_labels_register("kind=", dict(c.HouseholdKind.choices))
dim_labels_register("category=", {k: v for k, v in c.MonitoringCategory.choices if k})
dim_labels_register("guarantee=", {k: v for k, v in GuaranteeFilter.choices if k != GuaranteeFilter.ANY})
