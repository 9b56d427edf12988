"""Amounts in number cells are exact to the fen or refused, at any size (docs/domain.md §22): a third decimal
(a seventh in 万元) is never rounded away silently, in the funds workbook nor in the links import."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dixian.funds.parsing import WAN, parse_money
from dixian.registry.parsing import ParseError, parse_amount

D = Decimal
# Up to 1e11 元 a float cell still shows every digit of a value with three decimals (14 significant digits).
mils = st.integers(min_value=0, max_value=10**14).filter(lambda n: n % 10 != 0)
fen = st.decimals(min_value=D("0"), max_value=D("9999999999999.99"), places=2)
# 万元 to six decimals, up to 1e7 万元 (1e11 元) for the seventh decimal to survive in a float.
wan_tenth_steps = st.integers(min_value=0, max_value=10**14).filter(lambda n: n % 10 != 0)


@given(mils)
def test_a_number_cell_with_a_third_decimal_is_always_refused(n):
    value = float(D(n).scaleb(-3))
    with pytest.raises(ParseError, match="两位小数"):
        parse_money(value)


@given(mils.filter(lambda n: n <= 9999999999990))
def test_the_links_amount_parser_refuses_a_third_decimal_too(n):
    with pytest.raises(ParseError, match="两位小数"):
        parse_amount(float(D(n).scaleb(-3)))


@given(fen)
def test_a_two_decimal_number_cell_round_trips_exactly(amount):
    assert parse_money(float(amount)) == amount


@given(st.decimals(min_value=D("0"), max_value=D("9999999999.99"), places=2))
def test_a_two_decimal_number_cell_round_trips_exactly_in_the_links_import(amount):
    assert parse_amount(float(amount)) == amount


@given(st.decimals(min_value=D("0"), max_value=D("999999999.999999"), places=6))
def test_six_decimals_of_wan_are_exact_to_the_fen(wan):
    assert parse_money(float(wan), unit=WAN) == (wan * 10000).quantize(D("0.01"))


@given(wan_tenth_steps)
def test_a_seventh_decimal_of_wan_is_refused(n):
    with pytest.raises(ParseError, match="6位小数"):
        parse_money(float(D(n).scaleb(-7)), unit=WAN)


def test_the_reviewed_example_is_refused_not_rounded():
    # 123456.785 元 was read as 123456.79 (the tolerance grew with the amount).
    with pytest.raises(ParseError):
        parse_money(123456.785)
    with pytest.raises(ParseError):
        parse_amount(123456.785)
