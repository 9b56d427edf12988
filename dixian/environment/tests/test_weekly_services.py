"""The township's weekly report (docs/domain.md §27): bounded by the registry, late but accepted after the
deadline, refused for a future week, corrections audited, all or nothing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from dixian.accounts.models import Role
from dixian.common.models import ChangeLog
from dixian.common.testing import persona
from dixian.environment import services
from dixian.environment.models import WeeklyReport

from .helpers import MONDAY, more_households, plan, row

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=10, minute=0):
    return time_machine.travel(dt.datetime(y, m, d, h, minute, tzinfo=TZ), tick=False)


def test_a_township_files_its_villages_on_time(world, people):
    more_households(world)
    plan(world)
    with at(2026, 10, 16):
        result = services.weekly_file(
            actor=people["township_reviewer"],
            township=world.township,
            monday=MONDAY,
            rows={world.village.code: row(3, 4, 3), world.other_village.code: row(1, 1, 1)},
        )
    assert (result.created, result.late) == (2, False)
    report = WeeklyReport.objects.get(region_code=world.village.code)
    assert (report.households, report.toilets_unused, report.year) == (5, 1, 2026)
    assert ChangeLog.objects.filter(entity="env_weekly", action="create").count() == 2


def test_a_toilet_count_above_the_villages_households_is_refused_and_nothing_is_saved(world, people):
    plan(world)
    with at(2026, 10, 16), pytest.raises(services.WeeklyRefused) as refused:
        services.weekly_file(
            actor=people["township_reviewer"],
            township=world.township,
            monday=MONDAY,
            rows={world.village.code: row(1, 2, 1), world.other_village.code: row(1, 1, 1)},
        )
    assert "超过本村户数1户" in refused.value.rows[world.village.code]["toilets_sanitary"]
    assert not WeeklyReport.objects.exists()


def test_a_report_after_the_deadline_is_accepted_and_marked_late(world, people, settings):
    more_households(world)
    plan(world)
    with at(2026, 10, 19, 11, 59):
        on_time = services.weekly_file(
            actor=people["township_reviewer"],
            township=world.township,
            monday=MONDAY,
            rows={world.village.code: row()},
        )
    with at(2026, 10, 19, 12, 1):
        late = services.weekly_file(
            actor=people["township_reviewer"],
            township=world.township,
            monday=MONDAY,
            rows={world.other_village.code: row()},
        )
    assert (on_time.late, late.late) == (False, True)
    settings.DIXIAN_ENVIRONMENT_DEADLINE = "1 18:00"  # Tuesday 18:00
    with at(2026, 10, 27, 17, 0):
        tuesday = services.weekly_file(
            actor=people["township_reviewer"],
            township=world.township,
            monday=MONDAY + dt.timedelta(days=7),
            rows={world.village.code: row()},
        )
    assert tuesday.late is False


def test_a_report_for_a_future_week_is_refused(world, people):
    with at(2026, 10, 16), pytest.raises(ValidationError, match="尚未开始"):
        services.weekly_file(
            actor=people["township_reviewer"],
            township=world.township,
            monday=MONDAY + dt.timedelta(days=7),
            rows={world.village.code: row()},
        )


def test_a_correction_keeps_the_first_filing_and_is_logged_with_old_and_new_values(world, people):
    more_households(world)
    plan(world)
    with at(2026, 10, 16):
        services.weekly_file(
            actor=people["township_reviewer"],
            township=world.township,
            monday=MONDAY,
            rows={world.village.code: row(1, 2, 2)},
        )
    first = WeeklyReport.objects.get()
    with at(2026, 10, 21):  # after the deadline: a correction, not a late report
        result = services.weekly_file(
            actor=people["county_admin"],
            township=world.township,
            monday=MONDAY,
            rows={world.village.code: row(2, 3, 2)},
        )
    again = WeeklyReport.objects.get()
    assert (result.corrected, again.late, again.filed_at, again.toilets_upgraded) == (
        1,
        False,
        first.filed_at,
        2,
    )
    log = ChangeLog.objects.get(entity="env_weekly", action="update")
    assert log.changes["toilets_upgraded"] == [1, 2] and log.actor == people["county_admin"]
    with at(2026, 10, 21):
        unchanged = services.weekly_file(
            actor=people["county_admin"],
            township=world.township,
            monday=MONDAY,
            rows={world.village.code: row(2, 3, 2)},
        )
    assert unchanged.unchanged == 1 and ChangeLog.objects.filter(action="update").count() == 1


def test_only_reporting_accounts_of_the_township_file(world, people):
    with at(2026, 10, 16):
        with pytest.raises(PermissionDenied):
            services.weekly_file(
                actor=people["village_officer"], township=world.township, monday=MONDAY, rows={}
            )
        other_admin = persona("other_county_admin", world.other_county, Role.COUNTY_ADMIN)
        with pytest.raises(ValidationError, match="不在您的管辖范围内"):
            services.weekly_file(actor=other_admin, township=world.township, monday=MONDAY, rows={})
        with pytest.raises(ValidationError, match="不属于"):
            services.weekly_file(
                actor=people["county_admin"],
                township=world.township,
                monday=MONDAY,
                rows={world.far_village.code: row()},
            )


def test_a_plan_above_the_villages_households_is_refused(world, people):
    with pytest.raises(ValidationError) as refused:
        services.plan_save(
            actor=people["county_admin"],
            village=world.village,
            year=2026,
            data={"toilets_planned": 2, "natural_villages": 1, "works_planned": 0, "works_note": ""},
        )
    assert "超过本村户数1户" in refused.value.message_dict["toilets_planned"][0]
    p = services.plan_save(
        actor=people["county_admin"],
        village=world.village,
        year=2026,
        data={"toilets_planned": 1, "natural_villages": 1, "works_planned": 0, "works_note": ""},
    )
    assert p.pk and ChangeLog.objects.filter(entity="env_plan").count() == 1
