"""Alert figures (三线预警), rule yield (规则成效) and department deliveries on time (部门数据报送), and the
lists they drill to (docs/domain.md §21)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dixian.cases.models import Alert
from dixian.cases.services import alert_set_status
from dixian.cases.tests.helpers import raise_alert, rule_version
from dixian.feeds.models import FeedDelivery
from dixian.monitoring.models import MonitoringCase
from dixian.monitoring.services import case_open, case_refuse
from dixian.registry.testing import household
from dixian.reports.catalogue import GROUPS, INDICATORS, drill_url
from dixian.reports.models import Fact
from dixian.reports.periods import Period
from dixian.reports.producers import PRODUCERS
from dixian.reports.producers_alerts import alert_facts, rule_dim, rule_dim_parse
from dixian.reports.selectors import breakdown, figures_compared
from dixian.reports.selectors_yield import rule_yield
from dixian.reports.services import facts_refresh
from dixian.screening.models import RuleVersion

pytestmark = pytest.mark.django_db

OCT, SEP, NOV = Period(2026, 10), Period(2026, 9), Period(2026, 11)
TZ = dt.timezone(dt.timedelta(hours=8))


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=TZ)


def value(region_code: str, code: str, dim: str = "", period: Period = OCT) -> Decimal:
    found = Fact.objects.filter(period=str(period), region_code=region_code, code=code, dim=dim).first()
    return found.value if found else Decimal(0)


def homes(world, n: int, first: int = 0) -> list:
    return [
        household(f"3604241002019{i:03d}", world.village, f"户{i}", 20 + i) for i in range(first, first + n)
    ]


def refresh(*periods: Period) -> None:
    facts_refresh(periods=list(periods))


# --- raised ---------------------------------------------------------------------------------------------


@time_machine.travel(at(12, 2), tick=False)
def test_alerts_raised_in_a_month_count_once_in_the_total_and_once_per_line_feed_risk_and_grade(world):
    both = raise_alert(world.home, risk="01", grade="红", at=at(10, 3))
    raise_alert(world.home, risk="01", grade="橙", channel="self_declared", at=at(10, 5))
    raise_alert(world.neighbour, risk="09", grade="黄", channel="cadre_visit", at=at(10, 10))
    raise_alert(world.far, risk="01", grade="红", at=at(9, 20))
    assert Alert.objects.get(pk=both.pk).channels == ["department", "self_declared"]
    refresh(SEP, OCT)
    county, city = world.county.code, world.city.code
    assert value(county, "alerts.raised") == 2
    assert value(county, "alerts.raised", "channel=department") == 1
    assert value(county, "alerts.raised", "channel=self_declared") == 1
    assert value(county, "alerts.raised", "channel=cadre_visit") == 1
    assert value(county, "alerts.raised", "feed=medical") == 1
    assert value(county, "alerts.raised", "risk=01") == 1
    assert value(county, "alerts.raised", "risk=09") == 1
    assert value(county, "alerts.raised", "grade=红") == 1
    assert value(county, "alerts.raised", "grade=黄") == 1
    assert value(world.village.code, "alerts.raised") == 1
    assert value(city, "alerts.raised") == 2
    assert value(city, "alerts.raised", period=SEP) == 1
    (raised,) = figures_compared(world.city, OCT, [INDICATORS["alerts_raised"]])
    assert raised.current.value == 2 and raised.previous.value == 1
    assert dict(breakdown(world.county, OCT, INDICATORS["alerts_raised"])) == {
        "department": 1,
        "self_declared": 1,
        "cadre_visit": 1,
    }
    (ytd,) = figures_compared(world.city, OCT, [INDICATORS["alerts_raised"]], mode="ytd")
    assert ytd.current.value == 3


@time_machine.travel(at(12, 2), tick=False)
def test_the_alert_producer_reads_in_the_same_number_of_queries_however_many_alerts(
    world, django_assert_num_queries
):
    for h in homes(world, 2):
        raise_alert(h, at=at(10, 3))
    with django_assert_num_queries(9) as few:
        rows_few = list(alert_facts(OCT, None))
    for h in homes(world, 6, first=2):
        raise_alert(h, at=at(10, 4), channel="cadre_visit")
    with django_assert_num_queries(len(few.captured_queries)):
        rows_many = list(alert_facts(OCT, None))
    assert len(rows_many) > len(rows_few)


# --- what became of them --------------------------------------------------------------------------------


def _dismiss(alert: Alert, when: dt.datetime, actor) -> None:
    with time_machine.travel(when, tick=False):
        alert_set_status(alert=alert, status=Alert.Status.DISMISSED, note="经核实收入稳定", actor=actor)


def test_verification_on_time_outcomes_closing_and_month_end_stocks_follow_the_dated_records(world, people):
    officer = people["village_officer"]
    a, b, c, d, e = homes(world, 5)
    on_time = raise_alert(a, grade="红", at=at(10, 1))  # due 10-04, ruled out 10-03
    proposed = raise_alert(b, grade="黄", at=at(10, 1))  # due 10-16, taken into a case 10-20
    still_open = raise_alert(c, grade="橙", at=at(10, 25))  # due 11-01, never verified
    late = raise_alert(d, grade="黄", at=at(9, 1))  # due 09-16, ruled out 10-05: overdue at September's end
    loaded = raise_alert(e, grade="红", at=at(10, 2))  # confirmed by a bulk load, without an audit row
    _dismiss(on_time, at(10, 3), officer)
    _dismiss(late, at(10, 5), officer)
    with time_machine.travel(at(10, 20), tick=False):
        case = case_open(household=b, actor=None, origin=MonitoringCase.Origin.ALERT, alerts=[proposed])
    with time_machine.travel(at(11, 2), tick=False):
        case_refuse(case=case, actor=None, seq=None, reason="经比对不符合纳入条件")
    Alert.objects.filter(pk=loaded.pk).update(status=Alert.Status.CONFIRMED, closed_at=at(10, 28))

    with time_machine.travel(at(12, 2), tick=False):
        refresh(SEP, OCT, NOV)
    v = world.county.code
    assert value(v, "alerts.verified") == 4
    assert value(v, "alerts.verified", "outcome=dismissed") == 2  # on_time, late
    assert value(v, "alerts.verified", "outcome=proposed") == 2  # proposed (refused later), loaded
    assert value(v, "alerts.verified_on_time") == 1
    assert value(v, "alerts.closed") == 3
    assert value(v, "alerts.closed", "outcome=dismissed") == 2
    assert value(v, "alerts.closed", "outcome=confirmed") == 1
    assert value(v, "alerts.closed", "outcome=dismissed", period=NOV) == 1  # the refused case's alert
    assert value(v, "alerts.verified", period=NOV) == 0
    assert value(v, "alerts.open", period=SEP) == 1  # late
    assert value(v, "alerts.open") == 2  # proposed (open until refused), still_open
    assert value(v, "alerts.open", period=NOV) == 1
    assert value(v, "alerts.overdue", period=SEP) == 1  # late, verified only in October
    assert value(v, "alerts.overdue") == 0  # still_open is due 11-01: not passed at October's end
    assert value(v, "alerts.overdue", period=NOV) == 1
    assert still_open.status == Alert.Status.OPEN
    (rate,) = figures_compared(world.city, OCT, [INDICATORS["alerts_verified_on_time_rate"]])
    assert rate.current.value == Decimal("25.0")


def test_open_and_overdue_alerts_of_the_current_month_are_read_as_they_are_now(world):
    a, b = homes(world, 2)
    with time_machine.travel(at(10, 20), tick=False):
        raise_alert(a, grade="红", at=at(10, 1))  # due 10-04: overdue now
        raise_alert(b, grade="黄", at=at(10, 18))  # due 11-02
        refresh(OCT)
    assert value(world.village.code, "alerts.open") == 2
    assert value(world.village.code, "alerts.overdue") == 1


# --- rule yield ------------------------------------------------------------------------------------------


@time_machine.travel(at(12, 2), tick=False)
def test_each_rule_version_counts_the_alerts_it_raised_and_what_became_of_them(world, people):
    v1 = rule_version("R01")
    v2 = RuleVersion.objects.create(
        rule=v1.rule,
        version=v1.version + 1,
        risk_code=v1.risk_code,
        grade=v1.grade,
        template=v1.template,
        params=v1.params,
    )
    x, y, z = homes(world, 3)
    both = raise_alert(x, at=at(10, 2), rule_version=v1, feed="medical")
    raise_alert(x, at=at(10, 3), rule_version=v2, feed="medical")
    out = raise_alert(y, at=at(10, 4), rule_version=v1, feed="medical")
    found = raise_alert(z, at=at(10, 5), rule_version=v2, feed="medical")
    raise_alert(world.home, at=at(10, 5), channel="cadre_visit")  # no rule
    _dismiss(out, at(10, 6), people["village_officer"])
    case_open(household=z, actor=None, origin=MonitoringCase.Origin.ALERT, alerts=[found])
    assert both.pk != found.pk
    refresh(OCT)
    city = world.city.code
    assert value(city, "yield.raised") == 3  # x's alert counts once
    assert value(city, "yield.ruled_out") == 1
    assert value(city, "yield.identified") == 1
    assert value(world.county.code, "yield.raised") == 3
    assert value(world.village.code, "yield.raised") == 0  # counted for counties and the city only
    rows = rule_yield(world.city, OCT)
    assert [(r.label, r.feed, r.raised, r.ruled_out, r.identified) for r in rows] == [
        (f"R01 第{v2.version}版", "medical", 2, 0, 1),
        (f"R01 第{v1.version}版", "medical", 2, 1, 0),
    ]
    assert rows[0].rule_name == v1.rule.name and rows[0].feed_label
    assert rows[0].share_identified == Decimal("50.0") and rows[1].share_ruled_out == Decimal("50.0")
    assert rule_yield(world.county, OCT) == rows
    assert rule_yield(world.other_county, OCT) == []
    assert rule_yield(world.city, OCT, "ytd") == rows  # nothing before October
    (rate,) = figures_compared(world.city, OCT, [INDICATORS["rule_yield_identified_rate"]])
    assert rate.current.value == Decimal("33.3")
    # The indicator page shows the table, each rule version by name with its shares.
    client = Client()
    client.force_login(people["leader"])
    page = client.get(
        reverse("reports:indicator", args=["rule_yield_raised"]), {"region": city, "period": str(OCT)}
    )
    assert page.status_code == 200, page.status_code
    (chart,) = [c for c in page.context["charts"] if c.key == "rule_yield"]
    assert [[cell.text for cell in row] for row in chart.table.rows] == [
        [f"R01 第{v2.version}版", v1.rule.name, rows[0].feed_label, "2", "0", "1", "50.0", "0.0"],
        [f"R01 第{v1.version}版", v1.rule.name, rows[1].feed_label, "2", "1", "0", "0.0", "50.0"],
    ]


def test_a_rule_dim_reads_back_what_it_wrote():
    assert rule_dim_parse(rule_dim("R03", 12, "medical_settlement")) == ("R03", 12, "medical_settlement")
    assert rule_dim_parse(rule_dim("R03", 2, "")) == ("R03", 2, "")
    assert rule_dim_parse("feed=medical") is None
    assert rule_dim_parse("rule=R03@vx|feed=a") is None
    assert len(rule_dim("R123456789", 9999, "x" * 20)) <= Fact._meta.get_field("dim").max_length


# --- deliveries -----------------------------------------------------------------------------------------


def delivery(world, user, region, feed: str, status: str, received: dt.datetime, n: int) -> FeedDelivery:
    d = FeedDelivery.objects.create(
        feed=feed,
        period=str(OCT),
        channel=FeedDelivery.Channel.UPLOAD,
        source=user,
        region=region,
        checksum=f"{n:064d}",
        status=status,
    )
    FeedDelivery.objects.filter(pk=d.pk).update(created_at=received)
    return d


@pytest.fixture
def deliveries(world, people):
    up = people["department_uploader"]
    return [
        delivery(world, up, world.county, "medical", "screened", at(11, 3), 1),  # on time
        delivery(world, up, world.county, "medical", "accepted", at(11, 8), 2),  # late
        delivery(world, up, world.county, "medical", "rejected", at(11, 2), 3),
        delivery(
            world, up, world.city, "education", "accepted", at(11, 5, 23), 4
        ),  # on time (before the 6th)
        delivery(world, up, world.other_county, "medical", "pending", at(11, 1), 5),  # not counted
    ]


def test_deliveries_count_for_their_region_and_every_unit_above_and_on_time_before_the_monthly_run(
    world, deliveries, settings
):
    settings.DIXIAN_MONTHLY_RUN_DAY = 6
    facts_refresh(periods=[OCT], villages=[world.village.code])  # a village refresh leaves them alone
    assert value(world.county.code, "feeds.received") == 0
    facts_refresh(periods=[OCT], producers=["feeds_on_time"])
    county, city = world.county.code, world.city.code
    assert value(county, "feeds.received") == 2
    assert value(county, "feeds.on_time") == 1
    assert value(county, "feeds.rejected") == 1
    assert value(county, "feeds.received", "feed=medical") == 2
    assert value(city, "feeds.received") == 3
    assert value(city, "feeds.on_time") == 2
    assert value(city, "feeds.on_time", "feed=education") == 1
    assert value(world.other_county.code, "feeds.received") == 0
    assert value(world.township.code, "feeds.received") == 0
    assert (
        Fact.objects.get(code="feeds.received", dim="", region_code=county, period=str(OCT)).level == "county"
    )
    settings.DIXIAN_MONTHLY_RUN_DAY = 10
    refresh(OCT)
    assert value(county, "feeds.on_time") == 2


# --- catalogue and drill-down ---------------------------------------------------------------------------


def test_every_indicator_of_this_module_reads_facts_a_producer_writes():
    written = {code for p in PRODUCERS.values() for code in p.codes}
    mine = [i for i in INDICATORS.values() if i.group in ("三线预警", "规则成效", "部门数据报送")]
    assert len(mine) >= 10
    for ind in mine:
        assert ind.group in GROUPS
        assert set(ind.fact_codes()) <= written, ind.code
        assert ind.numerator_text and ind.source_text, ind.code


def shown_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'id="alert-(\d+)"', html)]


@time_machine.travel(at(12, 2), tick=False)
def test_a_figure_drills_to_the_alerts_raised_or_closed_in_its_month_within_the_unit(client, world, people):
    a, b = homes(world, 2)
    october = raise_alert(a, at=at(10, 3))
    raise_alert(b, at=at(9, 3))
    far = raise_alert(world.far, at=at(10, 3))
    _dismiss(october, at(11, 4), people["village_officer"])
    leader = people["leader"]
    client.force_login(leader)
    url = drill_url(INDICATORS["alerts_raised"], world.county, OCT, leader)
    assert url is not None and "raised=2026-10" in url
    assert shown_ids(client.get(url).content.decode()) == [october.pk]
    city_url = drill_url(INDICATORS["alerts_raised"], world.city, OCT, leader)
    assert set(shown_ids(client.get(city_url).content.decode())) == {october.pk, far.pk}
    closed = drill_url(INDICATORS["alerts_dismissed"], world.county, NOV, leader)
    assert shown_ids(client.get(closed).content.decode()) == [october.pk]
    assert (
        shown_ids(
            client.get(drill_url(INDICATORS["alerts_dismissed"], world.county, OCT, leader)).content.decode()
        )
        == []
    )


def test_a_month_the_queue_cannot_read_is_ignored_with_a_chinese_notice(client, world, people):
    mine = raise_alert(world.home)
    client.force_login(people["village_officer"])
    html = client.get(reverse("cases:alert_queue") + "?raised=2026-13&closed=十月").content.decode()
    assert "「预警月份」应写成“年-月”" in html and "「办结月份」应写成“年-月”" in html
    assert shown_ids(html) == [mine.pk]


def test_the_queue_export_keeps_the_month_filter(client, world, people):
    raise_alert(world.home, at=timezone.now() - dt.timedelta(days=400))
    client.force_login(people["village_officer"])
    response = client.get(reverse("cases:alert_queue") + f"?raised={Period.current()}&status=all")
    assert f"raised={Period.current()}" in response.context["query"]
    assert shown_ids(response.content.decode()) == []


def test_delivery_figures_drill_to_the_deliveries_of_the_month_for_accounts_that_may_open_them(
    client, world, people, deliveries
):
    admin, leader = people["county_admin"], people["leader"]
    assert drill_url(INDICATORS["feeds_received"], world.county, OCT, leader) is None  # no FEEDS_UPLOAD
    url = drill_url(INDICATORS["feeds_rejected"], world.county, OCT, admin)
    assert url is not None
    client.force_login(admin)
    page = client.get(url)
    assert [d.pk for d in page.context["page"]] == [deliveries[2].pk]
    every = client.get(reverse("feeds:delivery_list") + f"?period=2026-10&region={world.county.pk}")
    assert {d.pk for d in every.context["page"]} == {d.pk for d in deliveries[:3]}
    other = client.get(reverse("feeds:delivery_list") + "?period=2026-09")
    assert list(other.context["page"]) == []


def test_a_delivery_list_period_or_region_it_cannot_use_is_ignored_with_a_notice(
    client, world, people, deliveries
):
    client.force_login(people["county_admin"])
    page = client.get(reverse("feeds:delivery_list") + f"?period=202610&region={world.other_county.pk}")
    html = page.content.decode()
    assert "数据期间“202610”无法识别" in html and "所选区划不在您的管辖范围内" in html
    assert {d.pk for d in page.context["page"]} == {d.pk for d in deliveries[:3]}  # its own county's
