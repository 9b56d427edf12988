"""疑点核查 (docs/domain.md §20.1): each rule finds what it should and nothing more; findings open, stay,
and resolve themselves when the data is fixed; the command and the nightly schedule run them."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dixian.domain import lifecycle as lc
from dixian.monitoring import consistency as cc
from dixian.monitoring.jobs import consistency_schedule
from dixian.monitoring.models import ConsistencyFinding, Measure, MonitoringCase
from dixian.monitoring.services import case_from_import
from dixian.registry.models import HelperAssignment, HouseholdIncome, Person
from dixian.registry.testing import build_world, personas

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 6)


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def people(world):
    return personas(world)  # the helper is paired with world.home


def monitored(household, *, identified=dt.date(2025, 3, 1), risks=("01",), measures=(("health", "applied"),)):
    case = case_from_import(
        household=household, identified_on=identified, category="edge", risk_codes=list(risks)
    )
    assert case is not None
    for category, status in measures:
        Measure.objects.create(
            case=case,
            category=category,
            item="措施",
            start_on=identified,
            deliverer="乡镇",
            status=status,
            applied_on=identified if status == "applied" else None,
        )
    return case


def eliminated(household, *, identified, on, method=lc.ASSISTED):
    case = monitored(household, identified=identified)
    MonitoringCase.objects.filter(pk=case.pk).update(
        state=lc.ELIMINATED, eliminated_on=on, elimination_method=method, closed_at=timezone.now()
    )
    return case


def codes(prefix: str = "") -> set[tuple[str, int]]:
    return {(h.code, h.household_id) for h in cc.consistency_hits(prefix=prefix, today=TODAY)}


def labour(household, skill: str) -> None:
    Person.objects.filter(household=household).update(labour_skill=skill)


def test_a_clean_monitored_household_raises_nothing(world, people):
    monitored(world.home, measures=(("health", "applied"), ("employment", "applied")))
    assert codes() == set()


def test_each_monitored_rule_finds_its_household(world, people):
    home = world.home  # a helper, two labourers
    monitored(home, risks=("07",), measures=(("social_security", "applied"),))
    found = codes()
    # 07 with labourers is fine; the plan answers no 07 and is 综合保障 only, with no development measure.
    assert found == {
        ("measures_mismatch", home.pk),
        ("safety_net_only", home.pk),
        ("no_development_measure", home.pk),
    }
    labour(home, "none")
    # Without labour: 07 is implausible, and the two labour rules no longer apply.
    assert codes() == {("risk07_no_labour", home.pk), ("measures_mismatch", home.pk)}


def test_no_helper_and_the_grace_month_for_measures(world, people):
    neighbour = world.neighbour  # nobody is paired with it
    monitored(neighbour, identified=TODAY - dt.timedelta(days=20), measures=())
    assert codes() == {("no_helper", neighbour.pk)}  # the plan is not due yet
    HelperAssignment.objects.create(
        household=neighbour,
        helper=people["helper"],
        start_date=TODAY - dt.timedelta(days=400),
        end_date=TODAY - dt.timedelta(days=1),
    )
    assert codes() == {("no_helper", neighbour.pk)}  # ended yesterday
    MonitoringCase.objects.filter(household=neighbour).update(identified_on=TODAY - dt.timedelta(days=40))
    HelperAssignment.objects.filter(household=neighbour).update(end_date=None)
    assert codes() == {("measures_mismatch", neighbour.pk), ("no_development_measure", neighbour.pk)}


def test_income_too_high_only_for_households_identified_since_2023(world, people):
    monitored(
        world.home, identified=dt.date(2024, 5, 1), measures=(("health", "applied"), ("industry", "applied"))
    )
    assert codes() == set()  # 11,600 元 per head
    HouseholdIncome.objects.create(
        household=world.home,
        year=2026,
        members=2,
        net_income=Decimal("45000"),
        net_income_per_capita=Decimal("22500"),
    )
    assert codes() == {("income_too_high", world.home.pk)}
    MonitoringCase.objects.filter(household=world.home).update(identified_on=dt.date(2022, 12, 31))
    assert codes() == set()


def test_a_school_age_child_out_of_school_without_a_reason(world, people):
    monitored(world.home, measures=(("health", "applied"), ("industry", "applied")))
    born_from, born_to = cc.compulsory_birth_range(TODAY)
    child = Person.objects.create(
        household=world.home,
        region_code=world.home.region_code,
        id_number="360424201501010017",
        name="张小",
        sex="male",
        birth_date=dt.date(2015, 1, 1),
        relation="son",
        labour_skill="none",
        student_status="primary",
    )
    assert born_from <= child.birth_date <= born_to
    assert codes() == set()
    Person.objects.filter(pk=child.pk).update(student_status="")
    hits = cc.consistency_hits(today=TODAY)
    assert [(h.code, h.household_id) for h in hits] == [("child_out_of_school", world.home.pk)]
    assert "11岁" in hits[0].message and "360424" not in hits[0].message
    Person.objects.filter(pk=child.pk).update(
        student_status="dropout", health_status="disabled", disability_category="physical"
    )
    assert codes() == set()  # a recorded reason (送教上门)
    # The school year decides, not the birthday: 31 August of the entry year is in, 1 September is not.
    Person.objects.filter(pk=child.pk).update(
        health_status="healthy", disability_category="", birth_date=born_to
    )
    assert codes() == {("child_out_of_school", world.home.pk)}
    Person.objects.filter(pk=child.pk).update(birth_date=born_to + dt.timedelta(days=1))
    assert codes() == set()


@pytest.mark.parametrize(
    ("identified", "on", "method", "expected"),
    [
        (dt.date(2025, 3, 31), dt.date(2025, 4, 1), lc.ASSISTED, "elim_same_month"),
        (dt.date(2025, 3, 1), dt.date(2025, 3, 20), lc.NATURAL, "elim_before_6_months"),
        (dt.date(2025, 3, 1), dt.date(2025, 8, 31), lc.ASSISTED, "elim_before_6_months"),
        (dt.date(2025, 3, 1), dt.date(2025, 9, 1), lc.ASSISTED, None),
    ],
)
def test_elimination_dates(world, people, identified, on, method, expected):
    eliminated(world.home, identified=identified, on=on, method=method)
    assert codes() == ({(expected, world.home.pk)} if expected else set())


def test_below_the_line_but_eliminated_and_only_the_latest_episode_counts(world, people):
    first = eliminated(world.home, identified=dt.date(2024, 1, 5), on=dt.date(2024, 9, 1))
    assert codes() == set()
    HouseholdIncome.objects.filter(household=world.home).update(net_income_per_capita=Decimal("8000.00"))
    found = cc.consistency_hits(today=TODAY)
    assert [(h.code, h.case_id) for h in found] == [("below_line_eliminated", first.pk)]
    assert "8000.00" in found[0].message and "8200" in found[0].message
    # A new episode supersedes the eliminated one.
    monitored(
        world.home, identified=dt.date(2026, 10, 1), measures=(("health", "applied"), ("industry", "applied"))
    )
    assert codes() == set()


def test_an_identification_case_past_its_deadline(world, people):
    case = monitored(world.neighbour)
    MonitoringCase.objects.filter(pk=case.pk).update(
        state=lc.TOWNSHIP_REVIEW, due_on=TODAY - dt.timedelta(days=3)
    )
    hits = cc.consistency_hits(today=TODAY)
    assert [(h.code, h.household_id) for h in hits] == [("identification_overdue", world.neighbour.pk)]
    assert "超期3天" in hits[0].message and "乡镇初审" in hits[0].message
    MonitoringCase.objects.filter(pk=case.pk).update(due_on=TODAY)
    assert codes() == set()


def test_findings_open_stay_and_resolve_themselves_never_deleted(world, people):
    case = monitored(world.home, risks=("07",), measures=(("employment", "applied"),))
    labour(world.home, "none")
    first = cc.consistency_check(today=TODAY)
    assert (first.opened, first.kept, first.resolved) == (1, 0, 0)
    assert first.counts["risk07_no_labour"] == 1
    finding = ConsistencyFinding.objects.get()
    assert (finding.code, finding.case_id, finding.region_code) == (
        "risk07_no_labour",
        case.pk,
        world.home.region_code,
    )
    second = cc.consistency_check(today=TODAY)
    assert (second.opened, second.kept, second.resolved) == (0, 1, 0)
    again = ConsistencyFinding.objects.get()
    assert again.first_seen_at == finding.first_seen_at and again.last_seen_at > finding.last_seen_at
    labour(world.home, "weak")  # the data is fixed
    third = cc.consistency_check(today=TODAY)
    assert (third.opened, third.kept, third.resolved) == (0, 0, 1)
    assert ConsistencyFinding.objects.get().resolved_at is not None
    labour(world.home, "none")  # and broken again: a new finding, the old one stays resolved
    cc.consistency_check(today=TODAY)
    assert ConsistencyFinding.objects.count() == 2
    assert ConsistencyFinding.objects.filter(resolved_at__isnull=True).count() == 1


def test_a_region_run_leaves_the_rest_alone(world, people):
    for h in (world.home, world.far):
        monitored(h, risks=("07",), measures=(("employment", "applied"),))
        labour(h, "none")
    cc.consistency_check(today=TODAY)
    rule = ConsistencyFinding.objects.filter(resolved_at__isnull=True, code="risk07_no_labour")
    assert rule.count() == 2
    labour(world.far, "weak")
    labour(world.home, "weak")
    result = cc.consistency_check(prefix=world.county.prefix, today=TODAY)
    assert result.resolved == 1 and result.counts["no_helper"] == 0  # far's missing helper is not counted
    assert [f.household_id for f in rule] == [world.far.pk]


def test_messages_never_carry_an_id_number_or_a_phone(world, people):
    monitored(world.home, risks=("07", "01"), measures=(("social_security", "planned"),))
    labour(world.home, "none")
    MonitoringCase.objects.filter(household=world.home).update(identified_on=dt.date(2024, 1, 1))
    HouseholdIncome.objects.filter(household=world.home).update(net_income_per_capita=Decimal("30000"))
    hits = cc.consistency_hits(today=TODAY)
    assert len(hits) >= 3
    secrets = list(Person.objects.filter(household=world.home).values_list("id_number", flat=True))
    secrets.append(world.home.phone)
    for hit in hits:
        assert not any(s and s in hit.message for s in secrets)
        assert not re.search(r"\d{11,}", hit.message)
        assert len(hit.message) <= 300


def test_the_command_prints_a_count_per_rule(world, people):
    monitored(world.home, risks=("07",), measures=(("employment", "applied"),))
    labour(world.home, "none")
    out = StringIO()
    call_command("consistency_check", "--region", world.county.code, stdout=out)
    text = out.getvalue()
    for code, label in cc.RULES.items():
        assert f"{label}({code}):{1 if code == 'risk07_no_labour' else 0}" in text
    assert "新增 1" in text
    with pytest.raises(CommandError, match="不存在"):
        call_command("consistency_check", "--region", "999999999999", stdout=StringIO())


def test_the_worker_runs_it_once_a_night(world, people, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    monitored(world.home, risks=("07",), measures=(("employment", "applied"),))
    labour(world.home, "none")
    tz = timezone.get_current_timezone()
    assert consistency_schedule(dt.datetime(2026, 12, 6, 14, 0, tzinfo=tz)) is None  # daytime
    assert not ConsistencyFinding.objects.exists()
    night = dt.datetime(2026, 12, 7, 2, 30, tzinfo=tz)
    result = consistency_schedule(night)
    assert result is not None and result.opened == 1
    assert consistency_schedule(night + dt.timedelta(minutes=1)) is None  # once
    assert consistency_schedule(night + dt.timedelta(days=1)) is not None  # the next night
