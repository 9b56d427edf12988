"""What happens in the apps below marks the villages and months whose figures it changed, and a screening
run moves the month's alert figures right after it (docs/domain.md §21, reports/triggers.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from dixian.cases.models import Alert
from dixian.cases.services import alerts_bulk_set_status
from dixian.common.jobs import worker_run_once
from dixian.common.models import Job
from dixian.monitoring.services import case_from_import
from dixian.registry.models import ImportBatch, Person
from dixian.registry.services import household_update, income_upsert, person_delete
from dixian.registry.testing import household
from dixian.reports import jobs as report_jobs
from dixian.reports import services as report_services
from dixian.reports import triggers
from dixian.reports.models import Fact, FactRefresh, StaleVillage
from dixian.reports.periods import Period
from dixian.reports.producers import PRODUCERS, Producer, Row
from dixian.reports.services import facts_mark_stale, facts_refresh, facts_refresh_stale, marks_forget
from dixian.screening.models import ScreeningRun
from dixian.screening.services import screening_run
from dixian.screening.tests.run_fixtures import PERIOD, deliver, head, medical_row
from dixian.visits.services import visit_record

pytestmark = pytest.mark.django_db

NOW = str(Period.current())


def marks() -> set[tuple[str, str]]:
    return set(StaleVillage.objects.values_list("region_code", "period"))


def clear() -> None:
    StaleVillage.objects.all().delete()
    marks_forget()  # the test's transaction never commits: its marks would count as written


@pytest.fixture
def quiet(world, people):
    """The test world with its own set-up's marks cleared: what a test sees is what it did."""
    clear()
    return world


def alert(world, target, *, raised: dt.datetime | None = None) -> Alert:
    raised = raised or timezone.now()
    return Alert.objects.create(
        household=target,
        region=target.region,
        region_code=target.region_code,
        risk_code="01",
        grade="黄",
        grade_rank=3,
        reason="走访发现:户主住院",
        channels=["cadre_visit"],
        evidence_count=1,
        raised_at=raised,
        due_date=timezone.localdate() + dt.timedelta(days=15),
        last_evidence_at=raised,
    )


def test_a_case_step_marks_its_village_now_and_in_the_month_it_is_dated(quiet):
    case_from_import(
        household=quiet.home, identified_on=dt.date(2024, 3, 5), category="edge", risk_codes=["01"]
    )
    assert marks() == {(quiet.village.code, NOW), (quiet.village.code, "2024-03")}


def test_a_visit_entered_late_marks_the_month_it_was_made_and_its_alert_this_month(quiet, people):
    with time_machine.travel(dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC), tick=False):
        visit_record(
            household=quiet.home,
            visit_date=dt.date(2026, 11, 28),
            method="home",
            risks=["housing"],
            notes="房屋漏雨",
            photos=[],
            actor=people["village_officer"],
        )
    assert Alert.objects.filter(household=quiet.home).exists()
    assert marks() == {(quiet.village.code, "2026-12"), (quiet.village.code, "2026-11")}


def test_alerts_closed_in_bulk_mark_each_alerts_village_and_the_month_it_was_raised(quiet, people):
    raised_in_october = timezone.now().replace(year=2026, month=10, day=15)
    first, second = alert(quiet, quiet.home, raised=raised_in_october), alert(quiet, quiet.far)
    clear()
    alerts_bulk_set_status(
        alert_ids=[first.pk, second.pk],
        status=Alert.Status.DISMISSED,
        note="已核实无风险",
        actor=people["city_admin"],
    )
    assert marks() == {
        (quiet.village.code, NOW),
        (quiet.village.code, "2026-10"),
        (quiet.far_village.code, NOW),
    }


def test_an_alert_raised_outside_a_run_marks_its_village(quiet):
    alert(quiet, quiet.far)
    assert marks() == {(quiet.far_village.code, NOW)}


def test_a_household_moved_marks_the_village_it_left_and_the_one_it_joined(quiet, people):
    household_update(actor=people["city_admin"], household=quiet.home, data={}, region=quiet.far_village)
    assert {code for code, _ in marks()} == {quiet.village.code, quiet.far_village.code}


def test_a_household_changed_in_place_marks_only_its_own_village(quiet, people):
    household_update(actor=people["city_admin"], household=quiet.neighbour, data={"kind": "ordinary"})
    assert marks() == {(quiet.other_village.code, NOW)}


