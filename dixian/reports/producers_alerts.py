"""Alert facts (三线预警), each rule's yield (规则成效) and department deliveries on time (部门数据报送).

docs/domain.md §4 (the three lines), §5 (verification time limits) and §21 (facts). Every figure here is
computed from dated records, so past months can be recomputed (`history=True`):

- an alert is *raised* at `raised_at` and *closed* (认定纳入 or 核实排除) at `closed_at`;
- its village *verification* ends when it leaves 待核实/核实中: taken into a monitoring case (拟纳入, or joined
  straight to a case already monitored) or ruled out. That moment is the audit row of the status change
  (common.ChangeLog, written by every path that changes an alert's status), else `closed_at`;
- a stock (open, overdue) at a month's end follows from those dates.

Every query is a GROUP BY per village (a year of alerts at city scale is hundreds of thousands of alerts
and about a million pieces of evidence): Python sees one row per village and group, except for the alerts
whose verification ended in the month, whose dates are compared in Python (one month's worth).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from dixian.accounts.capabilities import Capability
from dixian.cases.models import Alert, AlertEvidence
from dixian.common.models import ChangeLog
from dixian.domain import catalogue, risks
from dixian.feeds.models import FeedDelivery
from dixian.screening.models import RuleVersion

from .catalogue import Drill, Indicator, dim_labels_register, indicator_register, list_url
from .periods import Period
from .producers import Row, ancestors_of, producer_register, villages_q

if TYPE_CHECKING:
    from dixian.regions.models import Region

# --- fact codes ---------------------------------------------------------------------------------------
RAISED = "alerts.raised"  # flow; dims channel= / feed= / risk= / grade=
VERIFIED = "alerts.verified"  # flow; dims outcome=proposed / outcome=dismissed
VERIFIED_ON_TIME = "alerts.verified_on_time"  # flow
CLOSED = "alerts.closed"  # flow; dims outcome=confirmed / outcome=dismissed
OPEN = "alerts.open"  # stock at the month's end; dims grade=
OVERDUE = "alerts.overdue"  # stock at the month's end

YIELD_RAISED = "yield.raised"  # flow; dims rule=R03@v2|feed=medical
YIELD_RULED_OUT = "yield.ruled_out"
YIELD_IDENTIFIED = "yield.identified"

FEEDS_RECEIVED = "feeds.received"  # flow by data period; dims feed=
FEEDS_ON_TIME = "feeds.on_time"
FEEDS_REJECTED = "feeds.rejected"

TO_VERIFY = [str(s) for s in Alert.TO_VERIFY_STATUSES]
# What a verification ends in: taken into a case (拟纳入, or 已纳入 when the household's case already
# monitors it) or ruled out.
VERIFIED_STATUSES = [str(Alert.Status.PROPOSED), str(Alert.Status.CONFIRMED), str(Alert.Status.DISMISSED)]
IDENTIFIED_STATUSES = [str(Alert.Status.PROPOSED), str(Alert.Status.CONFIRMED)]


def _in_month(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start(), f"{field}__lt": period.end()})


def leaving_to_verify() -> QuerySet[ChangeLog]:
    """The audited status changes of alerts from 待核实/核实中 to 拟纳入, 已纳入 or 排除 (cases.services and
    monitoring.services record each one). An alert leaves those states once: there is no way back."""
    return ChangeLog.objects.filter(
        entity="alert",
        changes__status__0__in=TO_VERIFY,
        changes__status__1__in=VERIFIED_STATUSES,
    )


LOOKUP_BATCH = 5_000  # ids per IN list (SQLite's limit on parameters is far above it)


def _first_left(alert_ids: Sequence[int]) -> dict[int, dt.datetime]:
    """{alert id: when it left 待核实/核实中} for the alerts that have such an audit row. Looked up by the ids
    themselves: a subquery here leads the planner to read every alert row of the log."""
    found: dict[int, dt.datetime] = {}
    for i in range(0, len(alert_ids), LOOKUP_BATCH):
        rows = leaving_to_verify().filter(entity_id__in=alert_ids[i : i + LOOKUP_BATCH])
        for pk, when in rows.values_list("entity_id", "at").order_by():
            found[pk] = min(when, found.get(pk, when))
    return found


def _as_of(period: Period) -> tuple[dt.datetime, dt.date]:
    """The instant a month-end stock is read at, and the first day whose deadline has not passed then:
    the month's end for a past month, now for the current one (docs/domain.md §21)."""
    if period >= Period.current():
        return timezone.now(), timezone.localdate()
    return period.end(), period.next().first_day


