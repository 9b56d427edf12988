"""The stored monthly count of the survey records (EmploymentCount, docs/domain.md §23 "Figures"): the database
keeps it in every write, so after each kind of write it equals a recount of the records, and the figures read
from it are the records' figures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from dixian.domain import employment as e
from dixian.employment.counts import recount, stored_counts
from dixian.employment.figures import region_report, trend
from dixian.employment.imports import insert_records, survey_import
from dixian.employment.models import Employment, EmploymentCount
from dixian.employment.services import survey_carry_over, survey_record
from dixian.employment.testing import IDLE_WILLING, WORKING_AWAY, record
from dixian.registry.services import person_move

from .test_imports import book, idle, working

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 20)
SEPTEMBER, OCTOBER, NOVEMBER = dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)
IN_COUNTY_WORKSHOP = {**WORKING_AWAY, "place_tier": e.IN_COUNTY, "channel": e.WORKSHOP}


def assert_exact() -> None:
    assert stored_counts() == recount()


def test_every_kind_of_write_keeps_the_count_equal_to_a_recount(tmp_path: Path, people, world):
    officer, township = people["village_officer"], people["township_reviewer"]
    home = list(world.home.members.order_by("pk"))
    neighbour = list(world.neighbour.members.order_by("pk"))
    assert_exact()  # nothing: nothing stored

    # The village form: a record, then corrections that move it between groups, and one that does not.
    survey_record(officer, home[0], OCTOBER, WORKING_AWAY, today=TODAY)
    assert stored_counts() == {(OCTOBER, world.village.code, True, e.OUT_OF_PROVINCE, e.LABOUR_EXPORT): 1}
    survey_record(officer, home[0], OCTOBER, IDLE_WILLING, today=TODAY)
    assert_exact()
    survey_record(officer, home[0], OCTOBER, IN_COUNTY_WORKSHOP, today=TODAY)
    survey_record(officer, home[0], OCTOBER, {**IN_COUNTY_WORKSHOP, "employer": "另一家"}, today=TODAY)
    assert_exact()

    # Records written directly (the generator, the tests' past), then 本月无变化 of the rest of the village.
    record(home[1], SEPTEMBER, IDLE_WILLING)
    record(home[0], SEPTEMBER)
    carried = survey_carry_over(officer, world.village, OCTOBER, today=TODAY)
    assert carried.carried == [home[1].pk]
    assert_exact()

    # The workbook: new records (COPY on PostgreSQL, executemany on SQLite), then corrections and unchanged rows.
    rows = [working(p, "2026-10") for p in neighbour] + [idle(p, "2026-11") for p in home]
    batch = survey_import(
        path=book(tmp_path / "a.xlsx", rows), actor=township, scope=township.region, today=TODAY
    )
    assert batch.status == "done" and batch.created == 4, batch.message
    assert_exact()
    rows = [idle(p, "2026-10") for p in neighbour] + [idle(p, "2026-11") for p in home]
    batch = survey_import(
        path=book(tmp_path / "b.xlsx", rows), actor=township, scope=township.region, today=TODAY
    )
    assert (batch.replaced, batch.unchanged) == (2, 2), batch.message
    assert_exact()

    # The insert trigger is still there after the imports (SQLite lifts it while a workbook's rows go in).
    record(neighbour[1], SEPTEMBER, IDLE_WILLING)
    assert_exact()

    # The import's writer used without a batch: the trigger counts that row, the writer does not count it again.
    ops = connection.ops
    insert_records(
        [
            (
                *(neighbour[0].pk, neighbour[0].household_id, neighbour[0].region_code),
                ops.adapt_datefield_value(SEPTEMBER),
                *(True, e.IN_COUNTY, "", e.WORKSHOP, 9, "", "", None, ""),
                *(Employment.Source.WORKBOOK, None, None, ops.adapt_datetimefield_value(timezone.now())),
            )
        ]
    )
    assert_exact()

    # A registry move: the records stay where they were made (the count too), the roll follows the person.
    person_move(actor=None, person=home[1], to_household=world.neighbour)
    assert_exact()
    assert EmploymentCount.objects.filter(region_code=world.other_village.code, month=NOVEMBER).count() == 0

    # Deleting records, in bulk and one by one.
    Employment.objects.filter(month=SEPTEMBER).delete()
    Employment.objects.filter(month=NOVEMBER).first().delete()
    assert_exact()
    # Groups whose records are all gone keep a row of 0, which no figure reads.
    assert EmploymentCount.objects.filter(month=SEPTEMBER, n=0).exists()


def test_the_rebuild_command_recounts_a_count_that_went_wrong(people, world):
    home = list(world.home.members.order_by("pk"))
    record(home[0], OCTOBER)
    record(home[1], OCTOBER, IDLE_WILLING)
    EmploymentCount.objects.update(n=7)
    EmploymentCount.objects.create(
        month=SEPTEMBER, region_code=world.village.code, working=True, place_tier="", channel="", n=3
    )
    assert stored_counts() != recount()
    call_command("employment_counts_rebuild", stdout=open("/dev/null", "w"))  # noqa: SIM115 - closed at exit
    assert_exact()
    assert EmploymentCount.objects.count() == 2


def test_the_figures_read_the_count_and_match_the_records(people, world):
    home = list(world.home.members.order_by("pk"))
    neighbour = list(world.neighbour.members.order_by("pk"))
    base = dt.date(2022, 10, 1)
    for p in home + neighbour:
        record(p, base)
        record(p, OCTOBER, IDLE_WILLING if p == neighbour[0] else WORKING_AWAY)
        record(p, SEPTEMBER)
    report = region_report(world.county, OCTOBER)
    assert (report.total.records, report.total.employed, report.total.base.employed) == (4, 3, 4)
    assert report.total.previous_month.employed == 4
    assert report.total.month.by_tier == {e.OUT_OF_PROVINCE: 3}
    assert [f.region for f in report.falling] == [world.township]
    points = {p.month: p.employed for p in trend(world.county, OCTOBER)}
    assert (points[OCTOBER], points[SEPTEMBER], points[dt.date(2026, 8, 1)]) == (3, 4, 0)
    # A correction moves the figures with it, in the same transaction.
    survey_record(people["village_officer"], home[0], OCTOBER, IDLE_WILLING, today=TODAY)
    assert region_report(world.county, OCTOBER).total.employed == 2
