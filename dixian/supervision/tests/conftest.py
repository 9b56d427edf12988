from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture(autouse=True)
def _on_the_test_day(time_machine) -> None:
    # helpers.TODAY (a Wednesday) in 上海, whatever the day the tests run.
    time_machine.move_to(dt.datetime(2026, 5, 13, 2, tzinfo=dt.UTC), tick=False)