def test_a_person_removed_and_an_income_entered_mark_their_village(quiet, people):
    spouse = Person.objects.get(household=quiet.far, relation="spouse")
    person_delete(actor=people["city_admin"], person=spouse)
    assert marks() == {(quiet.far_village.code, NOW)}
    clear()
    income_upsert(actor=people["city_admin"], household=quiet.home, year=2025, wages=Decimal(9000))
    assert marks() == {(quiet.village.code, NOW)}


def test_a_finished_registry_import_marks_every_village_of_its_region_and_no_other(quiet):
    batch = ImportBatch.objects.create(file_name="修水县.xlsx", region=quiet.county)
    assert marks() == set()  # pending: nothing written yet
    batch.status = ImportBatch.Status.IMPORTED
    batch.save()
    assert marks() == {(quiet.village.code, NOW), (quiet.other_village.code, NOW)}


# --- a screening run --------------------------------------------------------------------------------------------

OPEN_ALERTS = "test.open_alerts"


def open_alerts(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
    """A stand-in for the alert producers (reports/producers_alerts.py): alerts raised in the month."""
    raised = Alert.objects.filter(raised_at__gte=period.start(), raised_at__lt=period.end())
    for code in raised.values_list("region_code", flat=True):
        yield code, OPEN_ALERTS, "", 1


@pytest.fixture
def alert_producer(monkeypatch):
    monkeypatch.setattr(triggers, "ALERT_MODULE", __name__)
    monkeypatch.setitem(PRODUCERS, "test_alerts", Producer("test_alerts", (OPEN_ALERTS,), open_alerts))


def figure(code: str, period: str = NOW) -> Decimal:
    found = Fact.objects.filter(period=period, code=OPEN_ALERTS, dim="", region_code=code).first()
    return found.value if found else Decimal(0)


def test_after_a_screening_run_the_months_alert_figures_move_at_every_level(quiet, alert_producer):
    facts_refresh(periods=[Period.current()])
    assert figure(quiet.city.code) == 0
    deliver("medical", [medical_row(head(quiet.home), "JS001", 8000)], region=quiet.county)
    run = screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MANUAL)
    assert run.alerts_new == 1
    assert figure(quiet.village.code) == figure(quiet.county.code) == figure(quiet.city.code) == 1
    assert figure(quiet.far_village.code) == 0
    refreshed = FactRefresh.objects.order_by("-pk").first()
    assert refreshed is not None and refreshed.scope == "筛查后更新"
    assert refreshed.periods == f"{PERIOD},{NOW}"  # the screened month and this one
    assert marks() == set()  # the run refreshed itself: it marks nothing


# --- the refresh of marked villages -----------------------------------------------------------------------------


