"""Monitoring facts: identification, assistance, risk elimination and 疑点核查 by village and month
(docs/domain.md §20, §21).

Every figure here can be computed for a past month (`history=True`):
- Flows are read from the dates the case keeps of its decisions, each the day of its transition
  (docs/domain.md §20): `identified_on` (县级审定, or the 识别时间 of an imported household), `decided_on`
  (县级审定 or 不予纳入), `eliminated_on` with `elimination_method`.
- Stocks are read "as at the month's end" (today in the current month) from the append-only transition
  log: a case's state on a day is the state its last transition dated on or before that day moved it to.
  Joined clues and 回头看 leave the state as it was and are passed over (their dates need not follow the
  steps'). The log keeps what a case's own fields forget: an elimination proposed and then rejected.
- A helper counts on a day when its pairing (registry.HelperAssignment) has started and not ended, as
  docs/domain.md §20 counts pairings. A development measure counts from its 落实 day (`applied_on`) while it
  is applied or finished; a measure cancelled afterwards counts up to the day it was cancelled, which is
  the last change of its row (a cancelled measure is edited no more: monitoring/assistance.py).
- Findings are open from the run that found them to the run that resolved them (docs/domain.md §20.1);
  a finding that comes back is a new row, so the past stays as it was.

Cases are counted where the household lives now: a household that moved took its cases and findings to
its new village (docs/domain.md §20), and its past months move with it when they are refreshed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Substr
from django.utils import timezone

from dixian.accounts.capabilities import Capability
from dixian.domain import lifecycle as lc
from dixian.monitoring.consistency import RULES as CONSISTENCY_RULES
from dixian.monitoring.models import CaseTransition, ConsistencyFinding, Measure, MonitoringCase
from dixian.registry.models import HelperAssignment

from .catalogue import Drill, Indicator, dim_labels_register, indicator_register, list_url
from .periods import Period
from .producers import Row, producer_register, villages_q

if TYPE_CHECKING:
    from dixian.regions.models import Region

# Flows (cases.py fields, docs/domain.md §20).
IDENTIFIED = "cases.identified"
DECIDED = "cases.decided"  # county approval or 不予纳入, imported households left out (no clock)
DECIDED_IN_TIME = "cases.decided_in_time"  # of which decided_on <= due_on
REFUSED = "cases.refused"
ELIMINATED = "cases.eliminated"
# Stocks at the month's end (the transition log).
IDENTIFYING = "cases.identifying"
OVERDUE = "cases.overdue"
MONITORED = "cases.monitored"
MONITORED_WITH_HELPER = "cases.monitored_with_helper"
MONITORED_WITH_DEVELOPMENT = "cases.monitored_with_development"
ASSISTING = "cases.assisting"  # 公告 or 监测帮扶中: no elimination under way
ELIMINATION_PENDING = "cases.elimination_pending"  # a step of the elimination procedure
# Findings (docs/domain.md §20.1).
FINDINGS_OPEN = "findings.open"
FINDINGS_CLEARED = "findings.cleared"

FLOW_CODES = (IDENTIFIED, DECIDED, DECIDED_IN_TIME, REFUSED, ELIMINATED)
STOCK_CODES = (
    IDENTIFYING,
    OVERDUE,
    MONITORED,
    MONITORED_WITH_HELPER,
    MONITORED_WITH_DEVELOPMENT,
    ASSISTING,
    ELIMINATION_PENDING,
)
FINDING_CODES = (FINDINGS_OPEN, FINDINGS_CLEARED)

# Transitions that leave the state as it was: a joined clue (dated as entered) and 回头看.
SAME_STATE_ACTIONS = (CaseTransition.Action.JOIN, CaseTransition.Action.FOLLOW_UP)
ASSISTING_STATES = frozenset({lc.ANNOUNCEMENT, lc.MONITORING})


def as_of(period: Period, today: dt.date | None = None) -> dt.date | None:
    """The day a stock of `period` is read at: its last day, today in the current month; None for a
    month still to come (nothing to count)."""
    today = today or timezone.localdate()
    if period.first_day > today:
        return None
    return min(period.last_day, today)


def _day_end(day: dt.date) -> dt.datetime:
    """The first instant after `day` in the platform's time zone (a timestamp is on or before `day` when
    it is earlier than this)."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


VILLAGE = Substr("region_code", 1, 12)


