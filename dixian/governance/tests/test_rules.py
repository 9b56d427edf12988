"""The pure rules of 四议两公开 (docs/domain.md §28): order, missing steps, what is due next."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from dixian.governance import rules

TODAY = dt.date(2026, 6, 1)
dates = st.dates(min_value=dt.date(2025, 1, 1), max_value=TODAY)


def test_a_step_dated_before_the_previous_one_is_refused_with_both_named():
    recorded = {"proposal": dt.date(2026, 3, 10)}
    problem = rules.order_problem("discussion", dt.date(2026, 3, 9), recorded, TODAY)
    assert (
        problem is not None and "两委商议" in problem and "党支部提议" in problem and "2026-03-10" in problem
    )


def test_a_step_dated_after_a_later_recorded_one_is_refused():
    recorded = {"proposal": dt.date(2026, 3, 1), "representatives": dt.date(2026, 3, 20)}
    assert rules.order_problem("members_review", dt.date(2026, 3, 21), recorded, TODAY) is not None
    assert rules.order_problem("members_review", dt.date(2026, 3, 15), recorded, TODAY) is None


def test_a_future_step_is_refused():
    assert "晚于今天" in (rules.order_problem("proposal", TODAY + dt.timedelta(days=1), {}, TODAY) or "")


@given(st.lists(dates, min_size=6, max_size=6), st.permutations(rules.STEP_CODES))
def test_steps_accepted_in_any_recording_order_are_in_date_order(days, order):
    """Whatever the order steps are recorded in, those accepted always have dates in the steps' order."""
    recorded: dict[str, dt.date] = {}
    for code, day in zip(order, days, strict=True):
        if rules.order_problem(code, day, recorded, TODAY) is None:
            recorded[code] = day
    accepted = [recorded[c] for c in rules.STEP_CODES if c in recorded]
    assert accepted == sorted(accepted)


def test_missing_steps_depend_on_the_state():
    have = ["proposal", "discussion", "representatives"]
    assert rules.missing_steps(have, "open") == []
    assert rules.missing_steps(have, "implemented") == ["members_review", "resolution_disclosure"]
    assert rules.missing_steps(have, "closed") == [
        "members_review",
        "resolution_disclosure",
        "result_disclosure",
    ]


def test_next_due_follows_dixians_deadlines():
    assert rules.next_due({}, "open", None) == ("proposal", None)
    on = dt.date(2026, 3, 1)
    assert rules.next_due({"proposal": on}, "open", None) == ("discussion", on + dt.timedelta(days=30))
    assert rules.next_due({"representatives": on}, "open", None) == (
        "resolution_disclosure",
        on + dt.timedelta(days=7),
    )
    assert rules.next_due({"resolution_disclosure": on}, "open", None) == ("", None)
    assert rules.next_due({}, "implemented", on) == ("result_disclosure", on + dt.timedelta(days=30))
    assert rules.next_due({}, "closed", on) == ("", None)


def test_votes_cannot_exceed_attendance():
    assert rules.votes_problem(30, 31, (None, None, None)) is not None
    assert rules.votes_problem(30, 25, (20, 5, 1)) is not None
    assert rules.votes_problem(30, 25, (20, 4, 1)) is None
