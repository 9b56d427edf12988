"""The indicator catalogue: every figure the dashboard, the map and the bulletin show, with its definition.

An indicator is one fact (reports/models.py), or the ratio of two, read for a region and a month. Its
definition (numerator, denominator, period, source) is shown beside it in the UI, so that a leader knows
what a number counts (docs/domain.md §21). `drill` gives the list behind the number, scoped as that list
is (a leader who opens it sees only what the list shows them).

Indicators register themselves with `indicator_register` from the modules that produce their facts
(reports/producers*.py); the order of registration is the order of the catalogue within a group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from dixian.accounts.capabilities import Capability

from .periods import Period

if TYPE_CHECKING:
    from dixian.regions.models import Region

# Groups in the order the dashboard and the bulletin show them.
GROUPS: tuple[str, ...] = (
    "农户底数",
    "三线预警",
    "识别认定",
    "帮扶",
    "风险消除",
    "收入与三保障",
    "疑点核查",
    "走访排查",
    "部门数据报送",
    "规则成效",
    "衔接资金与项目",
    "就业监测",
    "易地搬迁",
)

# (region, period) -> URL of the list behind the number, or None when no list shows it. The lists take the
# region as `region=<pk>` (one id: the deepest unit of their cascading picker, common/filters.py), which
# works for any account whose subtree holds the unit and is ignored with a notice for any other.
Drill = Callable[["Region", Period], str | None]


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    group: str
    unit: str  # 户 / 人 / 条 / 个 / % / 元
    numerator: str  # fact code; the total (dim "") unless `dim` says otherwise
    # With a denominator the figure is numerator / denominator (times 100 when unit is %).
    denominator: str | None = None
    dim: str = ""
    denominator_dim: str = ""
    # A flow adds up over months (年累计 = January to the month); a stock is read at the month's end.
    flow: bool = False
    # Which way is better, for rankings and colours: "up", "down", or "" (neither: a count of the registry).
    better: Literal["up", "down", ""] = ""
    # The definition shown in the UI.
    numerator_text: str = ""
    denominator_text: str = ""
    period_text: str = ""
    source_text: str = ""
    drill: Drill | None = field(default=None, compare=False)
    # The capability the list behind the number needs: the link is shown only to accounts holding it, so a
    # figure never leads an account to persons it could not open (the list would refuse it anyway).
    drill_capability: Capability | None = None
    # A breakdown table of the same figure by a dimension: the dim prefix ("risk=") and its title.
    breakdown: str = ""
    breakdown_title: str = ""
    # Shown among the headline numbers of the dashboard.
    headline: bool = False
    # Decimal places of a percentage (1: 95.5 %); the employment ratio to its base year is read to 2 (100.03 %).
    places: int = 1

    @property
    def is_ratio(self) -> bool:
        return self.denominator is not None

    @property
    def is_percent(self) -> bool:
        return self.unit == "%"

    @property
    def period_kind(self) -> str:
        return self.period_text or ("当月发生数(年累计为1月至当月)" if self.flow else "月末时点数")

    def fact_codes(self) -> tuple[str, ...]:
        return (self.numerator,) + ((self.denominator,) if self.denominator else ())


INDICATORS: dict[str, Indicator] = {}


def indicator_register(indicator: Indicator) -> Indicator:
    if indicator.group not in GROUPS:
        raise ValueError(f"unknown indicator group {indicator.group!r}")
    if indicator.code in INDICATORS and INDICATORS[indicator.code] != indicator:
        raise ValueError(f"indicator {indicator.code!r} registered twice")
    INDICATORS[indicator.code] = indicator
    return indicator


def indicators_in_order() -> list[Indicator]:
    order = {g: i for i, g in enumerate(GROUPS)}
    return sorted(INDICATORS.values(), key=lambda ind: order[ind.group])  # stable: registration order


def headline_indicators() -> list[Indicator]:
    return [ind for ind in indicators_in_order() if ind.headline]


def indicator_get(code: str) -> Indicator | None:
    return INDICATORS.get(code)


def drill_url(
    indicator: Indicator, region: Region, period: Period, user: Any, mode: str = "month"
) -> str | None:
    """The list behind `indicator` for `user`, or None when there is none, the account may not open it, or
    no list shows what the number counts: the lists filter one month (a 年累计 flow spans several) and show
    the present (a stock of a past month is not what they list)."""
    from dixian.accounts.capabilities import user_can

    if indicator.drill is None:
        return None
    if indicator.drill_capability is not None and not user_can(user, indicator.drill_capability):
        return None
    if indicator.flow and mode == "ytd":
        return None
    if not indicator.flow and period != Period.current():
        return None
    return indicator.drill(region, period)


# Names of breakdown values, by dim prefix ("risk=" -> {"R01": "因病"}): producers register theirs, so that
# a breakdown table reads 帮扶消除, not "assisted".
DIM_LABELS: dict[str, dict[str, str]] = {}


def dim_labels_register(prefix: str, labels: dict[str, str]) -> None:
    DIM_LABELS.setdefault(prefix, {}).update(labels)


def dim_label(prefix: str, value: str) -> str:
    """The name of a breakdown value (the value itself when nobody named it)."""
    return DIM_LABELS.get(prefix, {}).get(value, value)


def list_url(name: str, region: Region, **params: str) -> str:
    """The URL of a list page filtered to `region` (and `params`), for an indicator's `drill`."""
    from urllib.parse import urlencode

    from django.urls import reverse

    return f"{reverse(name)}?{urlencode({'region': region.pk, **params})}"
