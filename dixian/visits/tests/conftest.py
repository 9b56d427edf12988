from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def today():
    """The visit tests run on 2026-11-20 (a Friday), 10:00 in Jiujiang: dates in them are relative to it."""
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield TODAY
