"""The townships' stored week sums (docs/domain.md §27 "Week sums") always equal the recount from the weekly
reports: after a filing, a correction, a late filing of an earlier week, a bulk load with its rebuild, and any
sequence of filings (a property test); the pages read them."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from dixian.environment import figures as fg
from dixian.environment import services, sums
from dixian.environment.models import WeeklyReport, WeekSum

from .helpers import MONDAY, more_households, plan, row

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
YEAR_END = sums.year_mondays(2026)[-1]  # 2026-12-28


def at(y, m, d, h=10):
    return time_machine.travel(dt.datetime(y, m, d, h, 0, tzinfo=TZ), tick=False)


def plain(found: dict[str, dict]) -> dict[str, dict[str, int]]:
    """Sums as plain ints, a unit whose sums are all 0 left out (the recount has no row for it either)."""
    out = {unit: {k: int(v or 0) for k, v in values.items()} for unit, values in found.items()}
    return {unit: values for unit, values in out.items() if any(values.values())}


def assert_equal_to_recount(world, weeks) -> int:
    """Stored and recounted sums agree for the city, its counties and the township, at every grouping no finer
    than a township's, for each of `weeks`; returns how many comparisons found something to compare."""
    compared = 0
    for monday in weeks:
        for prefix, lengths in (
            (world.city.prefix, (4, 6, 9)),
            (world.county.prefix, (6, 9)),
            (world.other_county.prefix, (6, 9)),
            (world.township.prefix, (9,)),
        ):
            for length in lengths:
                stored = plain(fg.stored_sums(prefix, monday, length))
                recount = plain(fg.recount_sums(prefix, monday, length))
                assert stored == recount, (prefix, monday, length)
                compared += bool(recount)
    return compared


def weeks_from(start: dt.date, n: int) -> list[dt.date]:
    return [start + dt.timedelta(days=7 * i) for i in range(n)]


def file(world, people, monday, rows):
    return services.weekly_file(
        actor=people["township_reviewer"], township=world.township, monday=monday, rows=rows
    )


def test_a_filing_writes_the_township_rows_from_its_week_to_the_year_end(world, people):
    more_households(world)
    plan(world)
    with at(2026, 10, 16):
        file(
            world, people, MONDAY, {world.village.code: row(3, 4, 3), world.other_village.code: row(1, 1, 1)}
        )
    stored = WeekSum.objects.filter(unit_code=world.township.prefix).order_by("week")
    assert [s.week for s in stored] == sums.year_mondays(2026)[sums.year_mondays(2026).index(MONDAY) :]
    first, later = stored[0], stored.last()
    assert (first.toilets_upgraded, first.toilets_sanitary, first.reported, first.late) == (4, 5, 2, 0)
    assert (later.week, later.toilets_upgraded, later.reported) == (YEAR_END, 4, 0)  # carried, not reported
    assert not WeekSum.objects.filter(week__lt=MONDAY).exists()
    assert (
        assert_equal_to_recount(world, [MONDAY - dt.timedelta(days=7), *weeks_from(MONDAY, 3), YEAR_END]) > 0
    )


def test_a_correction_changes_the_sums_of_its_week_and_the_weeks_it_carries_into(world, people):
    more_households(world)
    plan(world)
    with at(2026, 10, 16):
        file(
            world, people, MONDAY, {world.village.code: row(1, 2, 2), world.other_village.code: row(1, 1, 1)}
        )
    with at(2026, 10, 23):
        file(world, people, MONDAY + dt.timedelta(days=7), {world.other_village.code: row(1, 1, 0)})
        # 良塘村 did not report in W43: its W42 figures, corrected now, count there too.
        file(
            world, people, MONDAY, {world.village.code: row(3, 4, 3), world.other_village.code: row(1, 1, 1)}
        )
    w42, w43 = (
        WeekSum.objects.get(unit_code=world.township.prefix, week=MONDAY + dt.timedelta(days=7 * i))
        for i in (0, 1)
    )
    assert (w42.toilets_upgraded, w42.toilets_in_use, w42.reported) == (4, 4, 2)
    assert (w43.toilets_upgraded, w43.toilets_in_use, w43.reported) == (4, 3, 1)
    assert assert_equal_to_recount(world, [*weeks_from(MONDAY, 4), YEAR_END]) > 0


def test_a_late_filing_of_an_earlier_week_counts_late_and_leaves_later_reports_in_place(world, people):
    more_households(world)
    plan(world)
    w41 = MONDAY - dt.timedelta(days=7)
    with at(2026, 10, 16):
        file(world, people, MONDAY, {world.village.code: row(3, 4, 3)})
        result = file(
            world, people, w41, {world.village.code: row(1, 2, 2), world.other_village.code: row(1, 1, 1)}
        )
    assert result.late
    before = WeekSum.objects.get(unit_code=world.township.prefix, week=w41)
    now = WeekSum.objects.get(unit_code=world.township.prefix, week=MONDAY)
    assert (before.toilets_upgraded, before.reported, before.late) == (2, 2, 2)
    # W42: 良塘村's own W42 report, 桃坪村's W41 one carried; W42 itself filed on time.
    assert (now.toilets_upgraded, now.toilets_sanitary, now.reported, now.late) == (4, 5, 1, 0)
    assert assert_equal_to_recount(world, [w41 - dt.timedelta(days=7), *weeks_from(w41, 3), YEAR_END]) > 0


