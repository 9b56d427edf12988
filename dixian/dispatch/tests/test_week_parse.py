"""Asking for a week (docs/domain.md §29 "The week"): ISO weeks and dates, and a Chinese message for the rest."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dixian.common.due import WeekError, week_key, week_label, week_of, week_parse

DAYS = st.dates(min_value=dt.date(2000, 1, 3), max_value=dt.date(2100, 12, 26))


@pytest.mark.parametrize(
    ("text", "monday"),
    [
        ("2026-W49", dt.date(2026, 11, 30)),
        ("2026w49", dt.date(2026, 11, 30)),
        (" 2026-w1 ", dt.date(2025, 12, 29)),
        ("2026-12-03", dt.date(2026, 11, 30)),
        ("2026-12-6", dt.date(2026, 11, 30)),
        ("2026-W53", dt.date(2026, 12, 28)),  # 2026 has 53 ISO weeks
    ],
)
def test_a_week_is_read_from_its_iso_name_or_any_date_of_it(text, monday):
    assert week_parse(text) == monday


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "没有填写周次"),
        ("第49周", "不是周次"),
        ("2026-49", "不是周次"),
        ("2025-W53", "2025 年只有第 1 至第 52 周"),
        ("2026-W00", "只有第 1 至第 53 周"),
        ("2026-02-30", "不是有效的日期"),
        ("1999-W10", "只能查看 2000 年至 2100 年"),
        ("2026-W٤٩", "不是周次"),  # Arabic-Indic digits are no week
    ],
)
def test_a_bad_week_is_refused_with_a_chinese_message_saying_what_to_type(text, says):
    with pytest.raises(WeekError) as caught:
        week_parse(text)
    assert says in str(caught.value)
    if says in ("不是周次", "没有填写周次", "不是有效的日期"):
        assert "例如 2026-W49" in str(caught.value)


def test_the_label_names_the_week_and_its_days():
    assert week_label(dt.date(2026, 11, 30)) == "2026年第49周(2026-11-30 至 2026-12-06)"


@given(DAYS)
def test_every_day_reads_back_as_its_week_by_name_and_by_date(day):
    monday = week_of(day)[0]
    assert monday.weekday() == 0 and monday <= day < monday + dt.timedelta(days=7)
    assert week_parse(week_key(monday)) == monday
    assert week_parse(day.isoformat()) == monday


@given(st.text(max_size=30))
def test_any_text_is_a_monday_or_a_week_error(text):
    try:
        monday = week_parse(text)
    except WeekError as exc:
        assert str(exc)  # noqa: PT017 - the message is the behaviour
    else:
        assert monday.weekday() == 0
