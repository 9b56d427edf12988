"""The survey's row rules (employment/validation.py, docs/domain.md §23): examples and properties."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from dixian.domain import employment as e
from dixian.employment.validation import (
    FIELDS,
    carried_months_worked,
    month_errors,
    normalised,
    survey_row_errors,
)

TODAY = dt.date(2026, 10, 15)
OCTOBER = dt.date(2026, 10, 1)


def codes(name: str) -> list[str]:
    return [str(v.code) for v in e.DICTIONARIES[name].values]


WORKING = {"working": True, "place_tier": e.OUT_OF_PROVINCE, "channel": e.LABOUR_EXPORT, "months_worked": 10}
IDLE = {"working": False, "not_working_reason": "family_care", "willing": True, "months_worked": 0}


def fields(errors: list[tuple[str, str]]) -> set[str]:
    return {f for f, _ in errors}


def test_a_complete_row_has_no_errors():
    assert survey_row_errors(WORKING, OCTOBER, TODAY) == []
    assert survey_row_errors(IDLE, OCTOBER, TODAY) == []


def test_working_needs_place_tier_and_channel():
    errors = survey_row_errors({"working": True}, OCTOBER, TODAY)
    assert fields(errors) == {"place_tier", "channel"}
    assert all("务工就业的人员须填写" in m for _, m in errors)


def test_not_working_needs_reason_and_willing():
    errors = survey_row_errors({"working": False}, OCTOBER, TODAY)
    assert fields(errors) == {"not_working_reason", "willing"}


def test_unanswered_working_is_an_error():
    assert fields(survey_row_errors({}, OCTOBER, TODAY)) == {"working"}


def test_future_month_is_refused_with_the_current_month_named():
    errors = survey_row_errors(WORKING | {"months_worked": 1}, dt.date(2026, 11, 1), TODAY)
    assert fields(errors) == {"month"}
    assert "2026年11月" in errors[0][1] and "2026年10月" in errors[0][1]
    assert month_errors(OCTOBER, TODAY) == []


def test_months_worked_beyond_the_months_elapsed():
    errors = survey_row_errors(WORKING | {"months_worked": 4}, dt.date(2026, 3, 1), TODAY)
    assert fields(errors) == {"months_worked"}
    assert "3 个月" in errors[0][1]


def test_codes_outside_the_dictionaries_are_named():
    errors = survey_row_errors(WORKING | {"channel": "nonsense"}, OCTOBER, TODAY)
    assert fields(errors) == {"channel"}
    assert "nonsense" in errors[0][1] and "劳务输出" in errors[0][1]


rows = st.fixed_dictionaries(
    {},
    optional={
        "working": st.none() | st.booleans(),
        "place_tier": st.sampled_from(["", *codes("place_tier")]),
        "channel": st.sampled_from(["", *codes("channel")]),
        "wage_band": st.sampled_from(["", *codes("wage_band")]),
        "not_working_reason": st.sampled_from(["", *codes("not_working_reason")]),
        "willing": st.none() | st.booleans(),
        "months_worked": st.none() | st.integers(-3, 15),
        "employer": st.text(max_size=120),
        "note": st.text(max_size=220),
    },
)
months = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)).map(lambda d: d.replace(day=1))
days = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))


# No deadline: the machine is shared, and one slow example says nothing about the rules.
@settings(deadline=None)
@given(rows, months, days)
def test_errors_are_exactly_the_rules_broken(values, month, today):
    found = fields(survey_row_errors(values, month, today))
    working = values.get("working")
    expected = set()
    if month > today.replace(day=1):
        expected.add("month")
    if working is None:
        expected.add("working")
    elif working:
        expected |= {f for f in ("place_tier", "channel") if not values.get(f)}
    else:
        if not values.get("not_working_reason"):
            expected.add("not_working_reason")
        if values.get("willing") is None:
            expected.add("willing")
    n = values.get("months_worked")
    if n is not None and not 0 <= n <= month.month:
        expected.add("months_worked")
    if len(values.get("employer", "")) > 100:
        expected.add("employer")
    if len(values.get("note", "")) > 200:
        expected.add("note")
    assert found == expected


@settings(deadline=None)
@given(rows, months, days)
def test_every_message_is_chinese_and_names_a_known_field(values, month, today):
    for field, message in survey_row_errors(values, month, today):
        assert field in (*FIELDS, "month")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message)


@settings(deadline=None)
@given(rows)
def test_normalised_keeps_only_what_applies_and_stays_valid(values):
    out = normalised(values)
    assert set(out) == set(FIELDS)
    if out["working"]:
        assert out["not_working_reason"] == "" and out["willing"] is None
    elif out["working"] is False:
        assert out["place_tier"] == out["channel"] == out["employer"] == out["wage_band"] == ""
    # Dropping what does not apply never adds an error.
    before = fields(survey_row_errors(values, OCTOBER, TODAY))
    assert fields(survey_row_errors(out, OCTOBER, TODAY)) <= before


@settings(deadline=None)
@given(st.integers(0, 12), st.booleans(), months)
def test_carried_months_never_exceed_the_months_elapsed(previous, working, month):
    before = e.month_add(month, -1)
    previous = min(previous, before.month)
    carried = carried_months_worked(previous, working, before, month)
    assert 0 <= carried <= month.month
    if month.month == 1:
        assert carried == (1 if working else 0)
    elif not working:
        assert carried == previous
    else:
        assert carried == min(previous + 1, month.month)