# --- 三线预警 -------------------------------------------------------------------------------------------


@producer_register("alerts", codes=(RAISED, VERIFIED, VERIFIED_ON_TIME, CLOSED, OPEN, OVERDUE))
def alert_facts(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    village = Substr("region_code", 1, 12)
    alerts = Alert.objects.filter(villages_q(villages))

    # Raised in the month: by channel (an alert found by several lines counts once per line), risk, grade.
    raised = (
        alerts.filter(_in_month("raised_at", period))
        .annotate(v=village)
        .values_list("v", "channels", "risk_code", "grade")
        .annotate(n=Count("id"))
        .order_by()
    )
    for v, channels, risk, grade, n in raised:
        yield v, RAISED, "", n
        for channel in dict.fromkeys(channels or []):
            yield v, RAISED, f"channel={channel}", n
        yield v, RAISED, f"risk={risk}", n
        yield v, RAISED, f"grade={grade}", n
    # By feed: the department data behind the alert's evidence (an alert on two feeds counts for each).
    by_feed = (
        AlertEvidence.objects.filter(
            villages_q(villages, "alert__region_code"), _in_month("alert__raised_at", period)
        )
        .exclude(feed="")
        .annotate(v=Substr("alert__region_code", 1, 12))
        .values_list("v", "feed")
        .annotate(n=Count("alert_id", distinct=True))
        .order_by()
    )
    for v, feed, n in by_feed:
        yield v, RAISED, f"feed={feed}", n

    # Verification ended in the month, and whether by the alert's own 核实期限: read from the month's audit
    # rows (an index range on their time), then the alerts they name (one month's worth, compared here).
    events: dict[int, tuple[dt.datetime, str]] = {}
    logged = leaving_to_verify().filter(_in_month("at", period))
    if villages is not None:
        # A refresh of a few villages reads their alerts' audit rows only, not the city's month of them.
        logged = logged.filter(entity_id__in=list(alerts.values_list("pk", flat=True)))
    for pk, when, new in logged.values_list("entity_id", "at", "changes__status__1").order_by():
        if pk not in events or when < events[pk][0]:
            events[pk] = (when, str(new))
    verified = (
        alerts.filter(pk__in=logged.values("entity_id"))
        .annotate(v=village)
        .values_list("pk", "v", "due_date")
    )
    ended = [(v, due, *events[pk]) for pk, v, due in verified]
    # An alert written without an audit row (a bulk load) counts from its closing. Only the month's closed
    # alerts that left 待核实 in no audit row of the month are looked up (by their ids, on the log's index).
    closed_in_month = (
        alerts.filter(_in_month("closed_at", period))
        .annotate(v=village)
        .values_list("pk", "v", "due_date", "closed_at", "status")
    )
    others = [row for row in closed_in_month if row[0] not in events]
    audited = _first_left([row[0] for row in others])
    unlogged = [
        (v, due, closed_at, status)
        for pk, v, due, closed_at, status in others
        if pk not in audited and closed_at is not None  # closed in the month: never None
    ]
    for v, due, when, new in [*ended, *unlogged]:
        # Ruled out at verification, not later with its case's 不予纳入 (then it was proposed first).
        outcome = "dismissed" if new == Alert.Status.DISMISSED else "proposed"
        yield v, VERIFIED, "", 1
        yield v, VERIFIED, f"outcome={outcome}", 1
        if timezone.localtime(when).date() <= due:
            yield v, VERIFIED_ON_TIME, "", 1

    # Closed in the month: 认定纳入监测 or 核实排除 (a refused case's alerts included).
    closed = (
        alerts.filter(_in_month("closed_at", period))
        .annotate(v=village)
        .values_list("v", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for v, status, n in closed:
        yield v, CLOSED, "", n
        yield v, CLOSED, f"outcome={status}", n

    # Open at the month's end (now, for the current month).
    at, today = _as_of(period)
    still_open = (
        alerts.filter(raised_at__lt=at)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=at))
        .annotate(v=village)
        .values_list("v", "grade")
        .annotate(n=Count("id"))
        .order_by()
    )
    for v, grade, n in still_open:
        yield v, OPEN, "", n
        yield v, OPEN, f"grade={grade}", n
    # Overdue at the month's end: still to verify then, its 核实期限 passed. An alert still to verify now
    # was to verify then (a GROUP BY); so was one that left those states after `at`: in flight then (not
    # closed before `at`: few alerts), with its first audit row of leaving at or after `at`, or without
    # one and closed after `at`. Those few are looked up in two plain queries and counted here.
    late = alerts.filter(raised_at__lt=at, due_date__lt=today)
    for v, n in (
        late.filter(status__in=TO_VERIFY)
        .annotate(v=village)
        .values_list("v")
        .annotate(n=Count("id"))
        .order_by()
    ):
        yield v, OVERDUE, "", n
    in_flight = list(
        late.exclude(status__in=TO_VERIFY)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=at))
        .annotate(v=village)
        .values_list("pk", "v", "closed_at")
    )
    left = _first_left([row[0] for row in in_flight])
    for pk, v, closed_at in in_flight:
        left_at = left.get(pk, closed_at)
        if left_at is not None and left_at >= at:
            yield v, OVERDUE, "", 1


