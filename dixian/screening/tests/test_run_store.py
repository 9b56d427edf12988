"""A screening run stores what the engine found: merged alerts, evidence with its rule version and
delivery, case evidence for monitored households, the 应纳未纳 list, and nothing twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from dixian.cases.models import Alert, AlertEvidence, UnmatchedRecord
from dixian.common.models import ChangeLog
from dixian.common.testing import fake_id
from dixian.registry.models import IncomeLine
from dixian.screening import store
from dixian.screening.models import Rule, RuleVersion, ScreeningRun
from dixian.screening.services import ScreeningFailed, screening_run

from .run_fixtures import PERIOD, deliver, head, major_illness_row, medical_row

pytestmark = pytest.mark.django_db


def run(**kwargs):
    return screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MANUAL, **kwargs)


def visit_alert(world, *, raised_days_ago: int = 0, due_in_days: int = 15) -> Alert:
    """The home household's open 黄 illness alert from a cadre visit (one piece of evidence)."""
    raised = timezone.now() - dt.timedelta(days=raised_days_ago)
    return Alert.objects.create(
        household=world.home,
        region=world.village,
        region_code=world.home.region_code,
        risk_code="01",
        grade="黄",
        grade_rank=3,
        reason="走访发现:户主住院",
        channels=["cadre_visit"],
        evidence_count=1,
        raised_at=raised,
        due_date=timezone.localdate() + dt.timedelta(days=due_in_days),
        last_evidence_at=raised,
    )


def test_medical_and_major_illness_evidence_merge_into_one_alert_with_two_evidences(world):
    person = head(world.home)
    medical = deliver("medical", [medical_row(person, "JS001", 8000)], region=world.county)
    illness = deliver("major_illness", [major_illness_row(person)], region=world.county)

    result = run()

    alerts = Alert.objects.filter(household=world.home, risk_code="01")
    assert alerts.count() == 1
    alert = alerts.get()
    evidences = {e.rule_version.rule.rule_id: e for e in alert.evidences.select_related("rule_version__rule")}
    assert set(evidences) == {"R01", "R03"}
    assert evidences["R01"].delivery == medical and evidences["R01"].feed == "medical"
    assert evidences["R03"].delivery == illness and evidences["R03"].feed == "major_illness"
    assert evidences["R01"].record_keys == ["JS001"]
    assert evidences["R01"].amount == Decimal("8000.00")
    assert alert.evidence_count == 2
    assert alert.channels == ["department"]
    assert alert.region == world.village and alert.region_code == world.home.region_code
    assert "恶性肿瘤" in alert.reason and "8,000" in alert.reason
    assert result.alerts_new == 1 and result.evidence_new == 2


def test_alert_grade_and_deadline_follow_the_most_urgent_evidence(world):
    # 8,000 元 against a household income of 23,200: 橙 (R01), and 橙 for the major illness (R03).
    # 12,000 元 is over half of the income: 红, due in 3 days.
    person = head(world.home)
    deliver("medical", [medical_row(person, "JS001", 12000)], region=world.county)
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC), tick=False):
        run()
    alert = Alert.objects.get(household=world.home, risk_code="01")
    assert (alert.grade, alert.grade_rank) == ("红", 1)
    assert alert.due_date == dt.date(2026, 11, 5)
    assert alert.raised_at == dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)


