"""The weekly report's rules and the week calendar (docs/domain.md §27), held by properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dixian.environment import validation as v

counts = st.integers(min_value=0, max_value=500)


@given(counts, counts, counts, counts, counts, counts, counts, counts)
def test_a_row_is_refused_exactly_when_a_bound_is_broken(up, san, use, gar, sew, works, hh, nat):
    f = v.Figures(up, san, use, gar, sew, works)
    problems = v.report_problems(f, households=hh, natural_villages=nat)
    broken = san > hh or up > hh or use > hh or sew > hh or up > san or use > san or gar > nat
    assert bool(problems) == broken


@given(st.dates(min_value=dt.date(2000, 1, 10), max_value=dt.date(2099, 12, 31)))
def test_a_week_label_names_its_monday_again(day):
    monday = v.week_monday(day)
    assert monday.weekday() == 0 and v.week_parse(v.week_label(monday)) == monday
    assert v.week_parse(day.isoformat()) == monday


# Years outside 2000–2100 name no week: the dates around a week of year 1 or 9999 would overflow.
@pytest.mark.parametrize("text", ["", "2026-W60", "2026-13-01", "W42", "2026-W00", "0001-W01", "9999-W52"])
def test_a_text_that_names_no_week_is_none(text):
    assert v.week_parse(text) is None


def test_the_deadline_is_the_following_monday_at_noon_by_default():
    assert v.deadline_of(dt.date(2026, 10, 12), "0 12:00") == dt.datetime(2026, 10, 19, 12, 0)  # noqa: DTZ001 - deadlines are naive local times (docs/domain.md §27)
    assert v.deadline_of(dt.date(2026, 10, 12), "2 09:30") == dt.datetime(2026, 10, 21, 9, 30)  # noqa: DTZ001 - the same
    for bad in ("", "monday", "7 12:00", "0 25:00"):
        with pytest.raises(v.DeadlineSettingError):
            v.deadline_parse(bad)
