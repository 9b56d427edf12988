"""Incremental screening (docs/scale.md §3): after any sequence of deliveries and registry edits, the
incremental runs the changes queue store exactly what a full run of the period would have stored.

Each step applies one change (a delivery, or a registry edit through the models, whose signals queue the
`screen_households` job after the commit), sometimes after a new version of R01. Before the incremental job
runs, a full run is made inside a savepoint, its result noted and rolled back; then the worker runs the
queued job. Both results (alerts, their evidence, 应纳未纳) must be the same.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from dixian.cases.models import Alert, AlertEvidence, UnmatchedRecord
from dixian.common.jobs import worker_run_once
from dixian.common.models import Job
from dixian.common.testing import fake_id
from dixian.registry.models import Household, HouseholdIncome, Person
from dixian.screening.models import RuleVersion, ScreeningRun
from dixian.screening.registry_changes import _HELD, registry_changed
from dixian.screening.scope import Scope
from dixian.screening.services import screening_enqueue_for_delivery, screening_run

from .run_fixtures import PERIOD, deliver

pytestmark = pytest.mark.django_db

# ID numbers nobody in the registry has at first: rows about them are 应纳未纳 until a person gets one.
STRANGERS = [fake_id("360424", dt.date(1990, 1, 1), 40 + i) for i in range(2)]
KEYS = ["JS1", "JS2", "JS3"]  # few settlement numbers: rows of different persons share them (a re-sent key)


class _Rollback(Exception):
    pass


def snapshot() -> dict[str, Any]:
    """What runs stored, without keys or times that differ between two runs of the same facts."""
    alert_of = {a.pk: (a.household_id, a.risk_code) for a in Alert.objects.all()}
    return {
        "alerts": sorted(
            (a.household_id, a.risk_code, a.status, a.grade, a.evidence_count, a.reason)
            for a in Alert.objects.all()
        ),
        "evidence": sorted(
            (key, alert_of.get(alert), hh, risk, grade, version, delivery, reason)
            for key, alert, hh, risk, grade, version, delivery, reason in AlertEvidence.objects.values_list(
                "dedup_key",
                "alert_id",
                "household_id",
                "risk_code",
                "grade",
                "rule_version_id",
                "delivery_id",
                "reason",
            )
        ),
        "unmatched": sorted(
            UnmatchedRecord.objects.values_list("feed", "record_key", "problem", "region_id", "delivery_id")
        ),
    }


def full_run_result() -> dict[str, Any]:
    """A full run of the period, noted and rolled back."""
    seen: dict[str, Any] = {}
    try:
        with transaction.atomic():
            screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MANUAL)
            seen.update(snapshot())
            raise _Rollback
    except _Rollback:
        pass
    return seen


def _person(index: int) -> Person:
    persons = list(Person.objects.order_by("pk"))
    return persons[index % len(persons)]


def _household(index: int) -> Household:
    households = list(Household.objects.order_by("pk"))
    return households[index % len(households)]


def _free_stranger() -> str | None:
    taken = set(Person.objects.filter(id_number__in=STRANGERS).values_list("id_number", flat=True))
    return next((s for s in STRANGERS if s not in taken), None)


def apply(step: tuple, world: Any, capture: Any, sent: set) -> bool:
    """Apply one change; True when it queued a screening job."""
    kind, a, b, c = step
    if kind in ("medical", "housing", "water"):
        if kind == "medical":
            who = _person(a) if a >= 0 else None
            rows = [
                {
                    "settlement_no": KEYS[b],
                    "name": who.name if who else "陌生人",
                    "id_number": who.id_number if who else STRANGERS[-a - 1],
                    "visit_type": "住院",
                    "settlement_date": dt.date(2026, 9, 15),
                    "total_cost": [600, 18000, 80000][c] * 2,
                    "out_of_pocket": [600, 18000, 80000][c],
                }
            ]
        elif kind == "housing":
            who = _person(a) if a >= 0 else None
            rows = [
                {
                    "name": who.name if who else "陌生人",
                    "id_number": who.id_number if who else STRANGERS[-a - 1],
                    "appraisal_date": dt.date(2026, 10, 3),
                    "grade": "BCD"[b % 3],
                }
            ]
        else:
            village = [world.village, world.other_village, world.far_village][a % 3]
            rows = [
                {
                    "village_code": village.code,
                    "event_type": "停水",
                    "start_date": [dt.date(2026, 8, 1), dt.date(2026, 10, 25)][b % 2],
                }
            ]
        content = (kind, repr(rows))
        if content in sent:
            return False  # the same content again is the same delivery (feeds answer with the existing one)
        sent.add(content)
        delivery = deliver(kind, rows, region=world.city)
        screening_enqueue_for_delivery(delivery)
        return True
    # Edits made before (the fixtures') left a flush pending for a commit the test transaction never makes:
    # this edit's flush is the one the capture runs.
    transaction.get_connection().__dict__.pop(_HELD, None)
    with capture(execute=True):
        if kind == "income":
            income = HouseholdIncome.objects.filter(household=_household(a)).first()
            if income is None:
                return False
            income.net_income_per_capita = Decimal([3000, 9000, 23200][b % 3])
            income.save()
        elif kind == "household_kind":
            household = _household(a)
            household.kind = ["ex_poor", "ordinary"][b % 2]
            household.save()
        elif kind == "new_id":
            person = _person(a)
            new = _free_stranger() if b % 2 else fake_id("360424", dt.date(1980, 2, 2), 60 + c)
            if new is None or Person.objects.filter(id_number=new).exists():
                return False
            person.id_number = new
            person.save()
        elif kind == "move_person":
            person = _person(a)
            person.household = _household(b)
            person.save()
        elif kind == "delete_person":
            _person(a).delete()
        elif kind == "add_person":
            new = _free_stranger()
            if new is None:
                return False
            household = _household(a)
            Person.objects.create(
                household=household,
                region_code=household.region_code,
                id_number=new,
                name="新成员",
                sex="male",
                birth_date=dt.date(1990, 1, 1),
                relation="child",
                labour_skill="ordinary",
            )
    return Job.objects.filter(kind="screen_households", status=Job.Status.QUEUED).exists()


def new_r01_version() -> None:
    new_version("R01")


def new_version(rule_id: str) -> None:
    """A new version of a rule (R01: its threshold for ex-poor households moves; the others: same params)."""
    latest = RuleVersion.objects.filter(rule__rule_id=rule_id).order_by("-version").first()
    assert latest is not None
    params = dict(latest.params)
    if rule_id == "R01":
        params["threshold_ex_poor"] = 1000 if latest.params["threshold_ex_poor"] > 1000 else 5000
    RuleVersion.objects.create(
        rule=latest.rule,
        version=latest.version + 1,
        region_prefix=latest.region_prefix,
        risk_code=latest.risk_code,
        grade=latest.grade,
        template=latest.template,
        params=params,
        escalations=latest.escalations,
    )


person_ref = st.integers(min_value=-2, max_value=7)  # < 0: a stranger's ID number
steps = st.one_of(
    st.tuples(st.just("medical"), person_ref, st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("housing"), person_ref, st.integers(0, 2), st.just(0)),
    st.tuples(st.just("water"), st.integers(0, 2), st.integers(0, 1), st.just(0)),
    st.tuples(
        st.sampled_from(["income", "household_kind", "new_id", "move_person", "delete_person", "add_person"]),
        st.integers(0, 7),
        st.integers(0, 5),
        st.integers(0, 3),
    ),
)


# Five examples in the suite (each is several screening runs, ~5 s); DIXIAN_INCREMENTAL_EXAMPLES=200 for a
# thorough search (docs/scale.md §3).
@settings(
    max_examples=int(os.environ.get("DIXIAN_INCREMENTAL_EXAMPLES", "5")),
    deadline=None,
    # No shrinking: each example is several screening runs, and the steps are noted for a failure.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    # A rule changed before a step: R01 (medical), R12 and R13 (incomes; R13 shares R12's risk, so a
    # household's reasons come from both).
    changes=st.lists(
        st.tuples(st.sampled_from([None, None, "R01", "R12", "R13"]), steps), min_size=1, max_size=4
    ),
    first=st.lists(steps, max_size=2),
)
def test_incremental_runs_store_what_a_full_run_would(
    world, django_capture_on_commit_callbacks, changes, first
):
    try:
        with transaction.atomic():
            sent: set = set()
            pending: set[str] = set()
            # A screened period to begin with: some deliveries and a full (monthly) run.
            for step in first:
                note(f"before the monthly run: {step}")
                if step[0] in ("medical", "housing", "water"):
                    apply(step, world, django_capture_on_commit_callbacks, sent)
            screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MONTHLY)
            Job.objects.all().delete()
            for rule_change, step in changes:
                note(f"step: {f'new {rule_change} version, ' if rule_change else ''}{step}")
                if rule_change:
                    new_version(rule_change)
                    pending.add(rule_change)
                if not apply(step, world, django_capture_on_commit_callbacks, sent):
                    continue
                expected = full_run_result()
                while worker_run_once():
                    pass
                assert not Job.objects.exclude(status=Job.Status.DONE).exists(), list(
                    Job.objects.values_list("kind", "status", "message")
                )
                run = ScreeningRun.objects.order_by("-pk").first()
                assert run is not None and run.mode == ScreeningRun.Mode.INCREMENTAL
                # The rules changed since the last run (a step that queued nothing left its change pending).
                assert run.rules_full == sorted(pending)
                if pending:
                    assert all(r in run.message for r in pending) and "全量" in run.message
                pending.clear()
                assert snapshot() == expected
            raise _Rollback
    except _Rollback:
        pass


def test_registry_edits_are_coalesced_into_one_job_after_the_commit(
    world, django_capture_on_commit_callbacks
):
    screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MONTHLY)
    transaction.get_connection().__dict__.pop(_HELD, None)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        registry_changed(households=[world.home.pk])
        registry_changed(households=[world.neighbour.pk], id_numbers=["X1"])
    assert len(callbacks) == 1 and not Job.objects.filter(kind="screen_households").exists()
    callbacks[0]()
    with django_capture_on_commit_callbacks(execute=True):
        registry_changed(households=[world.far.pk])
    job = Job.objects.get(kind="screen_households")
    assert job.params == {
        "period": PERIOD,
        "household_ids": sorted([world.home.pk, world.neighbour.pk, world.far.pk]),
        "id_numbers": ["X1"],
    }


def test_a_rolled_back_edit_queues_nothing(world, django_capture_on_commit_callbacks):
    screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MONTHLY)
    transaction.get_connection().__dict__.pop(_HELD, None)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                world.home.kind = "ordinary"
                world.home.save()
                raise _Rollback
        except _Rollback:
            pass
    assert callbacks == [] and not Job.objects.filter(kind="screen_households").exists()


def test_before_any_run_an_edit_queues_nothing(world, django_capture_on_commit_callbacks):
    transaction.get_connection().__dict__.pop(_HELD, None)
    with django_capture_on_commit_callbacks(execute=True):
        world.home.kind = "ordinary"
        world.home.save()
    assert not Job.objects.filter(kind="screen_households").exists()


def test_a_rule_version_change_falls_back_to_a_full_run_of_that_rule_and_says_so(world):
    from .run_fixtures import head, medical_row

    screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MONTHLY)
    # The neighbour's settlement of 3,000 元 is under R01's 5,000 元; the new version's 1,000 元 catches it,
    # although the next change is about the far household only.
    deliver("medical", [medical_row(head(world.neighbour), "N1", 3000)], region=world.city)
    screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MONTHLY)
    assert not Alert.objects.filter(household=world.neighbour).exists()
    new_r01_version()
    run = screening_run(
        period=PERIOD, trigger=ScreeningRun.Trigger.REGISTRY, scope=Scope(households={world.far.pk})
    )
    assert run.mode == ScreeningRun.Mode.INCREMENTAL and run.rules_full == ["R01"]
    assert run.message.startswith("增量筛查:只筛查了变更涉及的 1 户;规则 R01 的版本自本期上次筛查后有变更")
    assert Alert.objects.filter(household=world.neighbour, risk_code="01").exists()
    # The next incremental run meets the same rule set: no fallback.
    again = screening_run(
        period=PERIOD, trigger=ScreeningRun.Trigger.REGISTRY, scope=Scope(households={world.far.pk})
    )
    assert again.rules_full == [] and "全量" not in again.message


def test_a_big_delivery_is_screened_in_full_and_the_run_says_so(world, monkeypatch):
    from dixian.screening import services

    from .run_fixtures import head, medical_row

    monkeypatch.setattr(services, "INCREMENTAL_MAX_ROWS", 0)
    delivery = deliver("medical", [medical_row(head(world.home), "B1", 8000)], region=world.city)
    screening_enqueue_for_delivery(delivery)
    assert worker_run_once()
    run = ScreeningRun.objects.get()
    assert run.mode == ScreeningRun.Mode.FULL and run.message.startswith("报送行数较多,本次按全量筛查。")
    assert Alert.objects.filter(household=world.home, risk_code="01").exists()


def test_a_scope_of_a_household_that_is_gone_screens_nothing_and_fails_nothing(world):
    screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MONTHLY)
    run = screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.REGISTRY, scope=Scope(households={10**9}))
    assert (run.status, run.mode, run.households, run.alerts_new) == ("done", "incremental", 0, 0)


def test_the_run_page_says_an_incremental_run_and_its_households(world, people, client):
    from django.urls import reverse

    screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MONTHLY)
    run = screening_run(
        period=PERIOD, trigger=ScreeningRun.Trigger.REGISTRY, scope=Scope(households={world.home.pk})
    )
    client.force_login(people["city_admin"])
    page = client.get(reverse("screening:run_detail", args=[run.pk])).content.decode()
    assert "增量筛查:变更涉及 1 户" in page and "信息库变更" in page


def test_an_incremental_run_marks_its_villages_for_the_figures_instead_of_refreshing_the_city(world):
    from dixian.reports.models import StaleVillage

    from .run_fixtures import head, medical_row

    screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MONTHLY)
    StaleVillage.objects.all().delete()
    deliver("medical", [medical_row(head(world.neighbour), "S1", 9000)], region=world.city)
    run = screening_run(
        period=PERIOD, trigger=ScreeningRun.Trigger.REGISTRY, scope=Scope(households={world.neighbour.pk})
    )
    assert run.alerts_new == 1
    assert set(StaleVillage.objects.values_list("region_code", flat=True)) == {world.other_village.code}


def test_an_id_number_that_left_a_person_is_screened_with_the_household_now_holding_it(world):
    from .run_fixtures import head, medical_row

    # A settlement of the home's head, then a full run: an alert for the home.
    before = head(world.home)
    given_up = before.id_number
    deliver("medical", [medical_row(before, "G1", 8000)], region=world.city)
    screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MONTHLY)
    # The head gives the number up and, before the queued job runs, a bulk write (no signal) gives it to the
    # far household's head: the row is now that household's evidence, not 应纳未纳.
    Person.objects.filter(pk=before.pk).update(id_number=fake_id("360424", dt.date(1980, 3, 3), 77))
    Person.objects.filter(pk=head(world.far).pk).update(id_number=given_up)
    expected = full_run_result()
    screening_run(
        period=PERIOD,
        trigger=ScreeningRun.Trigger.REGISTRY,
        scope=Scope(households={world.home.pk}, id_numbers={given_up}),
    )
    assert snapshot() == expected
    assert Alert.objects.filter(household=world.far, risk_code="01").exists()


def test_a_delivery_s_full_run_of_some_feeds_keeps_the_versions_of_the_rules_it_did_not_run(
    world, monkeypatch
):
    from dixian.screening import loading, services

    from .run_fixtures import head

    monthly = screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MONTHLY)
    new_r01_version()
    # A housing delivery screened in full reads housing only: R01 (medical) was not run with its new version.
    monkeypatch.setattr(services, "INCREMENTAL_MAX_ROWS", 0)
    row = {"name": "x", "id_number": head(world.home).id_number, "appraisal_date": dt.date(2026, 10, 3)}
    housing = deliver("housing", [{**row, "grade": "D"}], region=world.city)
    run = screening_run(
        period=PERIOD, trigger=ScreeningRun.Trigger.DELIVERY, changed=[housing], scope=Scope()
    )
    assert run.mode == ScreeningRun.Mode.FULL
    assert (
        run.rule_set["R01"]
        == monthly.rule_set["R01"]
        != services.rule_set_of(loading.rules_load(), PERIOD)["R01"]
    )
    later = screening_run(
        period=PERIOD, trigger=ScreeningRun.Trigger.REGISTRY, scope=Scope(households={world.far.pk})
    )
    assert later.rules_full == ["R01"]


def test_a_households_job_keeps_no_plain_id_numbers_once_it_has_run(
    world, django_capture_on_commit_callbacks
):
    from .run_fixtures import head

    screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MONTHLY)
    person = head(world.home)
    old = person.id_number
    transaction.get_connection().__dict__.pop(_HELD, None)
    with django_capture_on_commit_callbacks(execute=True):
        person.id_number = fake_id("360424", dt.date(1980, 4, 4), 78)
        person.save()
    job = Job.objects.get(kind="screen_households")
    assert job.params["id_numbers"] == [old]
    assert worker_run_once()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert old not in repr(job.params) and job.params["id_numbers_count"] == 1


def test_a_scope_still_growing_after_the_last_round_is_screened_in_full_and_the_run_says_so(
    world, monkeypatch
):
    from dixian.screening import scope

    from .run_fixtures import head, medical_row

    screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MONTHLY)
    # One settlement number sent for two households: the home's rows bring the far household in a second round.
    rows = [medical_row(head(world.home), "S1", 8000), medical_row(head(world.far), "S1", 9000)]
    deliver("medical", rows, region=world.city)
    monkeypatch.setattr(scope, "MAX_ROUNDS", 1)
    expected = full_run_result()
    run = screening_run(
        period=PERIOD, trigger=ScreeningRun.Trigger.REGISTRY, scope=Scope(households={world.home.pk})
    )
    assert run.mode == ScreeningRun.Mode.FULL
    assert run.message.startswith("变更涉及的户经相同记录号相互牵连超过 1 轮,本次按全量筛查。")
    assert snapshot() == expected


def test_a_household_in_the_scope_and_in_the_full_run_of_a_changed_rule_gets_a_full_run_s_alert(world):
    from .run_fixtures import head, major_illness_row, medical_row

    screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MONTHLY)
    # Both of the home's facts are of risk 01 (R01 and R03); R03 has a new version since the last run.
    deliver("medical", [medical_row(head(world.home), "M1", 8000)], region=world.city)
    deliver("major_illness", [major_illness_row(head(world.home))], region=world.city)
    new_version("R03")
    expected = full_run_result()
    run = screening_run(
        period=PERIOD, trigger=ScreeningRun.Trigger.REGISTRY, scope=Scope(households={world.home.pk})
    )
    assert run.rules_full == ["R03"]
    assert snapshot() == expected
    assert Alert.objects.get(household=world.home, risk_code="01").evidence_count == 2


def test_a_bulk_move_queues_the_household_left_as_well_as_the_one_joined(
    world, django_capture_on_commit_callbacks
):
    from dixian.registry.signals import person_moved

    from .run_fixtures import head

    screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MONTHLY)
    member = Person.objects.filter(household=world.home).exclude(pk=head(world.home).pk).first()
    assert member is not None
    transaction.get_connection().__dict__.pop(_HELD, None)
    with django_capture_on_commit_callbacks(execute=True):
        # As the registry import moves a member to another village: a bulk update, then the signal.
        Person.objects.filter(pk=member.pk).update(household=world.far, region_code=world.far.region_code)
        person_moved.send(
            sender=Person, moves={member.pk: world.far.region_code}, left={member.pk: world.home.pk}
        )
    job = Job.objects.get(kind="screen_households")
    assert sorted(job.params["household_ids"]) == sorted([world.home.pk, world.far.pk])


def test_an_edit_whose_screening_cannot_be_queued_is_saved_and_the_failure_logged(
    world, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    from django.db import OperationalError

    from dixian.screening import registry_changes

    def locked(**_: object) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(registry_changes, "registry_changes_enqueue", locked)
    transaction.get_connection().__dict__.pop(_HELD, None)
    with django_capture_on_commit_callbacks(execute=True):
        world.home.kind = "ordinary"
        world.home.save()
    world.home.refresh_from_db()
    assert world.home.kind == "ordinary"
    assert "could not queue the screening" in caplog.text


def test_a_deleted_delivery_s_sidecar_is_removed(world):
    from dixian.screening.scope import sidecar_write

    from .run_fixtures import head, medical_row

    delivery = deliver("medical", [medical_row(head(world.home), "D1", 8000)], region=world.city)
    path = sidecar_write(delivery)
    assert path.exists()
    delivery.delete()
    assert not path.exists()
