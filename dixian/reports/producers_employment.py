"""Employment figures on the leaders' dashboard and in the monthly bulletin (docs/domain.md §21 "Employment
figures", §23 "Figures"): the same counts as the employment figures page (`dixian.employment.figures`, one
definition), as facts of every unit.

- `employment` (history, summed up from villages): the month's survey records, the workers employed (by
  place tier and channel) and the employed of the same month of the base year (`policy_for(month)`), each at
  the village where the record was made. A past month is recomputed from the dated records.
- `employment_roll` (no history, summed up from villages): the labour roll read from the registry, which is
  the present's: a past month keeps the roll written while it was current (the month-end snapshot).
- `employment_falling` (history, not summed up: a township's fall is not the sum of its villages'): for each
  township 1 when its employed count fell from the previous month, added to itself, its county and the city.
  A few grouped counts over the whole city, so a refresh of a few changed villages recomputes it whole.

The survey's writers send `survey_changed`; reports/triggers.py marks the villages and months it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from dixian.accounts.capabilities import Capability
from dixian.domain import employment as e
from dixian.employment.figures import Figures, Months, figures_by_prefix, roll_by_prefix
from dixian.employment.roll import policy_for

from .catalogue import Drill, Indicator, dim_labels_register, indicator_register
from .periods import Period
from .producers import Row, ancestors_of, level_of, producer_register, refresh_memo

if TYPE_CHECKING:
    from dixian.regions.models import Region

GROUP = "就业监测"

EMPLOYED = "employment.employed"  # dims "", "tier=in_county" …, "channel=self" …
BASE_EMPLOYED = "employment.base_employed"  # the same month of the base year, at the village it was recorded
RECORDS = "employment.records"
ROLL = "employment.roll"
FALLING = "employment.falling_townships"

RECORD_CODES = (EMPLOYED, BASE_EMPLOYED, RECORDS)


def _by_key(period: Period, prefix: str, key_length: int, *, roll: bool) -> dict[str, Figures]:
    month = period.first_day
    policy = policy_for(month)

    def compute() -> dict[str, Figures]:
        return figures_by_prefix(Months.of(month, policy), prefix, key_length, policy=policy, with_roll=roll)

    return refresh_memo(("employment", str(period), prefix, key_length, roll), compute)


def _villages(villages: Sequence[str] | None) -> list[str]:
    """The prefixes to count: every village one by one when the refresh names them, else the whole city."""
    return list(villages) if villages is not None else [""]


@producer_register("employment", codes=RECORD_CODES)
def employment_facts(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    """Survey records, employed (by tier and channel) and the base month's employed, per village."""
    for prefix in _villages(villages):
        for code, f in _by_key(period, prefix, 12, roll=False).items():
            if level_of(code) != "village":
                continue  # a record coded above a village is counted on the figures page (本级), not here
            yield code, RECORDS, "", f.month.records
            yield code, EMPLOYED, "", f.month.employed
            for tier, n in f.month.by_tier.items():
                yield code, EMPLOYED, f"tier={tier}", n
            for channel, n in f.month.by_channel.items():
                yield code, EMPLOYED, f"channel={channel}", n
            yield code, BASE_EMPLOYED, "", f.base.employed


@producer_register("employment_roll", codes=(ROLL,), history=False)
def employment_roll_facts(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    """The labour roll of the month per village (the registry's present: no history)."""
    month = period.first_day
    policy = policy_for(month)
    for prefix in _villages(villages):
        for code, n in roll_by_prefix(month, prefix, 12, policy=policy).items():
            if level_of(code) == "village":
                yield code, ROLL, "", n


@producer_register("employment_falling", codes=(FALLING,), rollup=False, whole_on_change=True)
def employment_falling_facts(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    """Townships whose employed count fell from the previous month: 1 per township, added up the tree (every
    township and unit above it with records gets a row, 0 when none fell)."""
    units: dict[str, int] = {}
    for key, f in _by_key(period, "", 9, roll=False).items():
        if key[6:9] == "000":
            continue  # a record coded at a county or the city is no township's
        township = key.ljust(12, "0")
        fell = int(f.month.employed < f.previous_month.employed)
        for unit in (township, *ancestors_of(township)):
            units[unit] = units.get(unit, 0) + fell
    for unit, n in units.items():
        yield unit, FALLING, "", n


dim_labels_register("tier=", {str(v.code): v.label for v in e.PLACE_TIER.values})
dim_labels_register("channel=", {str(v.code): v.label for v in e.CHANNEL.values})


# --- indicators ------------------------------------------------------------------------------------------


def _figures_page(region: Region, period: Period) -> str | None:
    """The employment figures page of the unit and month (its own drill-down to units and townships)."""
    from urllib.parse import urlencode

    from django.urls import reverse

    return f"{reverse('employment:figures')}?{urlencode({'region': region.code, 'month': str(period)})}"


DRILL: Drill = _figures_page


def _register(**kwargs: object) -> None:
    kwargs.setdefault("group", GROUP)
    kwargs.setdefault("period_text", "当月摸排(月度时点数)")
    kwargs.setdefault("source_text", "就业信息摸排(村级每月录入或表格导入)")
    kwargs.setdefault("drill", DRILL)
    kwargs.setdefault("drill_capability", Capability.EMPLOYMENT_VIEW)
    indicator_register(Indicator(**kwargs))  # type: ignore[arg-type]  # keyword arguments of Indicator


_register(
    code="employment_employed",
    name="脱贫和监测劳动力务工就业人数",
    unit="人",
    numerator=EMPLOYED,
    better="up",
    numerator_text="当月摸排记录为务工就业的脱贫劳动力和监测劳动力人数(计在记录时所在村)",
    breakdown="tier=",
    breakdown_title="按务工地域",
)
_register(
    code="employment_base_ratio",
    name="较基准年同期",
    unit="%",
    numerator=EMPLOYED,
    denominator=BASE_EMPLOYED,
    better="up",
    numerator_text="当月务工就业人数",
    denominator_text="比较基准年(默认2022年,可设定)同月的务工就业人数;不得低于100%",
    places=2,
)
_register(
    code="employment_coverage",
    name="摸排覆盖率",
    unit="%",
    numerator=RECORDS,
    denominator=ROLL,
    better="up",
    numerator_text="当月已摸排的劳动力人数(每人每月一条记录)",
    denominator_text="当月末劳动力名册人数(脱贫户或监测户中劳动年龄内、有劳动能力、不在校的成员)",
    source_text="就业信息摸排;劳动力名册取自农户和人口信息(历史月份为当月末的快照)",
)
_register(
    code="employment_falling_townships",
    name="就业人数下降乡镇数",
    unit="个",
    numerator=FALLING,
    better="down",
    numerator_text="务工就业人数低于上月的乡镇个数(列入月度调度)",
)
_register(
    code="employment_public_post",
    name="公益性岗位安置就业人数",
    unit="人",
    numerator=EMPLOYED,
    dim=f"channel={e.PUBLIC_POST}",
    numerator_text="当月务工就业人员中就业渠道为公益性岗位的人数",
)
_register(
    code="employment_roll",
    name="劳动力名册人数",
    unit="人",
    numerator=ROLL,
    numerator_text="脱贫户和监测户中劳动年龄内、有劳动能力、不在校的成员(取自农户和人口信息,不需录入)",
    period_text="月末时点数(历史月份为当月末的快照)",
    source_text="农户和人口信息",
)

# The figures the bulletin's employment paragraph tells (reports/bulletin.py), in its order.
BULLETIN_CODES = (
    "employment_employed",
    "employment_base_ratio",
    "employment_coverage",
    "employment_falling_townships",
)
