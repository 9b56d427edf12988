"""Cell parsers of the finance office's workbook (docs/domain.md §22): money in 元 or 万元, fund levels, project
types, payment uses and payee categories. Pure functions; each raises `ParseError` with a Chinese sentence
saying what is wrong and what to do, and nothing else, whatever the cell holds.

Dates, texts, codes and yes/no cells are the registry's parsers (`dixian.registry.parsing`): one reading of a
date or of a full-width digit for every import of the platform.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from dixian.domain import funds as fd
from dixian.registry import parsing as rp
from dixian.registry.parsing import ParseError

YUAN = Decimal(1)
WAN = Decimal(10000)
# Up to 9,999,999,999,999.99 元, the models' AMOUNT field.
MAX_AMOUNT = Decimal("9999999999999.99")
# Amounts below this many 元 are read from a float cell directly: its steps (fen, or 万元/1e6) stay below 2**53.
FLOAT_SAFE = 1e9
# Float noise allowed in a cell, in the column's smallest steps (a fen, or a millionth of 万元): absolute, not
# relative, so that a third decimal is refused at any amount.
STEP_NOISE = 1e-3
_UNIT_MARKS = ("元", "¥", "￥", ",", " ")


def _places(unit: Decimal) -> int:
    """Decimal places a cell may carry so that the amount in 元 is exact to the fen: 2 in 元, 6 in 万元."""
    return 2 + (len(str(int(unit))) - 1)


def parse_money(value: object, *, unit: Decimal = YUAN) -> Decimal | None:
    """An amount of money, in 元 exact to the fen. `unit` is 1 for a 元 column, 10000 for a 万元 one; the cell
    is converted exactly (12.3456 万元 = 123456.00 元). Accepts "1,234.50", full-width digits, a trailing 元.
    Empty → None; negative, zero-free garbage and more decimals than the fen allows are refused."""
    if value is None or value == "":
        return None
    if type(value) is float and 0 <= value * float(unit) <= FLOAT_SAFE:
        # The common number cell, without Decimal arithmetic: its value in the column's smallest step (a fen,
        # or a millionth of 万元) is an integer up to float noise, which a float holds exactly this far.
        places = 6 if unit == WAN else 2
        scaled = value * 10.0**places
        steps = round(scaled)
        # An absolute tolerance in steps: a third decimal (a tenth of a step or more) is never float noise,
        # however large the amount (docs/domain.md §22: exact to the fen, more decimals refused).
        if abs(scaled - steps) <= STEP_NOISE:
            return (Decimal(steps).scaleb(-places) * unit).quantize(fd.FEN) + 0
    unit_name = "万元" if unit == WAN else "元"
    places = _places(unit)

    def bad() -> ParseError:  # built only when needed: a book has 100,000 good amounts
        return ParseError(f"「{rp._shown(value)}」不是金额,请填写数字(单位:{unit_name}),如 1200 或 1,200.50")

    if isinstance(value, bool):
        raise bad()
    if isinstance(value, float):
        if not math.isfinite(value):
            raise bad()
        # The shortest text that reads back as this float is what the cell shows; formula noise
        # (0.1 + 0.2 = 0.30000000000000004) is rounded away when it is below a thousandth of a step.
        amount = Decimal(repr(value))
        if 0 <= amount * unit <= MAX_AMOUNT:  # out of range is refused below, before any quantize
            step = Decimal(1).scaleb(-places)
            rounded = amount.quantize(step)
            if abs(amount - rounded) <= step * Decimal(STEP_NOISE):
                amount = rounded
    elif isinstance(value, int):
        amount = Decimal(value)
    else:
        s = rp.text(value)  # full-width digits and commas fold to ASCII
        for mark in _UNIT_MARKS:
            s = s.replace(mark, "")
        s = s.removesuffix("万")
        if not s:
            return None
        try:
            amount = Decimal(s)
        except InvalidOperation:
            raise bad() from None
        if not amount.is_finite():
            raise bad()
    if amount < 0:
        raise ParseError(f"金额「{rp._shown(value)}」不能为负数")
    if amount * unit > MAX_AMOUNT:
        raise ParseError(f"金额「{rp._shown(value)}」过大,请核对单位是{unit_name}")
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        if unit == WAN:
            raise ParseError(f"金额「{rp._shown(value)}」万元超过6位小数,换算成元后不是整分,请核对")
        raise ParseError(f"金额「{rp._shown(value)}」超过两位小数,请保留到分(两位小数)")
    return (amount * unit).quantize(fd.FEN) + 0  # + 0 turns "-0" into 0.00


def _table(spellings: dict[str, tuple[str, ...]], labels: dict[str, str]) -> dict[str, str]:
    table: dict[str, str] = {}
    for code, label in labels.items():
        table[code] = code
        table[rp.text(label)] = code
    for code, names in spellings.items():
        for name in names:
            table[rp.text(name)] = code
    return table


@lru_cache(maxsize=1)
def _levels() -> dict[str, str]:
    return _table(fd.FUND_LEVEL_SPELLINGS, fd.FUND_LEVELS)


@lru_cache(maxsize=1)
def _kinds() -> dict[str, str]:
    return _table(fd.PROJECT_TYPE_SPELLINGS, fd.PROJECT_TYPES)


@lru_cache(maxsize=1)
def _uses() -> dict[str, str]:
    return _table({}, {code: u.label for code, u in fd.USE_CATEGORIES.items()})


@lru_cache(maxsize=1)
def _payees() -> dict[str, str]:
    return _table({}, fd.PAYEE_CATEGORIES)


def _lookup(value: object, table: dict[str, str], what: str, offered: list[str]) -> str | None:
    if type(value) is str and value in table:  # the common case: the label as the template offers it
        return table[value]
    s = rp.text(value).replace(" ", "")
    if not s:
        return None
    found = table.get(s) or table.get(s.lower())
    if found is None:
        raise ParseError(f"{what}「{rp._shown(value)}」无法识别,请填写:{'、'.join(offered)}")
    return found


def parse_level(value: object) -> str | None:
    """A fund level (资金级次): 中央 / 省级 / 市级 / 县级 and the finance offices' spellings."""
    return _lookup(value, _levels(), "资金级次", list(fd.FUND_LEVELS.values()))


def parse_kind(value: object) -> str | None:
    return _lookup(value, _kinds(), "项目类型", list(fd.PROJECT_TYPES.values()))


def parse_use(value: object) -> str | None:
    """A payment's use category, by its label or code (a forbidden one is a valid category: the negative
    list refuses it with its rule, docs/domain.md §22)."""
    return _lookup(value, _uses(), "资金用途", [u.label for u in fd.USE_CATEGORIES.values()][:10] + ["……"])


def parse_payee(value: object) -> str | None:
    return _lookup(value, _payees(), "收款方类别", list(fd.PAYEE_CATEGORIES.values()))


def level_table() -> dict[str, str]:
    return _levels()


def use_table() -> dict[str, str]:
    return _uses()


def payee_table() -> dict[str, str]:
    return _payees()


__all__ = ["ParseError", "parse_kind", "parse_level", "parse_money", "parse_payee", "parse_use"]
