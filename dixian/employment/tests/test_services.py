"""The survey's writes (employment/services.py, docs/domain.md §23): the roll and month refusals, the
correction kept in the change log, the signal, and 本月无变化."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dixian.common.models import ChangeLog
from dixian.domain import employment as e
from dixian.employment.models import Employment
from dixian.employment.services import survey_carry_over, survey_record
from dixian.employment.signals import survey_changed
from dixian.employment.testing import IDLE_WILLING, WORKING_AWAY, record

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 10, 20)
OCTOBER = dt.date(2026, 10, 1)
SEPTEMBER = dt.date(2026, 9, 1)


@pytest.fixture
def head(world):
    return world.home.members.get(relation="head")


@pytest.fixture
def spouse(world):
    return world.home.members.get(relation="spouse")


@pytest.fixture
def heard():
    calls = []

    def receiver(sender, person_ids, months, **kwargs):
        calls.append((sorted(person_ids), list(months)))

    survey_changed.connect(receiver, weak=False)
    yield calls
    survey_changed.disconnect(receiver)


def test_a_record_is_created_and_the_signal_sent(people, head, heard):
    done = survey_record(people["village_officer"], head, dt.date(2026, 10, 9), WORKING_AWAY, today=TODAY)
    assert done.status == "created"
    r = Employment.objects.get(person=head)
    assert (r.month, r.working, r.place_tier, r.channel, r.source) == (
        OCTOBER,
        True,
        e.OUT_OF_PROVINCE,
        e.LABOUR_EXPORT,
        "form",
    )
    assert r.region_code == head.region_code and r.household_id == head.household_id
    assert r.recorded_by == people["village_officer"]
    assert heard == [([head.pk], [OCTOBER])]
    assert not ChangeLog.objects.filter(entity="employment").exists()


def test_a_person_not_on_the_roll_is_refused(people, spouse, heard):
    spouse.labour_skill = "none"
    spouse.save()
    with pytest.raises(ValidationError) as refused:
        survey_record(people["village_officer"], spouse, OCTOBER, WORKING_AWAY, today=TODAY)
    assert "不在2026年10月的劳动力名册上" in refused.value.messages[0]
    assert not Employment.objects.exists() and heard == []


def test_a_future_month_is_refused(people, head):
    with pytest.raises(ValidationError) as refused:
        survey_record(people["village_officer"], head, dt.date(2026, 11, 1), WORKING_AWAY, today=TODAY)
    assert "month" in refused.value.message_dict
    assert "不能填报未来月份" in refused.value.message_dict["month"][0]
    assert not Employment.objects.exists()


def test_a_row_breaking_the_rules_is_refused_per_field(people, head):
    with pytest.raises(ValidationError) as refused:
        survey_record(people["village_officer"], head, OCTOBER, {"working": False}, today=TODAY)
    assert set(refused.value.message_dict) == {"not_working_reason", "willing"}


def test_a_correction_replaces_the_record_and_is_audited(people, head, heard):
    officer = people["village_officer"]
    first = survey_record(officer, head, OCTOBER, WORKING_AWAY, today=TODAY).record
    second = survey_record(officer, head, OCTOBER, IDLE_WILLING, today=TODAY)
    assert second.status == "replaced" and second.record.pk == first.pk
    assert Employment.objects.filter(person=head, month=OCTOBER).count() == 1
    r = Employment.objects.get(pk=first.pk)
    # What does not apply to a worker who does not work is dropped, not kept from the first record.
    assert (r.working, r.place_tier, r.employer, r.channel, r.wage_band) == (False, "", "", "", "")
    log = ChangeLog.objects.get(entity="employment")
    assert (log.entity_id, log.household_id, log.action, log.actor) == (
        r.pk,
        head.household_id,
        "update",
        officer,
    )
    assert log.changes["working"] == [True, False]
    assert log.changes["employer"] == ["东莞市某电子厂", ""]
    assert "2026年10月" in log.summary
    assert len(heard) == 2


def test_the_same_values_again_change_nothing(people, head, heard):
    survey_record(people["village_officer"], head, OCTOBER, WORKING_AWAY, today=TODAY)
    again = survey_record(people["village_officer"], head, OCTOBER, WORKING_AWAY, today=TODAY)
    assert again.status == "unchanged"
    assert not ChangeLog.objects.exists() and len(heard) == 1


def test_out_of_scope_and_without_the_capability_is_refused(world, people):
    far_head = world.far.members.get(relation="head")
    with pytest.raises(PermissionDenied):
        survey_record(people["village_officer"], far_head, OCTOBER, WORKING_AWAY, today=TODAY)
    with pytest.raises(PermissionDenied):  # 领导 reads, records nothing
        survey_record(people["leader"], far_head, OCTOBER, WORKING_AWAY, today=TODAY)
    assert not Employment.objects.exists()


def test_carry_over_copies_last_month_for_the_rest(world, people, head, spouse, heard):
    record(head, SEPTEMBER, WORKING_AWAY, months_worked=9)
    record(spouse, SEPTEMBER, IDLE_WILLING)
    result = survey_carry_over(people["village_officer"], world.village, OCTOBER, today=TODAY)
    assert sorted(result.carried) == sorted([head.pk, spouse.pk])
    h = Employment.objects.get(person=head, month=OCTOBER)
    s = Employment.objects.get(person=spouse, month=OCTOBER)
    assert (h.source, h.working, h.months_worked, h.employer) == ("carried", True, 10, "东莞市某电子厂")
    assert (s.working, s.months_worked, s.not_working_reason, s.willing) == (False, 0, "no_job", True)
    assert heard == [(sorted([head.pk, spouse.pk]), [OCTOBER])]
    # Again: every worker is recorded, nothing more is carried.
    again = survey_carry_over(people["village_officer"], world.village, OCTOBER, today=TODAY)
    assert again.carried == [] and sorted(again.already) == sorted([head.pk, spouse.pk])
    assert "本月已录入" in again.message(OCTOBER)


def test_carry_over_leaves_the_recorded_and_names_who_has_no_previous(world, people, head, spouse):
    record(head, SEPTEMBER, WORKING_AWAY, months_worked=9)
    survey_record(people["village_officer"], head, OCTOBER, IDLE_WILLING, today=TODAY)
    result = survey_carry_over(people["village_officer"], world.village, OCTOBER, today=TODAY)
    assert result.carried == [] and result.already == [head.pk] and result.no_previous == [spouse.pk]
    assert Employment.objects.get(person=head, month=OCTOBER).working is False
    assert "上月没有摸排记录" in result.message(OCTOBER)


def test_carry_over_of_listed_workers_only_and_across_the_year(world, people, head, spouse):
    december, january = dt.date(2025, 12, 1), dt.date(2026, 1, 1)
    record(head, december, WORKING_AWAY, months_worked=12)
    record(spouse, december, WORKING_AWAY, months_worked=12)
    far_head = world.far.members.get(relation="head")
    result = survey_carry_over(
        people["village_officer"], world.village, january, [head.pk, far_head.pk], today=TODAY
    )
    assert result.carried == [head.pk] and result.not_on_roll == [far_head.pk]
    assert Employment.objects.get(person=head, month=january).months_worked == 1  # a new year
    assert not Employment.objects.filter(person=spouse, month=january).exists()


def test_carry_over_refuses_another_village_and_a_future_month(world, people):
    with pytest.raises(PermissionDenied):
        survey_carry_over(people["village_officer"], world.other_village, OCTOBER, today=TODAY)
    with pytest.raises(ValidationError):
        survey_carry_over(people["village_officer"], world.village, dt.date(2026, 11, 1), today=TODAY)


def test_a_correction_after_a_move_keeps_the_village_and_household_of_the_record(world, people, head):
    # docs/domain.md §23: region_code and household are the person's at the time of recording.
    actor = people["county_admin"]
    first = survey_record(actor, head, OCTOBER, WORKING_AWAY, today=TODAY).record
    village, household = first.region_code, first.household_id
    head.household, head.region_code = world.neighbour, world.neighbour.region_code
    head.save()
    survey_record(actor, head, OCTOBER, IDLE_WILLING, today=TODAY)
    r = Employment.objects.get(pk=first.pk)
    assert (r.working, r.region_code, r.household_id) == (False, village, household)