@producer_register("monitoring_flows", codes=FLOW_CODES)
def monitoring_flows(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    """Households identified, decided (within the limit), refused and eliminated (by method) in the month:
    one scan of the cases with a decision dated in it."""
    first, last = period.first_day, period.last_day
    identified = Q(identified_on__gte=first, identified_on__lte=last)
    decided = Q(decided_on__gte=first, decided_on__lte=last) & ~Q(origin=MonitoringCase.Origin.IMPORT)
    eliminated = Q(eliminated_on__gte=first, eliminated_on__lte=last, state=lc.ELIMINATED)
    rows = (
        MonitoringCase.objects.filter(villages_q(villages))
        .filter(identified | decided | eliminated)
        .annotate(v=VILLAGE)
        .order_by()
        .values_list("v", "category", "elimination_method")
        .annotate(
            identified=Count("id", filter=identified),
            decided=Count("id", filter=decided),
            # docs/domain.md §20 "Timeliness": within the limit when decided_on <= due_on (deadlines.py).
            in_time=Count("id", filter=decided & Q(decided_on__lte=F("due_on"))),
            refused=Count("id", filter=decided & Q(state=lc.REFUSED)),
            eliminated=Count("id", filter=eliminated),
        )
    )
    for v, category, method, n_identified, n_decided, n_in_time, n_refused, n_eliminated in rows:
        if n_identified:
            yield v, IDENTIFIED, "", n_identified
            if category:
                yield v, IDENTIFIED, f"category={category}", n_identified
        yield v, DECIDED, "", n_decided
        yield v, DECIDED_IN_TIME, "", n_in_time
        yield v, REFUSED, "", n_refused
        if n_eliminated:
            yield v, ELIMINATED, "", n_eliminated
            yield v, ELIMINATED, f"method={method}", n_eliminated


def state_on(day: dt.date) -> Subquery:
    """A case's state at the end of `day`, from its transition log (None: not opened yet)."""
    return Subquery(
        CaseTransition.objects.filter(case=OuterRef("pk"), on__lte=day)
        .exclude(action__in=SAME_STATE_ACTIONS)
        .order_by("-seq")
        .values("to_state")[:1]
    )


def stock_query(day: dt.date, villages: Sequence[str] | None) -> QuerySet[MonitoringCase, tuple[Any, ...]]:
    """(village, state at the end of `day`, category, past its limit, has a helper, has a development
    measure, count) over the cases not closed by then."""
    end = _day_end(day)
    helper = HelperAssignment.objects.filter(household=OuterRef("household_id"), start_date__lte=day).exclude(
        end_date__lte=day
    )
    development = Measure.objects.filter(
        case=OuterRef("pk"), category__in=lc.DEVELOPMENT_CATEGORIES, applied_on__lte=day
    ).filter(Q(status__in=Measure.APPLIED_STATUSES) | Q(status=Measure.Status.CANCELLED, updated_at__gte=end))
    return (
        MonitoringCase.objects.filter(villages_q(villages))
        # Closed by then (closed states are final): nothing to read from their log.
        .exclude(eliminated_on__lte=day)
        .exclude(state=lc.REFUSED, decided_on__lte=day)
        .annotate(
            v=VILLAGE,
            at=state_on(day),
            late=Case(
                When(due_on__lt=day, then=Value(True)), default=Value(False), output_field=BooleanField()
            ),
            helper=Exists(helper),
            development=Exists(development),
        )
        .order_by()
        .values_list("v", "at", "category", "late", "helper", "development")
        .annotate(n=Count("id"))
    )


def _jit_off() -> None:
    """PostgreSQL compiles a query whose estimated cost is high (three correlated lookups per case) before
    running it: at city scale (40,000 monitored cases) that took 1.7 s of the query's 2.5 s, for 0.5 s of
    work. Off for the rest of the refresh's transaction (SET LOCAL; outside one it would do nothing)."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


@producer_register("monitoring_stocks", codes=STOCK_CODES)
def monitoring_stocks(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    """Cases being identified (overdue among them), monitored (with a helper, with a development measure),
    under assistance and with an elimination under way, at the month's end: one grouped query over the
    cases not closed by then, each read at that day from its transition log."""
    day = as_of(period)
    if day is None:
        return
    _jit_off()
    rows = stock_query(day, villages)
    sums: dict[tuple[str, str, str], int] = defaultdict(int)
    for v, at, category, late, has_helper, has_development, n in rows:
        if at in lc.IDENTIFYING:
            sums[v, IDENTIFYING, ""] += n
            if late:  # past its limit and still undecided (the queue's red, docs/domain.md §20)
                sums[v, OVERDUE, ""] += n
        elif at in lc.MONITORED_STATES:
            sums[v, MONITORED, ""] += n
            if category:
                sums[v, MONITORED, f"category={category}"] += n
            if has_helper:
                sums[v, MONITORED_WITH_HELPER, ""] += n
            if has_development:
                sums[v, MONITORED_WITH_DEVELOPMENT, ""] += n
            sums[v, ASSISTING if at in ASSISTING_STATES else ELIMINATION_PENDING, ""] += n
    for (v, code, dim), n in sums.items():
        yield v, code, dim, n


@producer_register("consistency_findings", codes=FINDING_CODES)
def consistency_findings(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    """Findings open at the month's end and cleared (resolved) in the month, by rule (dim "rule=...")."""
    day = as_of(period)
    if day is None:
        return
    end = _day_end(day)
    open_q = Q(first_seen_at__lt=end) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
    cleared_q = Q(resolved_at__gte=period.start(), resolved_at__lt=period.end())
    rows = (
        ConsistencyFinding.objects.filter(villages_q(villages))
        .filter(open_q | cleared_q)
        .annotate(v=VILLAGE)
        .order_by()
        .values_list("v", "code")
        .annotate(open=Count("id", filter=open_q), cleared=Count("id", filter=cleared_q))
    )
    for v, rule, n_open, n_cleared in rows:
        for code, n in ((FINDINGS_OPEN, n_open), (FINDINGS_CLEARED, n_cleared)):
            if n:
                yield v, code, "", n
                yield v, code, f"rule={rule}", n


# --- drill-down ----------------------------------------------------------------------------------------
# The case queue (monitoring:case_queue) filtered to the unit: a flow to the cases decided in the month
# (its month filters), a stock to the cases in that state now. The queue shows the present, so a stock of a
# past month has no list behind it (it would show today's cases under last month's number).


def _case_queue(*, stock: bool = False, month: str = "", **params: str) -> Drill:
    def drill(region: Region, period: Period) -> str | None:
        if stock and not period.is_current():
            return None
        return list_url("monitoring:case_queue", region, **params, **({month: str(period)} if month else {}))

    return drill


def _findings(region: Region, period: Period) -> str | None:
    """疑点核查 lists the findings open now: behind the current month's open findings only."""
    return list_url("monitoring:consistency", region) if period.is_current() else None


_CASES = "监测帮扶档案(各环节办理记录)"
_FINDINGS = "疑点核查(每晚自动比对)"
_AT_MONTH_END = "月末时点数(当月为今天),按办理记录推算"


def _register(**kwargs: Any) -> None:
    kwargs.setdefault("source_text", _CASES)
    kwargs.setdefault("drill_capability", Capability.CASES_VIEW)
    indicator_register(Indicator(**kwargs))


_register(
    code="cases_identified",
    name="新识别纳入监测户",
    group="识别认定",
    unit="户",
    numerator=IDENTIFIED,
    flow=True,
    numerator_text="县级审定纳入监测(识别时间)在当月的户数,含从全国系统导入的已识别户",
    drill=_case_queue(state="all", month="identified"),
    breakdown="category=",
    breakdown_title="按监测对象类别",
    headline=True,
)
_register(
    code="identification_in_time_rate",
    name="识别认定按时办结率",
    group="识别认定",
    unit="%",
    numerator=DECIDED_IN_TIME,
    denominator=DECIDED,
    flow=True,
    better="up",
    numerator_text="当月办结(县级审定纳入或不予纳入)且不晚于认定期限的档案数",
    denominator_text="当月办结的档案数(导入的已识别户无认定时限,不计)",
    drill=_case_queue(state="all", month="decided"),
    headline=True,
)
_register(
    code="cases_identifying",
    name="认定中户数",
    group="识别认定",
    unit="户",
    numerator=IDENTIFYING,
    numerator_text="处于入户核实至县级审定各环节、尚未办结认定的档案数",
    period_text=_AT_MONTH_END,
    drill=_case_queue(stock=True, state="identifying"),
)
_register(
    code="cases_overdue",
    name="超期未认定户数",
    group="识别认定",
    unit="户",
    numerator=OVERDUE,
    better="down",
    numerator_text="认定中且已超过认定期限(自首次发现线索起,一般15天)的档案数",
    period_text=_AT_MONTH_END,
    drill=_case_queue(stock=True, state="identifying", deadline=lc.RED),
    headline=True,
)
_register(
    code="cases_refused",
    name="不予纳入户数",
    group="识别认定",
    unit="户",
    numerator=REFUSED,
    flow=True,
    numerator_text="当月作不予纳入处理的档案数",
    drill=_case_queue(state=lc.REFUSED, month="decided"),
)
_register(
    code="monitored_households_assisted",
    name="监测帮扶中的监测户",
    group="帮扶",
    unit="户",
    numerator=MONITORED,
    numerator_text="已县级审定纳入监测、风险尚未审定消除的户数(含风险消除程序中的户)",
    period_text=_AT_MONTH_END,
    drill=_case_queue(stock=True, state="monitored"),
    breakdown="category=",
    breakdown_title="按监测对象类别",
)
_register(
    code="monitored_with_helper_rate",
    name="落实帮扶联系人的监测户占比",
    group="帮扶",
    unit="%",
    numerator=MONITORED_WITH_HELPER,
    denominator=MONITORED,
    better="up",
    numerator_text="月末有在岗帮扶联系人(结对帮扶已开始、未结束)的监测户数",
    denominator_text="月末监测帮扶中的监测户数",
    period_text=_AT_MONTH_END,
    drill=_case_queue(stock=True, state="monitored"),
)
_register(
    code="monitored_with_development_rate",
    name="有开发式帮扶措施的监测户占比",
    group="帮扶",
    unit="%",
    numerator=MONITORED_WITH_DEVELOPMENT,
    denominator=MONITORED,
    better="up",
    numerator_text="月末至少有一项已落实的开发式措施(产业、就业、金融、公益岗位、其他教育)的监测户数",
    denominator_text="月末监测帮扶中的监测户数",
    period_text=_AT_MONTH_END,
    drill=_case_queue(stock=True, state="monitored"),
)
_register(
    code="risk_eliminated",
    name="风险消除户数",
    group="风险消除",
    unit="户",
    numerator=ELIMINATED,
    flow=True,
    numerator_text="当月县级审定风险消除的户数(帮扶消除、自然消除)",
    drill=_case_queue(state=lc.ELIMINATED, month="eliminated"),
    breakdown="method=",
    breakdown_title="按消除方式",
    headline=True,
)
_register(
    code="elimination_pending",
    name="风险消除审核中户数",
    group="风险消除",
    unit="户",
    numerator=ELIMINATION_PENDING,
    numerator_text="已提出风险消除、尚未县级审定的户数(入户核实至县级审定各环节)",
    period_text=_AT_MONTH_END,
    drill=_case_queue(stock=True, state="eliminating"),
)
_register(
    code="risk_not_eliminated",
    name="风险未消除、继续帮扶户数",
    group="风险消除",
    unit="户",
    numerator=ASSISTING,
    numerator_text="监测帮扶中、尚未提出风险消除的监测户数",
    period_text=_AT_MONTH_END,
    drill=_case_queue(stock=True, state="monitoring"),
)
_register(
    code="findings_open",
    name="未整改疑点",
    group="疑点核查",
    unit="条",
    numerator=FINDINGS_OPEN,
    better="down",
    numerator_text="月末仍未消除的疑点(每户每条规则一条)",
    period_text="月末时点数(当月为最近一次核查)",
    source_text=_FINDINGS,
    drill=_findings,
    breakdown="rule=",
    breakdown_title="按核查规则",
)
_register(
    code="findings_cleared",
    name="当月整改疑点",
    group="疑点核查",
    unit="条",
    numerator=FINDINGS_CLEARED,
    flow=True,
    better="up",
    numerator_text="当月核查时已不再成立(数据已改正)的疑点",
    source_text=_FINDINGS,
    breakdown="rule=",
    breakdown_title="按核查规则",
)

dim_labels_register("method=", dict(lc.ELIMINATION_METHODS))
dim_labels_register("rule=", dict(CONSISTENCY_RULES))
