"""The money and dictionary parsers of the finance office's workbook."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dixian.domain import funds as fd
from dixian.funds.parsing import WAN, ParseError, parse_level, parse_money, parse_use

D = Decimal
FULL_WIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")
fen = st.decimals(min_value=D("0"), max_value=D("1e10"), places=2)


@given(fen)
def test_an_amount_in_yuan_reads_back_exactly_however_it_is_written(amount):
    for cell in (str(amount), f"{amount:,}", f"{amount:,}".translate(FULL_WIDTH), f"{amount}元"):
        assert parse_money(cell) == amount


@given(st.decimals(min_value=D("0"), max_value=D("1e6"), places=6))
def test_an_amount_in_wan_is_converted_exactly_to_the_fen(wan):
    assert parse_money(str(wan), unit=WAN) == (wan * 10000).quantize(D("0.01"))
    assert parse_money(float(str(wan)), unit=WAN) == (wan * 10000).quantize(D("0.01"))


@given(fen)
def test_a_number_cell_is_read_as_the_amount_it_shows(amount):
    assert parse_money(float(amount)) == amount


@given(st.one_of(st.text(max_size=12), st.floats(), st.integers(), st.booleans(), st.none()))
def test_the_money_parser_raises_nothing_but_its_own_error(value):
    try:
        result = parse_money(value)
    except ParseError as exc:
        assert str(exc)
    else:
        assert result is None or (result >= 0 and result == result.quantize(D("0.01")))


def test_a_third_decimal_or_a_negative_amount_is_refused_with_a_reason():
    with pytest.raises(ParseError, match="两位小数"):
        parse_money("1.005")
    with pytest.raises(ParseError, match="6位小数"):
        parse_money("1.0000001", unit=WAN)
    with pytest.raises(ParseError, match="负数"):
        parse_money(-1)
    assert parse_money(0.1 + 0.2) == D("0.30")  # formula noise, not a third decimal


def test_levels_and_uses_are_read_in_the_finance_offices_spellings():
    assert parse_level("中央财政") == fd.CENTRAL and parse_level("县(市、区)级") == fd.COUNTY
    assert parse_use("购置车辆") == "vehicles" and parse_use("vehicles") == "vehicles"
    with pytest.raises(ParseError, match="无法识别"):
        parse_level("乡级")