def bulk_reports(world, weeks: list[dt.date], *, start: int = 0) -> None:
    """Reports written the way the demo loader and the bench write them: bulk, without the service."""
    filed = timezone.now()
    WeeklyReport.objects.bulk_create(
        WeeklyReport(
            village=v,
            region_code=v.code,
            week=monday,
            year=monday.year,
            households=5,
            toilets_upgraded=(i + w + start) % 4,
            toilets_sanitary=4,
            toilets_in_use=(i * w + start) % 5,
            garbage_covered=1,
            sewage_households=w % 3,
            works_done=w // 2,
            filed_at=filed,
            late=(i + w) % 3 == 0,
        )
        for w, monday in enumerate(weeks)
        for i, v in enumerate((world.village, world.other_village, world.far_village))
        if (i + w) % 4 != 1  # some villages skip some weeks
    )


def test_a_bulk_load_then_its_rebuild_equals_the_recount_and_the_rebuild_is_idempotent(world):
    weeks = weeks_from(dt.date(2026, 1, 5), 8)
    bulk_reports(world, weeks)
    assert not WeekSum.objects.exists()  # a bulk load writes no sums: the loader rebuilds them
    written = sums.rebuild()
    assert (
        written == WeekSum.objects.count() == 2 * 52
    )  # two townships, from their first week to the year end
    assert (
        assert_equal_to_recount(
            world, [dt.date(2025, 12, 29), *weeks, weeks[-1] + dt.timedelta(days=7), YEAR_END]
        )
        > 0
    )
    snapshot = sorted(WeekSum.objects.values_list("unit_code", "week", *fg.SUMMED, "reported", "late"))
    out = StringIO()
    call_command("environment_sums_rebuild", stdout=out)
    assert "104" in out.getvalue()
    assert (
        sorted(WeekSum.objects.values_list("unit_code", "week", *fg.SUMMED, "reported", "late")) == snapshot
    )


def test_the_rebuild_of_a_region_leaves_the_others_alone(world):
    bulk_reports(world, weeks_from(dt.date(2026, 3, 2), 3))
    sums.rebuild()
    WeekSum.objects.filter(unit_code=world.far_village.code[:9]).update(toilets_sanitary=999)
    WeekSum.objects.filter(unit_code=world.township.prefix).delete()
    call_command("environment_sums_rebuild", "--region", world.county.code[:6], stdout=StringIO())
    assert WeekSum.objects.filter(unit_code=world.township.prefix).count() > 0
    assert set(
        WeekSum.objects.filter(unit_code=world.far_village.code[:9]).values_list(
            "toilets_sanitary", flat=True
        )
    ) == {999}


def test_the_rebuild_command_refuses_a_region_it_cannot_read(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="无法识别"):
        call_command("environment_sums_rebuild", "--region", "九江", stdout=StringIO())


def test_a_new_year_starts_from_nothing(world, people):
    more_households(world)
    plan(world)
    with at(2026, 12, 30):
        file(world, people, YEAR_END, {world.village.code: row(3, 4, 3)})
    with at(2027, 1, 6):
        file(world, people, dt.date(2027, 1, 4), {world.other_village.code: row(0, 1, 1, garbage=0)})
    first = WeekSum.objects.get(unit_code=world.township.prefix, week=dt.date(2027, 1, 4))
    assert (first.toilets_sanitary, first.reported) == (1, 1)  # 良塘村's 2026 report does not carry into 2027
    assert plain(fg.stored_sums(world.city.prefix, dt.date(2027, 1, 4), 9)) == plain(
        fg.recount_sums(world.city.prefix, dt.date(2027, 1, 4), 9)
    )
    assert WeekSum.objects.filter(week=YEAR_END).get().toilets_sanitary == 4


FIRST = dt.date(2026, 3, 2)
filings = st.lists(
    st.tuples(
        st.integers(0, 2),  # village: 良塘村, 桃坪村 (one township), 城西村 (the other county)
        st.integers(0, 5),  # week, from FIRST
        st.integers(0, 1),  # sanitary toilets (each village has one household)
        st.booleans(),  # in use
        st.booleans(),  # late
    ),
    min_size=1,
    max_size=12,
)


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=filings)
def test_any_sequence_of_filings_and_corrections_keeps_the_sums_equal_to_the_recount(world, steps):
    """Filings in any order of weeks, corrections of a filed week among them: after each one, the rewrite from
    its week on (`sums.refresh`, as the service does it) leaves every week equal to the recount."""
    villages = (world.village, world.other_village, world.far_village)
    with transaction.atomic():
        for i, (which, w, sanitary, in_use, late) in enumerate(steps):
            village, monday = villages[which], FIRST + dt.timedelta(days=7 * w)
            WeeklyReport.objects.update_or_create(
                region_code=village.code,
                week=monday,
                defaults={
                    "village": village,
                    "year": 2026,
                    "households": 1,
                    "toilets_upgraded": sanitary,
                    "toilets_sanitary": sanitary,
                    "toilets_in_use": sanitary if in_use else 0,
                    "garbage_covered": i % 2,
                    "sewage_households": 1,
                    "works_done": i,
                    "filed_at": timezone.now(),
                    "late": late,
                },
            )
            sums.refresh(village.code[:9], 2026, monday)
        assert_equal_to_recount(world, [FIRST - dt.timedelta(days=7), *weeks_from(FIRST, 7), YEAR_END])
        transaction.set_rollback(True)


def test_the_city_pages_read_the_stored_sums(client, world, people):
    """The dispatch of the city shows what the stored rows say (a stale row would show), proving it reads them."""
    more_households(world)
    plan(world)
    with at(2026, 10, 16):
        file(world, people, MONDAY, {world.village.code: row(3, 4, 3)})
        WeekSum.objects.filter(unit_code=world.township.prefix, week=MONDAY).update(toilets_upgraded=1)
        d = fg.dispatch(world.city, MONDAY)
        assert d.total.toilets_upgraded == 1
        # A township's villages are still counted from the reports.
        _total, rows = fg.unit_figures(world.township, MONDAY)
        assert sum(r.toilets_upgraded for r in rows) == 3