# --- 规则成效 -------------------------------------------------------------------------------------------


def rule_dim(rule_id: str, version: int, feed: str) -> str:
    """ "rule=R03@v2|feed=medical": one rule version on one feed (selectors_yield.py reads it back)."""
    return f"rule={rule_id}@v{version}|feed={feed}"


def rule_dim_parse(dim: str) -> tuple[str, int, str] | None:
    """(rule id, version, feed) of a `rule_dim`, or None for anything else."""
    if not dim.startswith("rule="):
        return None
    rule, _, feed = dim.removeprefix("rule=").partition("|feed=")
    rule_id, _, version = rule.rpartition("@v")
    if not rule_id or not version.isdigit():
        return None
    return rule_id, int(version), feed


def _county(code: str) -> str:
    return code[:6] + "000000"


@producer_register("rule_yield", codes=(YIELD_RAISED, YIELD_RULED_OUT, YIELD_IDENTIFIED), rollup=False)
def rule_yield_facts(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    """Per rule version and feed: the alerts raised in the month on its evidence, and of them how many are
    ruled out and how many taken into monitoring (拟纳入 or 已纳入) as of the refresh. A cohort: the
    outcome of March's alerts moves as they are worked, and the nightly refresh of past months follows.

    Counted for each county and the city only (`rollup=False`, whatever `villages` says): rules are set for
    the city or a county (RuleVersion.region_prefix), and per village the table would be a few alerts
    spread over a dozen rule versions, tens of thousands of facts a month at city scale for nothing a
    village tunes."""
    evidence = AlertEvidence.objects.filter(_in_month("alert__raised_at", period), rule_version__isnull=False)
    ruled_out = Q(alert__status=Alert.Status.DISMISSED)
    identified = Q(alert__status__in=IDENTIFIED_STATUSES)
    per_rule = (
        evidence.annotate(c=Substr("alert__region_code", 1, 6))
        .values_list("c", "rule_version_id", "feed")
        .annotate(
            n=Count("alert_id", distinct=True),
            out=Count("alert_id", distinct=True, filter=ruled_out),
            found=Count("alert_id", distinct=True, filter=identified),
        )
        .order_by()
    )
    rows = list(per_rule)
    versions = {
        pk: (rule_id, version)
        for pk, rule_id, version in RuleVersion.objects.filter(pk__in={r[1] for r in rows}).values_list(
            "pk", "rule__rule_id", "version"
        )
    }
    # The totals count each alert once, however many rules found it.
    with_rule = Exists(
        AlertEvidence.objects.filter(alert_id=OuterRef("pk"), rule_version__isnull=False).values("pk")
    )
    totals = (
        Alert.objects.filter(_in_month("raised_at", period))
        .filter(with_rule)
        .annotate(c=Substr("region_code", 1, 6))
        .values_list("c")
        .annotate(
            n=Count("id"),
            out=Count("id", filter=Q(status=Alert.Status.DISMISSED)),
            found=Count("id", filter=Q(status__in=IDENTIFIED_STATUSES)),
        )
        .order_by()
    )
    counted = [
        (c, rule_dim(*versions.get(version_id, ("?", 0)), feed), n, out, found)
        for c, version_id, feed, n, out, found in rows
    ] + [(c, "", n, out, found) for c, n, out, found in totals]
    for c, dim, n, out, found in counted:
        county = _county(c)
        for unit in [county, *ancestors_of(county)]:
            yield unit, YIELD_RAISED, dim, n
            yield unit, YIELD_RULED_OUT, dim, out
            yield unit, YIELD_IDENTIFIED, dim, found


# --- 部门数据报送 ---------------------------------------------------------------------------------------

# A month's data is due before the monthly screening of that month starts (docs/feeds.md §一: from day
# DIXIAN_MONTHLY_RUN_DAY of the next month); with the schedule turned off (0), by the 5th, the day the
# county's 医保 data is due (docs/domain.md §4).
DEFAULT_DUE_DAY = 6


def delivery_deadline(period: Period) -> dt.datetime:
    """The first instant a delivery of `period`'s data is late."""
    day = settings.DIXIAN_MONTHLY_RUN_DAY or DEFAULT_DUE_DAY
    nxt = period.next()
    return dt.datetime(nxt.year, nxt.month, day, tzinfo=timezone.get_current_timezone())


@producer_register("feeds_on_time", codes=(FEEDS_RECEIVED, FEEDS_ON_TIME, FEEDS_REJECTED), rollup=False)
def feed_delivery_facts(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    """Deliveries of the month's data per feed: received (accepted), of them before the deadline, and
    rejected attempts. A delivery is to a county or the city, not a village: the rows are written for the
    delivery's region and every unit above it (`rollup=False`), whatever `villages` says."""
    deadline = delivery_deadline(period)
    live = [str(FeedDelivery.Status.ACCEPTED), str(FeedDelivery.Status.SCREENED)]
    counts = (
        FeedDelivery.objects.filter(period=str(period))
        .values_list("region__code", "feed")
        .annotate(
            received=Count("id", filter=Q(status__in=live)),
            on_time=Count("id", filter=Q(status__in=live, created_at__lt=deadline)),
            rejected=Count("id", filter=Q(status=FeedDelivery.Status.REJECTED)),
        )
        .order_by()
    )
    for code, feed, received, on_time, rejected in counts:
        for unit in [code, *ancestors_of(code)]:
            for fact, n in ((FEEDS_RECEIVED, received), (FEEDS_ON_TIME, on_time), (FEEDS_REJECTED, rejected)):
                yield unit, fact, "", n
                yield unit, fact, f"feed={feed}", n


# --- indicators -----------------------------------------------------------------------------------------


def _alerts(**params: str) -> Drill:
    """The alert queue of the unit; `raised`/`closed` take the month."""

    def drill(region: Region, period: Period) -> str:
        shown = {k: (str(period) if v == "{period}" else v) for k, v in params.items()}
        return list_url("cases:alert_queue", region, **shown)

    return drill


def _deliveries(**params: str) -> Drill:
    def drill(region: Region, period: Period) -> str:
        return list_url("feeds:delivery_list", region, period=str(period), **params)

    return drill


_ALERTS_SOURCE = "预警线索及其证据(部门筛查、农户自主申报、干部走访),预警状态变更记录"
_CHANNELS_NOTE = "一条线索被多条渠道发现时,合计中计一次,在“按发现渠道”中每条渠道各计一次"
_G = "三线预警"

indicator_register(
    Indicator(
        code="alerts_raised",
        name="预警线索(当月新增)",
        group=_G,
        unit="条",
        numerator=RAISED,
        flow=True,
        numerator_text=f"首次预警时间在统计期内的预警线索数(同一户同一风险在办结前只计一条);{_CHANNELS_NOTE}",
        source_text=_ALERTS_SOURCE,
        drill=_alerts(raised="{period}", status="all"),
        drill_capability=Capability.ALERTS_VIEW,
        breakdown="channel=",
        breakdown_title="按发现渠道",
        headline=True,
    )
)
indicator_register(
    Indicator(
        code="alerts_raised_department",
        name="部门筛查预警线索",
        group=_G,
        unit="条",
        numerator=RAISED,
        dim="channel=department",
        flow=True,
        numerator_text=(
            "统计期内新增、由部门数据筛查发现的预警线索数;按数据类型分组时,一条线索的证据来自几类部门数据"
            "就在几类中各计一次"
        ),
        source_text=_ALERTS_SOURCE,
        drill=_alerts(raised="{period}", status="all", channel="department"),
        drill_capability=Capability.ALERTS_VIEW,
        breakdown="feed=",
        breakdown_title="按数据类型",
    )
)
indicator_register(
    Indicator(
        code="alerts_raised_red",
        name="红色预警线索(当月新增)",
        group=_G,
        unit="条",
        numerator=RAISED,
        dim="grade=红",
        flow=True,
        better="down",
        numerator_text="统计期内新增、预警等级为红色(3日内核实)的预警线索数;等级为线索当前的等级",
        source_text=_ALERTS_SOURCE,
        drill=_alerts(raised="{period}", status="all", grade="红"),
        drill_capability=Capability.ALERTS_VIEW,
        breakdown="grade=",
        breakdown_title="按预警等级",
    )
)
indicator_register(
    Indicator(
        code="alerts_raised_illness",
        name="因病预警线索(当月新增)",
        group=_G,
        unit="条",
        numerator=RAISED,
        dim="risk=01",
        flow=True,
        numerator_text="统计期内新增、风险类型为因病的预警线索数",
        source_text=_ALERTS_SOURCE,
        drill=_alerts(raised="{period}", status="all", risk="01"),
        drill_capability=Capability.ALERTS_VIEW,
        breakdown="risk=",
        breakdown_title="按风险类型",
    )
)
indicator_register(
    Indicator(
        code="alerts_verified",
        name="完成核实的预警线索",
        group=_G,
        unit="条",
        numerator=VERIFIED,
        flow=True,
        numerator_text=(
            "统计期内结束村级核实的预警线索数:拟纳入监测(含并入正在监测的档案)或核实排除,以状态变更时间为准"
        ),
        source_text=_ALERTS_SOURCE,
        breakdown="outcome=",
        breakdown_title="按核实结果(proposed 拟纳入,dismissed 核实排除)",
    )
)
indicator_register(
    Indicator(
        code="alerts_verified_on_time_rate",
        name="按期核实率",
        group=_G,
        unit="%",
        numerator=VERIFIED_ON_TIME,
        denominator=VERIFIED,
        flow=True,
        better="up",
        numerator_text="统计期内完成核实、且在核实期限(红3日、橙7日、黄15日)当日或之前完成的预警线索数",
        denominator_text="统计期内完成核实的预警线索数",
        source_text=_ALERTS_SOURCE,
        headline=True,
    )
)
indicator_register(
    Indicator(
        code="alerts_identified",
        name="预警线索认定纳入监测",
        group=_G,
        unit="条",
        numerator=CLOSED,
        dim="outcome=confirmed",
        flow=True,
        numerator_text="统计期内经县级审定纳入监测而办结的预警线索数(以办结时间为准)",
        source_text=_ALERTS_SOURCE,
        drill=_alerts(closed="{period}", status="confirmed"),
        drill_capability=Capability.ALERTS_VIEW,
    )
)
indicator_register(
    Indicator(
        code="alerts_dismissed",
        name="预警线索核实排除",
        group=_G,
        unit="条",
        numerator=CLOSED,
        dim="outcome=dismissed",
        flow=True,
        numerator_text="统计期内核实排除而办结的预警线索数,含监测档案不予纳入时随之排除的线索(以办结时间为准)",
        source_text=_ALERTS_SOURCE,
        drill=_alerts(closed="{period}", status="dismissed"),
        drill_capability=Capability.ALERTS_VIEW,
    )
)
indicator_register(
    Indicator(
        code="alerts_open",
        name="未办结预警线索",
        group=_G,
        unit="条",
        numerator=OPEN,
        better="down",
        numerator_text="月末(当月为当前)尚未办结的预警线索数:待核实、核实中和拟纳入(认定中)",
        source_text=_ALERTS_SOURCE,
        drill=_alerts(),
        drill_capability=Capability.ALERTS_VIEW,
        breakdown="grade=",
        breakdown_title="按预警等级",
    )
)
indicator_register(
    Indicator(
        code="alerts_overdue",
        name="超期未核实预警线索",
        group=_G,
        unit="条",
        numerator=OVERDUE,
        better="down",
        numerator_text="月末(当月为当前)仍待核实或核实中、且已过核实期限的预警线索数",
        source_text=_ALERTS_SOURCE,
        # The queue's 只看已超期 also lists 拟纳入 alerts whose case is late: a superset of this figure.
        drill=_alerts(overdue="1"),
        drill_capability=Capability.ALERTS_VIEW,
        headline=True,
    )
)

_Y = "规则成效"
_YIELD_SOURCE = "部门筛查预警线索的证据(每条证据记有产生它的规则版本和数据类型)及线索的办理状态"
_YIELD_PERIOD = "统计期内新增的线索,结果为数据更新时的办理状态(年累计为1月至当月新增的线索)"
_YIELD_NOTE = "一条线索由几个规则版本发现,就在每个规则版本中各计一次,合计中只计一次;统计到县(市、区)和全市"

indicator_register(
    Indicator(
        code="rule_yield_raised",
        name="规则发现的预警线索",
        group=_Y,
        unit="条",
        numerator=YIELD_RAISED,
        flow=True,
        numerator_text=f"统计期内新增、证据来自筛查规则的预警线索数;{_YIELD_NOTE}",
        period_text=_YIELD_PERIOD,
        source_text=_YIELD_SOURCE,
        drill=_alerts(raised="{period}", status="all", channel="department"),
        drill_capability=Capability.ALERTS_VIEW,
        breakdown="rule=",
        breakdown_title="按规则版本和数据类型",
    )
)
indicator_register(
    Indicator(
        code="rule_yield_identified_rate",
        name="规则线索纳入率",
        group=_Y,
        unit="%",
        numerator=YIELD_IDENTIFIED,
        denominator=YIELD_RAISED,
        flow=True,
        better="up",
        numerator_text="其中已拟纳入或已纳入监测的线索数",
        denominator_text=f"统计期内新增、证据来自筛查规则的预警线索数;{_YIELD_NOTE}",
        period_text=_YIELD_PERIOD,
        source_text=_YIELD_SOURCE,
        breakdown="rule=",
        breakdown_title="按规则版本和数据类型(纳入数)",
    )
)
indicator_register(
    Indicator(
        code="rule_yield_ruled_out_rate",
        name="规则线索排除率",
        group=_Y,
        unit="%",
        numerator=YIELD_RULED_OUT,
        denominator=YIELD_RAISED,
        flow=True,
        better="down",
        numerator_text="其中已核实排除的线索数(含档案不予纳入的)",
        denominator_text=f"统计期内新增、证据来自筛查规则的预警线索数;{_YIELD_NOTE}",
        period_text=_YIELD_PERIOD,
        source_text=_YIELD_SOURCE,
        drill=_alerts(raised="{period}", status="dismissed", channel="department"),
        drill_capability=Capability.ALERTS_VIEW,
        breakdown="rule=",
        breakdown_title="按规则版本和数据类型(排除数)",
    )
)

_F = "部门数据报送"
_FEEDS_SOURCE = "部门数据报送记录(页面上传和接口推送)"
_FEEDS_PERIOD = "数据期间为统计月份的报送(年累计为1月至当月各期)"

indicator_register(
    Indicator(
        code="feeds_received",
        name="部门数据报送(已接收)",
        group=_F,
        unit="次",
        numerator=FEEDS_RECEIVED,
        flow=True,
        numerator_text="数据期间为统计月份、已接收(含已筛查)的部门数据报送次数;计入报送账号所属区划及其上级",
        period_text=_FEEDS_PERIOD,
        source_text=_FEEDS_SOURCE,
        drill=_deliveries(),
        drill_capability=Capability.FEEDS_UPLOAD,
        breakdown="feed=",
        breakdown_title="按数据类型",
    )
)
indicator_register(
    Indicator(
        code="feeds_on_time_rate",
        name="部门数据按时报送率",
        group=_F,
        unit="%",
        numerator=FEEDS_ON_TIME,
        denominator=FEEDS_RECEIVED,
        flow=True,
        better="up",
        numerator_text=(
            "其中在下月月度筛查开始日(默认6日,即5日及以前)之前接收的报送次数:数据赶上了该月的月度筛查"
        ),
        denominator_text="数据期间为统计月份、已接收的部门数据报送次数",
        period_text=_FEEDS_PERIOD,
        source_text=_FEEDS_SOURCE,
        drill=_deliveries(),
        drill_capability=Capability.FEEDS_UPLOAD,
        breakdown="feed=",
        breakdown_title="按数据类型(按时报送数)",
        headline=True,
    )
)
indicator_register(
    Indicator(
        code="feeds_rejected",
        name="部门数据拒收",
        group=_F,
        unit="次",
        numerator=FEEDS_REJECTED,
        flow=True,
        better="down",
        numerator_text="数据期间为统计月份、因校验错误整份拒收的报送次数(改正后重新报送的另计接收)",
        period_text=_FEEDS_PERIOD,
        source_text=_FEEDS_SOURCE,
        drill=_deliveries(status=str(FeedDelivery.Status.REJECTED)),
        drill_capability=Capability.FEEDS_UPLOAD,
        breakdown="feed=",
        breakdown_title="按数据类型",
    )
)

dim_labels_register("channel=", dict(risks.CHANNELS))
dim_labels_register("risk=", {code: rt.name for code, rt in risks.RISK_TYPES.items()})
dim_labels_register("grade=", {g: f"{g}色" for g in risks.GRADES})
dim_labels_register("feed=", {f.code: f"{f.department}·{f.name}" for f in catalogue.FEEDS})
dim_labels_register(
    "outcome=", {"proposed": "拟纳入监测", "confirmed": "已纳入监测", "dismissed": "核实排除"}
)
