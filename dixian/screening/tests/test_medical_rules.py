"""R01 (12-month 个人负担), R02 (门诊慢特病 per month), R14 (刚性支出 above income)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from .data import World, feed
from .helpers import alerts, evidence_of, rule, run


def _settlement(
    no: str, pid: str, amount: float, *, kind: str = "住院", day: date = date(2026, 6, 1)
) -> dict:
    return {
        "settlement_no": no,
        "name": "某",
        "id_number": pid,
        "visit_type": kind,
        "settlement_date": day,
        "total_cost": amount * 2,
        "out_of_pocket": amount,
    }


@pytest.mark.parametrize(
    ("kind", "monitoring", "amount", "fires"),
    [
        ("ordinary", "", 20000, True),
        ("ordinary", "", 19999.99, False),
        ("ex_poor", "", 5000, True),
        ("ex_poor", "", 4999.99, False),
        ("ordinary", "edge", 5000, True),  # a monitored household uses the low threshold too
    ],
)
def test_r01_fires_at_the_household_type_threshold_and_not_below(kind, monitoring, amount, fires) -> None:
    w = World()
    h = w.household("H1", kind=kind, monitoring=monitoring, income=200000)
    pid = w.person(h, "张三")
    result = run(w.registry(), {"medical": feed("medical", [_settlement("S1", pid, amount)])}, only="R01")
    assert (("H1", "01") in alerts(result)) is fires


def test_r01_sums_a_members_settlements_over_the_last_twelve_months_only() -> None:
    w = World()
    h = w.household("H1", income=200000)
    pid = w.person(h, "张三")
    rows = [
        _settlement("S1", pid, 12000, day=date(2025, 11, 1)),  # first day of the 12-month window
        _settlement("S2", pid, 8000, day=date(2026, 10, 31)),  # last day
        _settlement("S3", pid, 50000, day=date(2025, 10, 31)),  # one day too old
    ]
    [ev] = evidence_of(run(w.registry(), {"medical": feed("medical", rows)}, only="R01"), "R01")
    assert ev["record_keys"] == ["S1", "S2"]
    assert ev["amount"] == 20000


def test_r01_is_red_at_half_the_household_income_and_orange_below() -> None:
    w = World()
    red = w.household("RED", income=40000)
    orange = w.household("ORG", income=40000.02)
    p_red, p_org = w.person(red, "甲"), w.person(orange, "乙")
    rows = [_settlement("S1", p_red, 20000), _settlement("S2", p_org, 20000)]
    found = alerts(run(w.registry(), {"medical": feed("medical", rows)}, only="R01"))
    assert found[("RED", "01")]["grade"] == "红"
    assert found[("ORG", "01")]["grade"] == "橙"


def test_r01_explains_itself_in_chinese_with_the_rule_version() -> None:
    w = World()
    h = w.household("H1", income=100000)
    pid = w.person(h, "张三")
    # The wording of the example, as an administrator would set it in version 3.
    v3 = (
        rule("R01")
        .revise()
        .revise(
            window_months=10,
            visit_types=["住院"],
            template="{window}住院合规自付 {amount} 元,超过{kind}阈值 {threshold} 元{note}(规则 {rule_id} 第{version}版)",
        )
    )
    assert v3.version == 3
    rows = [
        _settlement("S1", pid, 23000, day=date(2026, 1, 5)),
        _settlement("S2", pid, 400, day=date(2026, 10, 2)),
        _settlement("S3", pid, 9000, kind="普通门诊"),
    ]
    result = run(w.registry(), {"medical": feed("medical", rows)}, rules=[v3])
    assert alerts(result)[("H1", "01")]["reason"] == (
        "2026年1-10月住院合规自付 23,400 元,超过一般农户阈值 20,000 元(规则 R01 第3版)"
    )


def test_r01_red_reason_names_the_income_share() -> None:
    w = World()
    h = w.household("H1", kind="ex_poor", income=10000.5)
    pid = w.person(h, "张三")
    result = run(w.registry(), {"medical": feed("medical", [_settlement("S1", pid, 6000.25)])}, only="R01")
    assert alerts(result)[("H1", "01")]["reason"] == (
        "2025年11月至2026年10月张三医疗个人负担 6,000.25 元,达到脱贫户阈值 5,000 元,"
        "达到家庭年纯收入 10,000.50 元的 50% 以上(规则 R01 第1版)"
    )


def test_r02_fires_for_500_in_one_calendar_month_not_for_499_99() -> None:
    w = World()
    h = w.household("H1", income=100000)
    pid = w.person(h, "张三")
    rows = [
        _settlement("A1", pid, 300, kind="门诊慢特病", day=date(2026, 9, 1)),
        _settlement("A2", pid, 200, kind="门诊慢特病", day=date(2026, 9, 30)),  # September: 500 → fires
        _settlement("B1", pid, 499.99, kind="门诊慢特病", day=date(2026, 10, 1)),  # October: below
        _settlement("C1", pid, 900, kind="普通门诊", day=date(2026, 10, 1)),  # not chronic
    ]
    result = run(w.registry(), {"medical": feed("medical", rows)}, only="R02")
    [ev] = evidence_of(result, "R02")
    assert ev["record_keys"] == ["A1", "A2"]
    assert ev["grade"] == "黄"
    assert ev["reason"] == "2026年9月张三门诊慢特病个人负担 500 元,达到月度阈值 500 元(规则 R02 第1版)"


def test_r14_fires_when_medical_plus_school_costs_exceed_income() -> None:
    w = World()
    over = w.household("OVER", income=30000)
    equal = w.household("EQ", income=30000)
    a, a_child = w.person(over, "甲"), w.person(over, "甲子", birth=date(2007, 1, 1), labour="none")
    b, b_child = w.person(equal, "乙"), w.person(equal, "乙子", birth=date(2007, 1, 1), labour="none")
    medical = feed("medical", [_settlement("M1", a, 18000), _settlement("M2", b, 18000)])
    education = feed(
        "education",
        [
            {
                "name": "甲子",
                "id_number": a_child,
                "stage": "本科",
                "enrolment_status": "在读",
                "status_date": date(2026, 9, 1),
                "fees": 12000.01,
            },
            {
                "name": "乙子",
                "id_number": b_child,
                "stage": "本科",
                "enrolment_status": "在读",
                "status_date": date(2026, 9, 1),
                "fees": 12000,
            },
        ],
    )
    result = run(w.registry(), {"medical": medical, "education": education}, only="R14")
    found = alerts(result)
    assert set(found) == {("OVER", "93")}
    alert = found[("OVER", "93")]
    assert alert["grade"] == "红"
    assert alert["risk_name"] == "刚性支出"
    assert alert["evidence"][0]["feed"] == "medical+education"
    assert alert["evidence"][0]["record_keys"] == [
        "education:甲子|" + a_child + "|在读|2026-09-01",
        "medical:M1",
    ]
    assert alert["reason"] == (
        "2025年11月至2026年10月医疗个人负担 18,000 元与学年自付费用 12,000.01 元合计 30,000.01 元,"
        "超过家庭年纯收入 30,000 元(规则 R14 第1版)"
    )


def test_r14_runs_on_medical_alone_when_education_was_not_delivered() -> None:
    w = World()
    h = w.household("H1", income=10000)
    pid = w.person(h, "张三")
    result = run(w.registry(), {"medical": feed("medical", [_settlement("M1", pid, 10000.01)])}, only="R14")
    assert ("H1", "93") in alerts(result)
    assert result.rules_run == ["R14v1"]


def test_r14_runs_on_school_fees_alone_and_needs_costs_of_the_household_itself() -> None:
    w = World()
    fees = w.household("FEES", income=10000)
    child = w.person(fees, "甲子", birth=date(2008, 1, 1), labour="none")
    # A household with no costs at all is not over its income, even when that income is below zero.
    w.person(w.household("LOSS", income=-500), "乙")
    education = feed(
        "education",
        [
            {
                "name": "甲子",
                "id_number": child,
                "stage": "本科",
                "enrolment_status": "在读",
                "status_date": date(2026, 9, 1),
                "fees": 10000.01,
            }
        ],
    )
    result = run(w.registry(), {"education": education}, only="R14")
    found = alerts(result)
    assert set(found) == {("FEES", "93")}
    assert found[("FEES", "93")]["evidence"][0]["amount"] == Decimal("10000.01")
    assert result.rules_run == ["R14v1"]