def test_new_evidence_merges_into_the_households_open_alert_from_another_line(world):
    opened = visit_alert(world, raised_days_ago=2, due_in_days=13)
    deliver("medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county)

    result = run()

    opened.refresh_from_db()
    assert Alert.objects.filter(household=world.home, risk_code="01").count() == 1
    assert opened.channels == ["cadre_visit", "department"]
    assert opened.grade == "橙" and opened.grade_rank == 2
    assert opened.due_date == timezone.localdate() + dt.timedelta(days=7)
    assert opened.reason.startswith("走访发现:户主住院;")
    assert opened.evidence_count == 2
    assert result.alerts_new == 0 and result.evidence_new == 1


def test_an_alert_opened_by_another_line_while_the_run_stores_gets_the_runs_evidence(world, monkeypatch):
    """PostgreSQL: between the run's look-up of open alerts and its insert, a visit opens the same household
    and risk. The insert skips that pair (ON CONFLICT) and the run merges its evidence into the visit's alert
    instead of counting an alert it did not create. (SQLite cannot interleave: a run's write transaction
    begins IMMEDIATE.)"""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL lets another writer in while a run stores")
    deliver("medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county)
    real_insert = store.insert_columns

    def visit_first(model, n, columns, **kwargs):
        if model is Alert:  # the visit commits just before the run's insert
            visit_alert(world)
        return real_insert(model, n, columns, **kwargs)

    monkeypatch.setattr(store, "insert_columns", visit_first)
    result = run()

    alert = Alert.objects.get(household=world.home, risk_code="01")
    assert alert.channels == ["cadre_visit", "department"] and alert.evidence_count == 2
    assert alert.grade == "橙" and alert.reason.startswith("走访发现:户主住院;")
    assert AlertEvidence.objects.get(alert=alert).rule_version.rule.rule_id == "R01"
    assert result.alerts_new == 0
    assert not ChangeLog.objects.filter(
        entity="alert", entity_id=alert.pk, reference__startswith="screening:"
    )


def test_an_alert_opened_and_closed_by_another_line_while_the_run_stores_fails_the_run_cleanly(
    world, monkeypatch
):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL lets another writer in while a run stores")
    deliver("medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county)
    real_insert = store.insert_columns

    def opened_then_closed(model, n, columns, **kwargs):
        if model is not Alert:
            return real_insert(model, n, columns, **kwargs)
        other = visit_alert(world)
        inserted = real_insert(model, n, columns, **kwargs)
        Alert.objects.filter(pk=other.pk).update(status=Alert.Status.DISMISSED)
        return inserted

    monkeypatch.setattr(store, "insert_columns", opened_then_closed)
    with pytest.raises(ScreeningFailed, match="请重新运行本期筛查"):
        run()
    assert ScreeningRun.objects.get().status == ScreeningRun.Status.FAILED
    assert not AlertEvidence.objects.exists()


def test_rows_are_inserted_column_by_column_with_constants_json_dates_and_money(world):
    from django.db import IntegrityError, transaction

    run_row = ScreeningRun.objects.create(period=PERIOD, trigger=ScreeningRun.Trigger.MANUAL)
    now = timezone.now()
    columns = {
        "household_id": [world.home.pk, world.neighbour.pk],
        "region_code": [world.home.region_code, world.neighbour.region_code],
        "risk_code": ["01", "02"],
        "channel": store.Const("department"),
        "grade": ["红", "黄"],
        "reason": ["甲", "乙'; --"],
        "record_keys": store._json_texts([["JS1", "JS2"], []]),
        "amount": [Decimal("23400.50"), None],
        "run_id": store.Const(run_row.pk),
        "dedup_key": ["k1", "k2"],
        "created_at": store.Const(now),
    }
    store.insert_columns(AlertEvidence, 2, columns)
    store.insert_columns(AlertEvidence, 2, columns)  # the same keys again: skipped
    rows = {e.dedup_key: e for e in AlertEvidence.objects.filter(run=run_row)}
    assert set(rows) == {"k1", "k2"}
    assert rows["k1"].record_keys == ["JS1", "JS2"] and rows["k2"].record_keys == []
    assert rows["k1"].amount == Decimal("23400.50") and rows["k2"].amount is None
    assert rows["k2"].reason == "乙'; --" and rows["k1"].created_at == now
    assert rows["k1"].feed == "" and rows["k1"].alert_id is None  # not given: the field's default
    with pytest.raises(IntegrityError), transaction.atomic():
        store.insert_columns(AlertEvidence, 2, columns, on_conflict=False)
    with pytest.raises(ValueError, match="1 values for 2 rows"):
        store.insert_columns(AlertEvidence, 2, {**columns, "grade": ["红"]})
    with pytest.raises(ValueError, match="no columns"):
        store.insert_columns(AlertEvidence, 2, {**columns, "colour": ["红", "黄"]})


def test_rerunning_a_period_adds_nothing(world):
    deliver("medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county)
    deliver(
        "medical",
        [medical_row(None, "JS009", 300, id_number=fake_id("360499", dt.date(1990, 1, 1), 7))],
        region=world.county,
    )
    first = run()
    counts = (Alert.objects.count(), AlertEvidence.objects.count(), UnmatchedRecord.objects.count())
    alert = Alert.objects.get()
    second = run()

    assert (first.alerts_new, first.evidence_new, first.unmatched_new) == (1, 1, 1)
    assert (second.alerts_new, second.evidence_new, second.case_evidence_new, second.unmatched_new) == (
        0,
        0,
        0,
        0,
    )
    assert (Alert.objects.count(), AlertEvidence.objects.count(), UnmatchedRecord.objects.count()) == counts
    before = alert.updated_at
    alert.refresh_from_db()
    assert alert.updated_at == before and alert.evidence_count == 1


def test_a_dismissed_alert_is_not_reopened_by_the_same_evidence(world):
    deliver("medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county)
    run()
    Alert.objects.update(status=Alert.Status.DISMISSED)
    again = run()
    assert again.alerts_new == 0
    assert Alert.objects.filter(status__in=Alert.OPEN_STATUSES).count() == 0


def test_a_new_rule_version_does_not_bring_back_an_alert_ruled_out_for_the_same_facts(world, people):
    deliver("medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county)
    run()
    Alert.objects.update(status=Alert.Status.DISMISSED)
    v1 = RuleVersion.objects.get(rule__rule_id="R01", version=1)
    RuleVersion.objects.create(
        rule=v1.rule,
        version=2,
        risk_code=v1.risk_code,
        grade=v1.grade,
        template=v1.template.replace("超过", "高于"),  # a new wording
        params={**v1.params, "threshold_ex_poor": 7000},
        escalations=v1.escalations,
        created_by=people["city_admin"],
    )

    again = run()

    assert "R01v2" in again.rules_run
    assert (again.alerts_new, again.evidence_new) == (0, 0)
    assert Alert.objects.filter(status__in=Alert.OPEN_STATUSES).count() == 0
    assert AlertEvidence.objects.get().rule_version == v1  # the version that found the fact first

    # A new fact under the new version raises a new alert.
    deliver("medical", [medical_row(head(world.home), "JS002", 900)], region=world.county, period="2026-11")
    later = screening_run(period="2026-11", trigger=ScreeningRun.Trigger.MANUAL)
    assert later.alerts_new == 1
    assert Alert.objects.get(status=Alert.Status.OPEN).evidences.get().rule_version.version == 2


def test_evidence_for_a_risk_the_household_is_monitored_for_goes_to_its_case(world):
    Alert.objects.create(
        household=world.neighbour,
        region=world.other_village,
        region_code=world.neighbour.region_code,
        risk_code="01",
        grade="橙",
        grade_rank=2,
        status=Alert.Status.CONFIRMED,
        reason="已纳入监测",
        channels=["department"],
        raised_at=timezone.now(),
        due_date=timezone.localdate(),
        last_evidence_at=timezone.now(),
    )
    deliver("medical", [medical_row(head(world.neighbour), "JS002", 9000)], region=world.county)

    result = run()

    evidence = AlertEvidence.objects.get(household=world.neighbour)
    assert evidence.alert is None
    assert evidence.risk_code == "01" and evidence.rule_version.rule.rule_id == "R01"
    assert Alert.objects.filter(household=world.neighbour, status=Alert.Status.OPEN).count() == 0
    assert (result.alerts_new, result.case_evidence_new) == (0, 1)


def test_unmatched_records_are_routed_to_the_village_they_name_or_the_delivery_region(world):
    stranger = fake_id("360499", dt.date(1990, 1, 1), 7)
    delivery = deliver(
        "medical",
        [
            medical_row(None, "JS101", 300, id_number=stranger, village_code=world.other_village.code),
            medical_row(None, "JS102", 300, name="钱七", id_number=None),
            medical_row(None, "JS103", 300, id_number=stranger[:-1] + "0", village_code="360424999999"),
        ],
        region=world.county,
    )

    result = run()

    records = {r.record_key: r for r in UnmatchedRecord.objects.all()}
    assert set(records) == {"JS101", "JS102", "JS103"}
    assert records["JS101"].region == world.other_village and records["JS101"].problem == "not_found"
    assert records["JS102"].region == world.county and records["JS102"].problem == "missing"
    assert records["JS103"].region == world.county  # the named village does not exist
    assert records["JS101"].region_code == world.other_village.code
    assert all(r.delivery == delivery and r.run_id == result.pk for r in records.values())
    assert "证件号码在农户信息库中不存在" in records["JS101"].reason
    assert result.unmatched_new == 3


def test_a_record_older_than_the_windows_in_this_periods_delivery_is_listed_not_dropped(world):
    stranger = fake_id("360499", dt.date(1990, 1, 1), 7)
    old = dict(medical_row(None, "JS-OLD", 300, id_number=stranger), settlement_date=dt.date(2025, 3, 1))
    deliver("medical", [old], region=world.county)
    # An older period's delivery: its old rows were for the run of its own period to list.
    earlier = dict(old, settlement_no="JS-2025")
    deliver("medical", [earlier], region=world.county, period="2025-12")

    result = run()

    assert set(UnmatchedRecord.objects.values_list("record_key", flat=True)) == {"JS-OLD"}
    assert result.unmatched_new == 1


def test_each_evidence_records_the_rule_version_that_raised_it(world, people):
    rule = Rule.objects.get(rule_id="R01")
    v1 = rule.versions.get(version=1)
    v2 = RuleVersion.objects.create(
        rule=rule,
        version=2,
        risk_code=v1.risk_code,
        grade=v1.grade,
        template=v1.template,
        params={**v1.params, "threshold_ex_poor": 7000},
        escalations=v1.escalations,
        created_by=people["city_admin"],
    )
    deliver("medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county)
    run()
    evidence = AlertEvidence.objects.get(household=world.home)
    assert evidence.rule_version == v2
    assert "7,000" in evidence.reason and "第2版" in evidence.reason


def test_inactive_rules_do_not_run(world):
    Rule.objects.filter(rule_id="R01").update(is_active=False)
    deliver("medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county)
    result = run()
    assert "R01v1" not in result.rules_run
    assert not AlertEvidence.objects.exists()


def r12_edit(people, line: dict[str, int], region_prefix: str = "") -> RuleVersion:
    """A new R12 version with this line, as the rules page saves it."""
    from dixian.screening.services_rules import rule_version_create

    base = RuleVersion.objects.get(rule__rule_id="R12", version=1)
    return rule_version_create(
        rule=base.rule,
        base=base,
        region_prefix=region_prefix,
        grade=base.grade,
        template=base.template,
        params={**base.params, "income_line": {**base.params["income_line"], **line}},
        valid_from=None,
        note="录入正式标准",
        actor=people["city_admin"],
    )


def test_the_income_line_is_the_r12_versions_by_region_and_the_income_line_table_follows(world, people):
    # Per-capita net income of the test households is 11,600 元 (2025).
    city = r12_edit(people, {"2025": 12000})
    county = r12_edit(people, {"2025": 9000}, region_prefix=world.other_county.prefix)

    run()

    r12 = AlertEvidence.objects.filter(rule_version__rule__rule_id="R12")
    assert {e.household for e in r12} == {world.home, world.neighbour}  # not `far`, in the other county
    assert all(e.threshold == Decimal("12000.00") and e.feed == "" and e.delivery is None for e in r12)
    assert {e.rule_version for e in r12} == {city}
    assert "12,000" in r12.first().reason and f"第{city.version}版" in r12.first().reason
    # What household pages compare incomes with: the same lines, no longer examples where they changed.
    lines = {(line.region, line.year): line for line in IncomeLine.objects.filter(year=2025)}
    assert lines[(None, 2025)].amount == Decimal("12000") and not lines[(None, 2025)].is_example
    assert lines[(world.other_county, 2025)].amount == Decimal("9000") and county.region_prefix


def test_the_income_line_table_alone_changes_nothing_a_run_does(world):
    IncomeLine.objects.update_or_create(region=None, year=2025, defaults={"amount": Decimal("50000")})
    run()
    assert not AlertEvidence.objects.filter(rule_version__rule__rule_id="R12").exists()


def test_the_upgrade_carries_the_income_line_table_into_r12_versions(world):
    """Migration screening 0002: the lines runs used until the upgrade (the table's, over every version)
    become R12's own, so that the upgrade changes no result."""
    import importlib

    from django.apps import apps

    fold = importlib.import_module("dixian.screening.migrations.0002_income_line_into_rule_versions").fold
    IncomeLine.objects.update_or_create(region=None, year=2025, defaults={"amount": Decimal("12000")})
    IncomeLine.objects.create(region=world.other_county, year=2025, amount=Decimal("9000"))

    fold(apps, None)
    fold(apps, None)  # again: nothing more

    versions = {v.region_prefix: v for v in RuleVersion.objects.filter(rule__rule_id="R12", version__gt=1)}
    assert set(versions) == {"", world.other_county.prefix}
    assert versions[""].params["income_line"] == {"2023": 7600, "2024": 7900, "2025": 12000, "2026": 8500}
    assert versions[world.other_county.prefix].params["income_line"]["2025"] == 9000
    assert versions[world.other_county.prefix].params["income_line"]["2026"] == 8500
    run()
    r12 = AlertEvidence.objects.filter(rule_version__rule__rule_id="R12")
    assert {e.household for e in r12} == {world.home, world.neighbour}


def test_deliveries_read_by_a_run_are_marked_screened(world):
    delivery = deliver("medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county)
    later = deliver(
        "medical", [medical_row(head(world.home), "JS002", 100)], region=world.county, period="2026-11"
    )
    result = run()
    delivery.refresh_from_db()
    later.refresh_from_db()
    assert delivery.status == "screened" and delivery.screened_at is not None
    assert later.status == "accepted" and later.screened_at is None
    assert result.deliveries == [delivery.pk]


def test_a_record_sent_in_two_deliveries_points_to_the_first_one(world):
    person = head(world.home)
    first = deliver("medical", [medical_row(person, "JS001", 3000)], region=world.county)
    deliver(
        "medical",
        [medical_row(person, "JS001", 3000), medical_row(person, "JS002", 4000)],
        region=world.county,
    )
    run()
    evidence = AlertEvidence.objects.get(household=world.home, rule_version__rule__rule_id="R01")
    assert sorted(evidence.record_keys) == ["JS001", "JS002"]
    assert evidence.amount == Decimal("7000.00")
    assert evidence.delivery == first


def test_a_failure_while_storing_leaves_nothing_written_and_the_run_failed(world, monkeypatch):
    deliver("medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county)
    deliver("medical", [medical_row(None, "JS102", 300, name="钱七", id_number=None)], region=world.county)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_unmatched_store", broken)
    with pytest.raises(ScreeningFailed, match="没有写入任何结果"):
        run()
    assert not Alert.objects.exists() and not AlertEvidence.objects.exists()
    assert not ChangeLog.objects.filter(entity="alert").exists()
    failed = ScreeningRun.objects.get()
    assert failed.status == ScreeningRun.Status.FAILED and failed.finished_at is not None


def test_a_new_alert_has_an_audit_row_naming_the_run(world):
    deliver("medical", [medical_row(head(world.home), "JS001", 8000)], region=world.county)
    result = run()
    alert = Alert.objects.get()
    log = ChangeLog.objects.get(entity="alert", entity_id=alert.pk)
    assert log.household_id == world.home.pk and log.reference == f"screening:{result.pk}"
    assert ChangeLog.objects.filter(entity="screening_run", entity_id=result.pk).exists()
    assert set(result.timings) >= {"load_registry", "engine", "store", "total"}


_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 2**40),
            _TEXT,
            _TEXT,
            st.integers(1, 999),
            st.one_of(st.none(), _TEXT),
            st.one_of(st.none(), st.lists(_TEXT, max_size=4)),
        ),
        max_size=8,
    )
)
def test_the_dedup_keys_computed_in_bulk_are_those_of_evidence_dedup_key(rows) -> None:
    """The run hashes its evidence keys in DuckDB; declarations and visits with the Python function. Both
    must give the same key for the same fact, byte for byte (quotes, separators, empty and missing parts)."""
    import pyarrow as pa

    from dixian.cases.services import evidence_dedup_key
    from dixian.screening.store import DEPARTMENT, dedup_keys

    table = pa.table(
        {
            "risk_code": pa.array([r[1] for r in rows], pa.string()),
            "rule_id": pa.array([r[2] for r in rows], pa.string()),
            "rule_version": pa.array([r[3] for r in rows], pa.int32()),
            "feed": pa.array([r[4] for r in rows], pa.string()),
            "record_keys": pa.array([r[5] for r in rows], pa.list_(pa.string())),
        }
    )
    expected = [
        evidence_dedup_key(pk, risk, DEPARTMENT, rule, feed or "", "|".join(sorted(keys or [])))
        for pk, risk, rule, _version, feed, keys in rows
    ]
    assert dedup_keys(table, pa.array([r[0] for r in rows], pa.int64())) == expected
