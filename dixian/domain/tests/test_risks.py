"""Grades: one order of urgency, read as severity by the engine and as list rank by the work queues."""

from __future__ import annotations

import datetime as dt

from dixian.domain import risks


def test_red_is_the_most_severe_and_comes_first_in_lists() -> None:
    assert max(risks.GRADES, key=risks.GRADES.__getitem__) == risks.RED
    assert risks.GRADE_RANK == {risks.RED: 1, risks.ORANGE: 2, risks.YELLOW: 3}
    assert (
        risks.higher_grade(risks.YELLOW, risks.RED)
        == risks.higher_grade(risks.RED, risks.ORANGE)
        == risks.RED
    )


def test_each_grade_gives_its_days_to_act() -> None:
    raised = dt.date(2026, 12, 1)
    assert [risks.due_date(g, raised).day for g in (risks.RED, risks.ORANGE, risks.YELLOW)] == [4, 8, 16]


def test_risk_choices_name_every_code_and_an_unknown_code_shows_itself() -> None:
    assert [code for code, _ in risks.RISK_CHOICES] == list(risks.RISK_TYPES)
    assert dict(risks.RISK_CHOICES)["0201"] == "0201 因自然灾害(洪涝)"
    assert risks.risk_name("01") == "因病" and risks.risk_name("88") == "88"
