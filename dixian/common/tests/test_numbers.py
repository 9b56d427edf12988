"""Amounts of money read as people write them: 8,200 and 1,234.50, never 8200.00 or 5E+1."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from dixian.common.templatetags.numbers import yuan


def test_amounts_read_with_thousands_separators_and_cents_only_when_there_are_some():
    assert yuan(Decimal("8200.00")) == "8,200"
    assert yuan(Decimal("1234.5")) == "1,234.50"
    assert yuan(Decimal("5E+1")) == "50"
    assert yuan(0) == "0"
    assert yuan(None) == "" and yuan("") == ""


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_an_amount_reads_back_as_the_same_number(amount):
    text = yuan(amount)
    assert "E" not in text
    assert Decimal(text.replace(",", "")) == amount