def test_a_change_marked_while_a_refresh_reads_stays_marked_for_the_next_one(quiet, monkeypatch):
    def meanwhile(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
        facts_mark_stale([quiet.village.code])  # a case advanced in the village as the refresh read it
        return []

    monkeypatch.setitem(PRODUCERS, "meanwhile", Producer("meanwhile", ("test.meanwhile",), meanwhile))
    facts_mark_stale([quiet.village.code, quiet.far_village.code])
    facts_refresh_stale()
    assert marks() == {(quiet.village.code, NOW)}


def test_a_refresh_that_fails_puts_back_the_marks_it_took(quiet, monkeypatch):
    def broken(period: Period, villages: Sequence[str] | None) -> Iterable[Row]:
        raise RuntimeError("source table unreadable")

    monkeypatch.setitem(PRODUCERS, "broken", Producer("broken", ("test.broken",), broken))
    facts_mark_stale([quiet.village.code])
    with pytest.raises(RuntimeError):
        facts_refresh_stale()
    assert marks() == {(quiet.village.code, NOW)}


def test_a_month_with_many_stale_villages_is_recomputed_for_every_village(quiet, monkeypatch):
    monkeypatch.setattr(report_services, "STALE_ALL_VILLAGES", 1)
    household("3604281002010002", quiet.far_village, "钱七", 5)
    facts_mark_stale([quiet.village.code, quiet.far_village.code])
    facts_refresh_stale()
    assert FactRefresh.objects.order_by("-pk").first().scope.startswith("全部")
    assert marks() == set()
    city = Fact.objects.get(period=NOW, code="registry.households", dim="", region_code=quiet.city.code)
    assert city.value == 4


def test_the_worker_refreshes_marked_villages_and_queues_the_nightly_refresh(quiet):
    household("3604241002010002", quiet.village, "赵六", 4)
    report_jobs.facts_stale_schedule(timezone.now())
    assert marks() == set()
    village = Fact.objects.get(period=NOW, code="registry.households", dim="", region_code=quiet.village.code)
    assert village.value == 2
    at_night = dt.datetime(2026, 12, 6, 3, 30, tzinfo=timezone.get_current_timezone())
    job = report_jobs.facts_nightly_schedule(at_night)
    assert (
        job is not None and job.kind == "facts_refresh" and job.params == {"periods": ["2026-11", "2026-12"]}
    )  # last month too
    assert report_jobs.facts_nightly_schedule(at_night) is None  # once a night
    assert (
        report_jobs.facts_nightly_schedule(
            dt.datetime(2026, 12, 6, 14, tzinfo=timezone.get_current_timezone())
        )
        is None
    )
    old = FactRefresh.objects.create(
        started_at=timezone.now() - dt.timedelta(days=40),
        finished_at=timezone.now() - dt.timedelta(days=40),
        scope="一个多月前",
        periods="2026-10",
    )
    assert worker_run_once()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    assert FactRefresh.objects.order_by("-pk").first().scope == "每日更新"
    assert not FactRefresh.objects.filter(pk=old.pk).exists()  # the log keeps a month


# --- one mark per village and month in a transaction ------------------------------------------------------------


def test_many_alerts_of_one_village_closed_in_bulk_write_one_mark(quiet, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    alerts = [
        alert(quiet, household(f"360424100201{9000 + i}", quiet.village, f"户{i}", 20 + i)) for i in range(5)
    ]
    clear()
    with CaptureQueriesContext(connection) as ctx:
        alerts_bulk_set_status(
            alert_ids=[a.pk for a in alerts],
            status=Alert.Status.VERIFYING,
            note="",
            actor=people["city_admin"],
        )
    inserts = [q for q in ctx.captured_queries if "reports_stalevillage" in q["sql"] and "INSERT" in q["sql"]]
    assert len(inserts) == 1
    assert marks() == {(quiet.village.code, NOW)}


def test_a_mark_rolled_back_with_its_savepoint_is_written_again_by_the_next_change(quiet):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        alert(quiet, quiet.far)
        raise RuntimeError("the change failed")
    assert marks() == set()
    alert(quiet, quiet.far)
    assert marks() == {(quiet.far_village.code, NOW)}


# --- a mark taken while the change that wrote it is still open (PostgreSQL) -------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_refresh_taking_a_mark_waits_for_the_change_that_renewed_it_to_commit():
    """The village was marked before; a change marks it again and is still open when a refresh takes the
    marks. The refresh must not take the mark (and read the village) before the change commits, or the
    change would be read by no refresh at all."""
    import threading

    from django.db import connection, connections, transaction

    from dixian.reports.services import _stale_claim

    if connection.vendor != "postgresql":
        pytest.skip("SQLite's writers take turns: a change and a refresh never overlap")
    village = "360424100201"
    facts_mark_stale([village])
    marked, committing = threading.Event(), threading.Event()
    claimed: dict[str, object] = {}

    def change() -> None:
        try:
            with transaction.atomic():
                facts_mark_stale([village])
                marked.set()
                committing.wait(0.5)  # the refresh starts meanwhile
                # Set as the last step before the commit: a refresh that waited for the commit sees it set. (Set
                # after the commit instead, a loaded machine could run the released refresh before it.)
                committing.set()
        finally:
            connections.close_all()

    def refresh() -> None:
        try:
            taken = _stale_claim([Period.current()], None, None)
            claimed["taken"], claimed["after_commit"] = taken, committing.is_set()
        finally:
            connections.close_all()

    writer = threading.Thread(target=change)
    writer.start()
    assert marked.wait(30)
    reader = threading.Thread(target=refresh)
    reader.start()
    writer.join(60)
    reader.join(60)
    assert claimed["taken"] == {str(Period.current()): [village]}
    assert claimed["after_commit"]  # it waited for the change's commit
