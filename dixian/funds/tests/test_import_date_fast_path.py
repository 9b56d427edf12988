"""The date column's fast reader: a date cell (a datetime; a date cell is one at midnight) skips the full parser and reads the
same date it would (docs/domain.md §22)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from dixian.funds.imports import PAYMENTS, _fast
from dixian.registry import parsing as rp

PAID_ON = next(c for c in PAYMENTS.columns if c.field == "paid_on")
fast = _fast(PAID_ON, Decimal(1))


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_a_date_cell_takes_the_fast_path(day):
    assert fast is not None
    assert fast(dt.datetime.combine(day, dt.time())) == day


@given(st.datetimes())  # naive, as calamine gives a date cell
def test_the_fast_path_reads_any_datetime_as_the_parser_does(value):
    assert fast is not None
    assert fast(value) == rp.parse_date(value)
