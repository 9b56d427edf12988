"""The payment and arrangement rules (docs/domain.md §22) and the negative list in force on a day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dixian.domain import funds as fd
from dixian.funds.models import NegativeListItem, NegativeListVersion
from dixian.funds.negative_list import negative_list_on, negative_lists_between

D = Decimal
START = dt.date(2026, 3, 1)


def problems(**kw):
    args: dict[str, Any] = {
        "paid_on": dt.date(2026, 4, 1),
        "amount": D("100.00"),
        "started_on": START,
        "budget_total": D("1000.00"),
        "paid_before": D("0"),
        "use_category": "construction",
        "negative_list": fd.DEFAULT_NEGATIVE_LIST,
    }
    args.update(kw)
    return fd.payment_problems(**args)


def test_an_ordinary_payment_passes():
    assert problems() == []


def test_a_forbidden_use_names_its_rule():
    [message] = problems(use_category="vehicles")
    assert "购置车辆" in message and "不得用于购置交通工具" in message


def test_a_payment_before_the_start_or_before_any_start_is_refused():
    assert "早于项目开工日期" in problems(paid_on=dt.date(2026, 2, 28))[0]
    assert "尚未开工" in problems(started_on=None)[0]


def test_the_budget_is_exact_to_the_fen():
    assert problems(paid_before=D("900.00"), amount=D("100.00")) == []
    [message] = problems(paid_before=D("900.00"), amount=D("100.01"))
    assert "超过项目总投资" in message and "最多还可支付 100.00 元" in message
    assert "两位小数" in problems(amount=D("1.001"))[0]


@given(
    issued=st.decimals(min_value=D("0.01"), max_value=D("1e9"), places=2),
    before=st.decimals(min_value=D("0"), max_value=D("1e9"), places=2),
    amount=st.decimals(min_value=D("-10"), max_value=D("1e9"), places=3),
)
def test_an_arrangement_is_refused_exactly_when_it_would_pass_what_was_issued(issued, before, amount):
    found = fd.arrangement_problems(amount=amount, issued=issued, arranged_before=before)
    ok = amount > 0 and amount == amount.quantize(fd.FEN) and before + amount <= issued
    assert (found == []) == ok


@pytest.mark.django_db
def test_the_list_in_force_is_the_newest_version_of_the_day():
    assert negative_list_on(dt.date(2026, 1, 1)) == fd.DEFAULT_NEGATIVE_LIST
    v2 = NegativeListVersion.objects.create(number=2, valid_from=dt.date(2026, 6, 1))
    NegativeListItem.objects.create(version=v2, use_category="rent", rule="不得支付租金(第2版)")
    assert negative_list_on(dt.date(2026, 5, 31)) == fd.DEFAULT_NEGATIVE_LIST
    assert negative_list_on(dt.date(2026, 6, 1)) == {"rent": "不得支付租金(第2版)"}
    spans = negative_lists_between(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert [since for since, _ in spans] == [dt.date.min, dt.date(2026, 6, 1)]
    assert [since for since, _ in negative_lists_between(dt.date(2026, 7, 1), dt.date(2026, 8, 1))] == [
        dt.date(2026, 6, 1)
    ]
