"""The key groups' rules (docs/domain.md §23): each group's entry and exit, idempotence, the survey signal,
follow-ups kept through a correction, the full refresh command and the nightly schedule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import transaction

from dixian.common.models import Job
from dixian.domain import employment as e
from dixian.employment import keygroups as kg
from dixian.employment.jobs import KEYGROUPS_JOB, keygroups_nightly_schedule
from dixian.employment.models import FollowUp, KeyGroupMember
from dixian.employment.signals import survey_changed

from .groups_world import fact, head, holding_of, members, post_in, record

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 7)
JAN, FEB, MAR, APR, MAY = (dt.date(2026, m, 1) for m in range(1, 6))


def refresh(*persons, today=TODAY):
    return kg.keygroups_refresh([p.pk for p in persons], today=today)


# ---- 返乡回流 -----------------------------------------------------------------------------------------------


def test_returned_enters_when_away_worker_is_home_and_leaves_when_working(world):
    p = head(world.home)
    record(p, JAN, working=True, tier=e.OUT_OF_PROVINCE)
    record(p, FEB, working=False, willing=False)
    record(p, MAR, working=False, willing=False)
    refresh(p)
    assert members(p, e.RETURNED) == [(FEB, None)]
    record(p, APR, working=True, tier=e.IN_COUNTY)
    refresh(p)
    assert members(p, e.RETURNED) == [(FEB, APR)]
    member = KeyGroupMember.objects.get(person=p, group=e.RETURNED)
    assert "省外" in member.reason and "重新务工" in member.reason


def test_returned_needs_work_away_not_in_county(world):
    p = head(world.home)
    record(p, JAN, working=True, tier=e.IN_COUNTY)
    record(p, FEB, working=False, willing=False)
    refresh(p)
    assert members(p, e.RETURNED) == []


def test_returned_twice_gives_two_memberships(world):
    p = head(world.home)
    record(p, JAN, working=True, tier=e.ABROAD)
    record(p, FEB, working=False, willing=False)
    record(p, MAR, working=True, tier=e.IN_PROVINCE)
    record(p, APR, working=False, willing=False)
    refresh(p)
    assert members(p, e.RETURNED) == [(FEB, MAR), (APR, None)]


# ---- 雨露计划毕业生 -------------------------------------------------------------------------------------------


def test_yulu_graduate_enters_on_graduation_and_leaves_at_first_job(world):
    p = head(world.home)
    fact(p, "graduated", dt.date(2026, 2, 20), stage="higher_vocational")
    record(p, JAN, working=True, tier=e.IN_COUNTY)  # before graduating: not the first job
    record(p, MAR, working=False, willing=True)
    refresh(p)
    assert members(p, e.YULU_GRADUATE) == [(FEB, None)]
    record(p, APR, working=True, tier=e.IN_PROVINCE)
    refresh(p)
    assert members(p, e.YULU_GRADUATE) == [(FEB, APR)]
    assert "首次就业" in KeyGroupMember.objects.get(person=p, group=e.YULU_GRADUATE).reason


def test_yulu_needs_a_vocational_stage(world):
    p = head(world.home)
    fact(p, "graduated", dt.date(2026, 2, 20), stage="senior")  # 普通高中: not 雨露计划
    refresh(p)
    assert members(p, e.YULU_GRADUATE) == []
    fact(p, "graduated", dt.date(2026, 3, 1), stage="secondary_vocational")
    refresh(p)
    assert members(p, e.YULU_GRADUATE) == [(MAR, None)]


# ---- 有就业意愿未就业 ----------------------------------------------------------------------------------------


def test_willing_idle_enters_and_leaves_when_no_longer_willing_or_working(world):
    p = head(world.home)
    record(p, JAN, working=False, willing=True)
    record(p, FEB, working=False, willing=False)
    record(p, MAR, working=False, willing=True)
    record(p, APR, working=True, tier=e.IN_COUNTY)
    record(p, MAY, working=False, willing=True)
    refresh(p)
    assert members(p, e.WILLING_IDLE) == [(JAN, FEB), (MAR, APR), (MAY, None)]
    assert members(p, e.RETURNED) == []  # in county: not 返乡回流


# ---- 弱劳动力、半劳动力 ---------------------------------------------------------------------------------------


def test_weak_labour_enters_when_idle_and_leaves_when_holding_a_post(world):
    p = head(world.home)
    p.labour_skill = "weak"
    p.save()
    record(p, JAN, working=False, willing=False)
    record(p, FEB, working=False, willing=False)
    refresh(p)
    assert members(p, e.WEAK_LABOUR) == [(JAN, None)]
    holding_of(post_in(world.village), p, dt.date(2026, 2, 10))
    refresh(p)
    assert members(p, e.WEAK_LABOUR) == [(JAN, FEB)]
    assert "公益性岗位" in KeyGroupMember.objects.get(person=p, group=e.WEAK_LABOUR).reason


def test_ordinary_labour_is_not_weak_labour(world):
    p = head(world.home)
    record(p, JAN, working=False, willing=False)
    refresh(p)
    assert members(p, e.WEAK_LABOUR) == []


# ---- the roll, idempotence, corrections ----------------------------------------------------------------


def test_a_member_who_left_the_roll_leaves_every_group_at_the_current_month(world):
    p = head(world.home)
    record(p, JAN, working=False, willing=True)
    refresh(p)
    assert members(p, e.WILLING_IDLE) == [(JAN, None)]
    fact(p, "died", dt.date(2026, 6, 3))
    refresh(p)
    assert members(p, e.WILLING_IDLE) == [(JAN, TODAY.replace(day=1))]
    assert kg.LEFT_ROLL in KeyGroupMember.objects.get(person=p).reason
    later = refresh(p, today=dt.date(2027, 2, 3))  # months later: the month it left stays
    assert (later.opened, later.closed, later.changed) == (0, 0, 0)
    assert members(p, e.WILLING_IDLE) == [(JAN, TODAY.replace(day=1))]


def test_refresh_is_idempotent_and_keeps_entered_on(world):
    p = head(world.home)
    record(p, JAN, working=False, willing=True, recorded=dt.date(2026, 1, 12))
    first = refresh(p)
    assert first.opened == 1
    again = refresh(p, today=TODAY + dt.timedelta(days=40))
    assert (again.opened, again.closed, again.changed, again.deleted) == (0, 0, 0, 0)
    assert KeyGroupMember.objects.get(person=p).entered_on == dt.date(2026, 1, 12)


def test_entered_on_is_never_after_today(world):
    p = head(world.home)
    record(p, JAN, working=False, willing=True, recorded=dt.date(2026, 12, 30))
    refresh(p)
    assert KeyGroupMember.objects.get(person=p).entered_on == TODAY


def test_a_correction_removes_an_unsupported_membership_but_keeps_one_with_follow_ups(world):
    p, q = head(world.home), head(world.neighbour)
    for person in (p, q):
        record(person, JAN, working=False, willing=True)
    refresh(p, q)
    kept = KeyGroupMember.objects.get(person=q)
    FollowUp.objects.create(member=kept, region_code=kept.region_code, kind="training", on=JAN, detail="培训")
    for person in (p, q):
        record(person, JAN, working=True, tier=e.IN_COUNTY)  # corrected: was working
    stats = refresh(p, q)
    assert stats.deleted == 1
    assert not KeyGroupMember.objects.filter(person=p).exists()
    kept.refresh_from_db()
    assert (kept.since, kept.until, kept.reason) == (JAN, JAN, kg.CORRECTED)


def test_a_correction_that_moves_the_entry_keeps_the_row(world):
    p = head(world.home)
    record(p, FEB, working=False, willing=True)
    refresh(p)
    row = KeyGroupMember.objects.get(person=p)
    record(p, JAN, working=False, willing=True)  # a record of January added later
    refresh(p)
    assert list(KeyGroupMember.objects.filter(person=p).values_list("pk", "since")) == [(row.pk, JAN)]


def test_the_survey_signal_refreshes_in_the_writers_transaction(world):
    p = head(world.home)
    with transaction.atomic():
        record(p, JAN, working=False, willing=True)
        survey_changed.send(sender=None, person_ids=[p.pk], months=[JAN])
        assert members(p, e.WILLING_IDLE) == [(JAN, None)]


def test_a_large_survey_write_queues_one_refresh_of_its_region_after_commit(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    # A township's workbook (more than INLINE_LIMIT workers) refreshes its key groups in a job, not inline.
    monkeypatch.setattr(kg, "INLINE_LIMIT", 1)
    p, q = head(world.home), head(world.neighbour)
    record(p, JAN, working=False, willing=True)
    with django_capture_on_commit_callbacks(execute=True):
        survey_changed.send(sender=None, person_ids=[p.pk, q.pk], months=[JAN])
        assert members(p, e.WILLING_IDLE) == []  # not inline
    with django_capture_on_commit_callbacks(execute=True):
        survey_changed.send(sender=None, person_ids=[p.pk, q.pk], months=[JAN])
    jobs = list(Job.objects.filter(kind=KEYGROUPS_JOB, status=Job.Status.QUEUED))
    assert len(jobs) == 1  # the second write finds the first job waiting
    assert jobs[0].params["region"] == "360424100"  # the township of both villages
    assert q.region_code.startswith(jobs[0].params["region"])


def test_a_large_write_that_names_the_persons_places_queues_their_region(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    # The workbook import knows where its persons live (signals.py): the refresh's region comes from them.
    monkeypatch.setattr(kg, "INLINE_LIMIT", 1)
    p, q = head(world.home), head(world.neighbour)
    with django_capture_on_commit_callbacks(execute=True):
        survey_changed.send(sender=None, person_ids=[p.pk, q.pk], months=[JAN], person_places={p.region_code})
    (job,) = Job.objects.filter(kind=KEYGROUPS_JOB, status=Job.Status.QUEUED)
    assert job.params["region"] == p.region_code  # the one village named, not the township of both


def test_common_prefix_is_a_whole_level():
    assert kg._common_prefix("360423101201", "360423101201") == "360423101201"
    assert kg._common_prefix("360423101201", "360423101202") == "360423101"
    assert kg._common_prefix("360423101201", "360423102201") == "360423"
    assert kg._common_prefix("360423101201", "360424101201") == "3604"


def test_overdue_counts_from_entry_or_last_follow_up(world):
    p = head(world.home)
    record(p, JAN, working=False, willing=True, recorded=dt.date(2026, 1, 10))
    refresh(p)
    member = KeyGroupMember.objects.get(person=p)
    assert not kg.is_overdue(member, today=dt.date(2026, 2, 9))
    assert kg.is_overdue(member, today=dt.date(2026, 2, 10))
    assert KeyGroupMember.objects.filter(kg.overdue_q(dt.date(2026, 2, 10))).count() == 1
    member.last_follow_up = dt.date(2026, 2, 1)
    member.save()
    assert not kg.is_overdue(member, today=dt.date(2026, 2, 10))
    assert not KeyGroupMember.objects.filter(kg.overdue_q(dt.date(2026, 2, 10))).exists()
    assert KeyGroupMember.objects.filter(kg.overdue_q(dt.date(2026, 3, 4))).exists()


def test_the_command_refreshes_a_region_and_refuses_an_unknown_one(world, capsys):
    p, far = head(world.home), head(world.far)
    record(p, JAN, working=False, willing=True)
    record(far, JAN, working=False, willing=True)
    call_command("employment_keygroups_refresh", "--region", world.county.code[:6])
    assert members(p, e.WILLING_IDLE) and not members(far, e.WILLING_IDLE)
    assert "新列入 1 条" in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="没有区划代码"):
        call_command("employment_keygroups_refresh", "--region", "360499")


def test_the_nightly_schedule_queues_one_job_at_night(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    from zoneinfo import ZoneInfo

    beijing = ZoneInfo("Asia/Shanghai")
    day = dt.datetime(2026, 12, 7, 14, 0, tzinfo=beijing)
    assert keygroups_nightly_schedule(day) is None
    night = dt.datetime(2026, 12, 8, 1, 30, tzinfo=beijing)
    job = keygroups_nightly_schedule(night)
    assert job is not None and job.kind == KEYGROUPS_JOB
    assert keygroups_nightly_schedule(night + dt.timedelta(minutes=1)) is None
    assert Job.objects.filter(kind=KEYGROUPS_JOB).count() == 1


def test_the_nightly_job_refreshes_every_member(world, settings, tmp_path):
    from dixian.common.jobs import job_enqueue, worker_run_once
    from dixian.screening.services import system_user

    settings.DATA_DIR = tmp_path
    p = head(world.home)
    record(p, JAN, working=False, willing=True)
    job = job_enqueue(kind=KEYGROUPS_JOB, owner=system_user(), params={"region": ""})
    assert worker_run_once()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    assert "新列入 1 条" in job.message
    assert members(p, e.WILLING_IDLE) == [(JAN, None)]


def test_weak_labour_leaves_at_the_month_a_post_starts_without_a_record_that_month(world):
    p = head(world.home)
    p.labour_skill = "weak"
    p.save()
    record(p, JAN, working=False, willing=False)
    holding_of(post_in(world.village), p, dt.date(2026, 3, 10))
    refresh(p)
    assert members(p, e.WEAK_LABOUR) == [(JAN, MAR)]
    assert "公益性岗位" in KeyGroupMember.objects.get(person=p, group=e.WEAK_LABOUR).reason


def test_a_refresh_locks_its_persons_first(world):
    """Two concurrent refreshes of one person must not both insert the open membership (docs/domain.md §23):
    the persons are locked (SELECT … FOR UPDATE, in pk order) before anything is read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if not connection.features.has_select_for_update:
        pytest.skip("SQLite has no row locks: its writers take turns")
    p = head(world.home)
    record(p, JAN, working=False, willing=True)
    with CaptureQueriesContext(connection) as ctx:
        refresh(p)
    sqls = [q["sql"] for q in ctx.captured_queries]
    first_read = next(i for i, sql in enumerate(sqls) if "employment_" in sql or "registry_person" in sql)
    assert "registry_person" in sqls[first_read] and "FOR UPDATE" in sqls[first_read]


def test_members_and_follow_ups_follow_a_moved_household_and_a_moved_person(world, people):
    # Scoping follows the household (docs/security.md §4): a member listed under the old village would be
    # out of the new village's sight.
    from dixian.registry import services as registry

    p, spouse = world.home.members.order_by("pk")[:2]
    for person in (p, spouse):
        record(person, JAN, working=False, willing=True)
    refresh(p, spouse)
    registry.person_move(actor=people["county_admin"], person=spouse, to_household=world.neighbour)
    moved = KeyGroupMember.objects.get(person=spouse)
    assert (moved.region_code, moved.household_id) == (world.neighbour.region_code, world.neighbour.pk)
    member = KeyGroupMember.objects.get(person=p)
    FollowUp.objects.create(
        member=member, region_code=member.region_code, kind="training", on=TODAY, detail="x"
    )
    registry.household_update(
        actor=people["county_admin"], household=world.home, data={}, region=world.far_village
    )
    code = world.far_village.code
    assert KeyGroupMember.objects.get(pk=member.pk).region_code == code
    assert FollowUp.objects.get(member=member).region_code == code
