"""Monitoring figures (docs/domain.md §20, §21): identification, assistance, risk elimination and 疑点核查,
each month read back from the dated records, and the case queue's filters the figures drill to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dixian.domain import lifecycle as lc
from dixian.monitoring.deadlines import timeliness_for_user
from dixian.monitoring.models import ConsistencyFinding, Measure, MonitoringCase, RiskElimination
from dixian.monitoring.services import case_from_import, case_open, case_refuse, case_reject_elimination
from dixian.monitoring.testing import walk_case
from dixian.registry.models import HelperAssignment, IncomeLine
from dixian.registry.testing import build_world, household, personas, step_actors
from dixian.reports import producers_monitoring as pm
from dixian.reports.catalogue import INDICATORS, drill_url
from dixian.reports.models import Fact
from dixian.reports.periods import Period
from dixian.reports.selectors import breakdown, figures_compared
from dixian.reports.services import facts_refresh

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 10, 20, 10, 0, tzinfo=SHANGHAI)  # "today" of the story below
MONTHS = [Period(2026, m) for m in range(1, 11)]


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


def at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2026, month, day, 9, 0, tzinfo=SHANGHAI)


class Story:
    """A year of cases told through the services, as the platform writes them:

    - A (`home`, 良塘村): clue 5 Jan, identified 15 Jan within its limit; an industry measure applied 10 Feb;
      its risk eliminated (帮扶消除) 25 Jul.
    - B (良塘村): clue 1 Feb, left at the home check (limit 16 Feb), refused today (20 Oct).
    - D (良塘村): imported as identified 10 Jan 2025, no helper until 15 Sep 2026; elimination proposed
      3 Aug (with an industry measure applied that day), rejected today.
    - E (`far`, 都昌县): clue 1 Oct, still at the home check today, past its limit of 16 Oct.
    - Findings: 良塘村 no_helper open 3 Feb to 5 Mar; 城西村 identification_overdue open since 17 Oct.
    """

    def __init__(self) -> None:
        self.world = w = build_world()
        self.people = people = personas(w)
        IncomeLine.objects.get_or_create(year=2025, region=None, defaults={"amount": Decimal("7500")})
        actors = step_actors(people)
        officer = people["village_officer"]
        self.a = case_open(
            household=w.home,
            actor=officer,
            origin="manual",
            reason="走访发现",
            first_clue_on=d(1, 5),
            on=d(1, 5),
        )
        self.a = walk_case(self.a, lc.MONITORING, actors, start=d(1, 5))
        assert self.a.identified_on == d(1, 15) and self.a.due_on == d(1, 20)
        Measure.objects.create(
            case=self.a,
            category="industry",
            item="产业奖补",
            start_on=d(2, 10),
            deliverer="县农业农村局",
            status=Measure.Status.APPLIED,
            applied_on=d(2, 10),
        )
        self.a = walk_case(self.a, lc.ELIMINATED, actors, start=d(7, 15))
        assert self.a.eliminated_on == d(7, 25)

        self.b = case_open(
            household=household("3604241002010002", w.village, "赵六", 4),
            actor=officer,
            origin="manual",
            reason="走访发现",
            first_clue_on=d(2, 1),
            on=d(2, 1),
        )

        d_household = household("3604241002010003", w.village, "孙八", 5)
        self.d = case_from_import(
            household=d_household, identified_on=dt.date(2025, 1, 10), category="edge", risk_codes=["01"]
        )
        assert self.d is not None
        self.d = walk_case(self.d, lc.ELIM_CHECK, actors, start=d(8, 3))
        HelperAssignment.objects.create(household=d_household, helper=people["helper"], start_date=d(9, 15))

        self.e = case_open(
            household=w.far,
            actor=None,
            origin="manual",
            reason="走访发现",
            first_clue_on=d(10, 1),
            on=d(10, 1),
        )

        # Today: B refused, D's elimination rejected.
        case_refuse(case=self.b, actor=officer, seq=self.b.seq, reason="收入稳定,不符合条件")
        self.d.refresh_from_db()
        case_reject_elimination(case=self.d, actor=officer, seq=self.d.seq, reason="医疗费用尚未报销")

        ConsistencyFinding.objects.create(
            household=w.home,
            case=self.a,
            region_code=w.village.code,
            code="no_helper",
            message="监测对象无帮扶联系人",
            first_seen_at=at(2, 3),
            last_seen_at=at(3, 4),
            resolved_at=at(3, 5),
        )
        ConsistencyFinding.objects.create(
            household=w.far,
            case=self.e,
            region_code=w.far_village.code,
            code="identification_overdue",
            message="识别认定超期",
            first_seen_at=at(10, 17),
            last_seen_at=at(10, 20),
        )


@pytest.fixture
def story():
    with time_machine.travel(NOW, tick=False):
        yield Story()


def fact(period: Period, region_code: str, code: str, dim: str = "") -> int:
    found = Fact.objects.filter(period=str(period), region_code=region_code, code=code, dim=dim).first()
    return int(found.value) if found else 0


def refreshed(story: Story) -> None:
    facts_refresh(periods=MONTHS, producers=["monitoring_flows", "monitoring_stocks", "consistency_findings"])


@pytest.fixture
def facts(story):
    with time_machine.travel(NOW, tick=False):
        refreshed(story)
    return story


def test_identification_counts_each_month_from_the_decision_dates(facts):
    city, county = facts.world.city.code, facts.world.county.code
    jan, oct_ = Period(2026, 1), Period(2026, 10)
    assert fact(jan, city, pm.IDENTIFIED) == 1
    assert fact(jan, county, pm.IDENTIFIED, "category=edge") == 1
    assert (fact(jan, city, pm.DECIDED), fact(jan, city, pm.DECIDED_IN_TIME)) == (1, 1)
    # B refused today, long past its limit: decided late; an imported household has no clock at all.
    assert (
        fact(oct_, city, pm.DECIDED),
        fact(oct_, city, pm.DECIDED_IN_TIME),
        fact(oct_, city, pm.REFUSED),
    ) == (
        1,
        0,
        1,
    )
    assert fact(Period(2025, 1), city, pm.IDENTIFIED) == 0  # not refreshed: the import's month is its own
    assert sum(fact(p, city, pm.IDENTIFIED) for p in MONTHS) == 1


def test_cases_being_identified_and_overdue_are_read_at_each_months_end_from_the_log(facts):
    city, village, far = facts.world.city.code, facts.world.village.code, facts.world.far_village.code
    assert fact(Period(2026, 1), city, pm.IDENTIFYING) == 0  # B's clue came on 1 Feb
    for month in range(2, 10):  # B from February to September, past its limit of 16 Feb throughout
        assert fact(Period(2026, month), village, pm.IDENTIFYING) == 1, month
        assert fact(Period(2026, month), village, pm.OVERDUE) == 1, month
    # October, read today: B refused, E past its limit (16 Oct) in the other county.
    assert fact(Period(2026, 10), village, pm.IDENTIFYING) == 0
    assert fact(Period(2026, 10), far, pm.OVERDUE) == 1
    assert fact(Period(2026, 10), city, pm.OVERDUE) == 1


def test_monitored_households_with_a_helper_and_a_development_measure_as_they_were(facts):
    village = facts.world.village.code

    def stock(month: int) -> tuple[int, ...]:
        p = Period(2026, month)
        codes = (pm.MONITORED, pm.MONITORED_WITH_HELPER, pm.MONITORED_WITH_DEVELOPMENT)
        return tuple(fact(p, village, code) for code in codes)

    assert stock(1) == (2, 1, 0)  # A (helper since 2025) and D (imported, no helper); no measure yet
    assert stock(2) == (2, 1, 1)  # A's industry measure applied 10 Feb
    assert stock(7) == (1, 0, 0)  # A eliminated 25 Jul: D alone, without helper or measure
    assert stock(8) == (1, 0, 1)  # D's measure applied 3 Aug with its proposal
    assert stock(9) == (1, 1, 1)  # D's helper from 15 Sep
    assert stock(10) == (1, 1, 1)


def test_a_measure_cancelled_later_still_counts_in_the_months_it_was_applied(facts):
    measure = Measure.objects.get(case=facts.d, category="industry")
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        Measure.objects.filter(pk=measure.pk).update(
            status=Measure.Status.CANCELLED, updated_at=timezone.now()
        )
        facts_refresh(periods=[Period(2026, 9), Period(2026, 10)], producers=["monitoring_stocks"])
    village = facts.world.village.code
    assert fact(Period(2026, 9), village, pm.MONITORED_WITH_DEVELOPMENT) == 1
    assert fact(Period(2026, 10), village, pm.MONITORED_WITH_DEVELOPMENT) == 0  # October read on the 21st


def test_eliminations_by_method_and_a_rejected_proposal_stays_in_its_months(facts):
    city = facts.world.city.code
    jul = Period(2026, 7)
    assert fact(jul, city, pm.ELIMINATED) == 1
    assert fact(jul, city, pm.ELIMINATED, "method=assisted") == 1
    # D's proposal of 3 Aug was rejected today: its RiskElimination is gone, the log still knows it.
    assert not RiskElimination.objects.filter(case=facts.d).exists()
    # June: A and D assisted; July: A eliminated; August and September: D's proposal under way.
    for month, pending, assisting in ((6, 0, 2), (7, 0, 1), (8, 1, 0), (9, 1, 0), (10, 0, 1)):
        p = Period(2026, month)
        assert (fact(p, city, pm.ELIMINATION_PENDING), fact(p, city, pm.ASSISTING)) == (pending, assisting), (
            month
        )


def test_findings_open_at_the_months_end_and_cleared_in_the_month_by_rule(facts):
    city = facts.world.city.code
    assert fact(Period(2026, 2), city, pm.FINDINGS_OPEN) == 1
    assert fact(Period(2026, 2), city, pm.FINDINGS_OPEN, "rule=no_helper") == 1
    assert fact(Period(2026, 3), city, pm.FINDINGS_OPEN) == 0
    assert fact(Period(2026, 3), city, pm.FINDINGS_CLEARED, "rule=no_helper") == 1
    assert fact(Period(2026, 10), city, pm.FINDINGS_OPEN, "rule=identification_overdue") == 1
    assert fact(Period(2026, 10), facts.world.county.code, pm.FINDINGS_OPEN) == 0


def test_the_indicators_read_the_facts_with_their_ratios_and_breakdowns(facts):
    city = facts.world.city
    with time_machine.travel(NOW, tick=False):
        rate, overdue = figures_compared(
            city, Period(2026, 10), [INDICATORS["identification_in_time_rate"], INDICATORS["cases_overdue"]]
        )
        assert rate.current.value == Decimal("0.0") and overdue.current.value == 1
        (ytd,) = figures_compared(city, Period(2026, 10), [INDICATORS["identification_in_time_rate"]], "ytd")
        assert ytd.current.value == Decimal("50.0")  # A in time in January, B late in October
        (helper,) = figures_compared(city, Period(2026, 1), [INDICATORS["monitored_with_helper_rate"]])
        assert helper.current.value == Decimal("50.0")
        assert breakdown(city, Period(2026, 7), INDICATORS["risk_eliminated"]) == [("assisted", Decimal(1))]


def test_the_in_time_figures_agree_with_the_timeliness_report(facts):
    with time_machine.travel(NOW, tick=False):
        report = timeliness_for_user(facts.people["county_admin"], "2026-10")
    county = facts.world.county.code
    assert fact(Period(2026, 10), county, pm.DECIDED) == report.total.decided == 1
    assert fact(Period(2026, 10), county, pm.DECIDED_IN_TIME) == report.total.within == 0
    city_report = timeliness_for_user(facts.people["city_admin"], "2026-10", today=NOW.date())
    assert fact(Period(2026, 10), facts.world.city.code, pm.OVERDUE) == city_report.total.open_overdue == 1


def test_each_producer_is_one_grouped_query_however_many_cases(story):
    with time_machine.travel(NOW, tick=False):
        for compute in (pm.monitoring_flows, pm.monitoring_stocks, pm.consistency_findings):
            with CaptureQueriesContext(connection) as queries:
                list(compute(Period(2026, 8), None))
            selects = [q for q in queries if not q["sql"].startswith("SET ")]  # PostgreSQL: jit off
            assert len(selects) == 1, compute.__name__


def test_a_refresh_of_one_village_recomputes_only_it(facts):
    with time_machine.travel(NOW, tick=False):
        MonitoringCase.objects.filter(pk=facts.e.pk).update(due_on=d(10, 30))  # say the limit was longer
        facts_refresh(periods=[Period(2026, 10)], villages=[facts.world.far_village.code])
    assert fact(Period(2026, 10), facts.world.city.code, pm.OVERDUE) == 0
    assert fact(Period(2026, 9), facts.world.village.code, pm.OVERDUE) == 1


def test_a_month_still_to_come_has_no_stock(story):
    with time_machine.travel(NOW, tick=False):
        assert list(pm.monitoring_stocks(Period(2026, 11), None)) == []
        assert list(pm.consistency_findings(Period(2026, 11), None)) == []


# --- drill-down to the case queue -------------------------------------------------------------------------


def queue_ids(client, user, url: str | None) -> set[int]:
    assert url is not None
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return {row.case.pk for row in response.context["rows"]}


def test_a_flow_drills_to_the_cases_decided_in_its_month(client, facts):
    people, city = facts.people, facts.world.city
    with time_machine.travel(NOW, tick=False):
        url = drill_url(INDICATORS["cases_identified"], city, Period(2026, 1), people["city_admin"])
        assert url is not None and "identified=2026-01" in url
        assert queue_ids(client, people["city_admin"], url) == {facts.a.pk}  # eliminated since: still listed
        refused = drill_url(INDICATORS["cases_refused"], city, Period(2026, 10), people["city_admin"])
        assert queue_ids(client, people["city_admin"], refused) == {facts.b.pk}
        eliminated = drill_url(INDICATORS["risk_eliminated"], city, Period(2026, 7), people["city_admin"])
        assert queue_ids(client, people["city_admin"], eliminated) == {facts.a.pk}


def test_a_stock_drills_to_the_queue_now_and_not_for_a_past_month(client, facts):
    people, city = facts.people, facts.world.city
    with time_machine.travel(NOW, tick=False):
        overdue = INDICATORS["cases_overdue"]
        url = drill_url(overdue, city, Period(2026, 10), people["city_admin"])
        assert url is not None
        assert queue_ids(client, people["city_admin"], url) == {facts.e.pk}
        # The county admin of 修水县 follows the same link and sees none of 都昌县's cases.
        assert queue_ids(client, people["county_admin"], url) == set()
        assert drill_url(overdue, city, Period(2026, 9), people["city_admin"]) is None
        monitored = drill_url(
            INDICATORS["monitored_households_assisted"], city, Period(2026, 10), people["city_admin"]
        )
        assert queue_ids(client, people["city_admin"], monitored) == {facts.d.pk}
        findings = drill_url(INDICATORS["findings_open"], city, Period(2026, 10), people["city_admin"])
        assert findings is not None and findings.startswith(reverse("monitoring:consistency"))


def test_an_account_without_the_case_list_gets_no_link(facts):
    from dixian.accounts.capabilities import Capability, user_can

    department = facts.people["department_uploader"]
    assert not user_can(department, Capability.CASES_VIEW)
    assert drill_url(INDICATORS["cases_identified"], facts.world.city, Period(2026, 1), department) is None


def test_a_malformed_month_filter_is_dropped_with_a_notice(client, facts):
    with time_machine.travel(NOW, tick=False):
        client.force_login(facts.people["city_admin"])
        response = client.get(reverse("monitoring:case_queue"), {"identified": "2026-13", "state": "all"})
    assert response.status_code == 200
    assert "「识别纳入月份」的取值无效,已忽略。" in response.context["notices"]
    assert len(response.context["rows"]) == 4  # every case, the filter ignored


def test_the_month_filter_is_kept_by_the_form_and_the_pages(client, facts):
    with time_machine.travel(NOW, tick=False):
        client.force_login(facts.people["city_admin"])
        response = client.get(reverse("monitoring:case_queue"), {"eliminated": "2026-07", "state": "all"})
    html = response.content.decode()
    assert 'name="eliminated" value="2026-07"' in html and "风险消除:2026年7月" in html
    assert ("eliminated", "2026-07") in response.context["filters"].params()
