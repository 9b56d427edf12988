"""R08 housing, R09 disaster, R12 income below the line, R13 income drop, R15 overdue micro-credit,
R16 petitions, R17 village water outages."""

from __future__ import annotations

from datetime import date

from dixian.screening.engine.core import PRIVATE_CLOSE as C
from dixian.screening.engine.core import PRIVATE_OPEN as O

from .data import OTHER_VILLAGE, VILLAGE, World, feed
from .helpers import alerts, rule, run


def test_r08_fires_for_grade_c_and_d_only() -> None:
    w = World()
    ids = {g: w.person(w.household(f"H{g}"), f"户主{g}") for g in "ABCD"}
    rows = [
        {"name": f"户主{g}", "id_number": pid, "appraisal_date": date(2026, 5, 1), "grade": g}
        for g, pid in ids.items()
    ]
    found = alerts(run(w.registry(), {"housing": feed("housing", rows)}, only="R08"))
    assert set(found) == {("HC", "91"), ("HD", "91")}
    assert found[("HD", "91")]["grade"] == "红"
    assert found[("HD", "91")]["risk_name"] == "住房安全"
    assert found[("HD", "91")]["reason"] == "2026年5月1日住房安全鉴定为D级(户主户主D)(规则 R08 第1版)"


def test_r09_threshold_collapse_subtype_and_grade_by_income() -> None:
    w = World()
    at = w.person(w.household("AT", income=50000), "甲")
    below = w.person(w.household("BELOW", income=50000), "乙")
    collapsed = w.person(w.household("FELL", income=50000), "丙")
    poor = w.person(w.household("POOR", income=12000), "丁")
    rows = [
        {
            "name": "甲",
            "id_number": at,
            "disaster_type": "洪涝",
            "occurred_on": date(2026, 9, 1),
            "loss": 10000,
        },
        {
            "name": "乙",
            "id_number": below,
            "disaster_type": "洪涝",
            "occurred_on": date(2026, 9, 1),
            "loss": 9999.99,
        },
        {
            "name": "丙",
            "id_number": collapsed,
            "disaster_type": "地震",
            "occurred_on": date(2026, 9, 1),
            "loss": 500,
            "house_damaged": "是",
        },
        {
            "name": "丁",
            "id_number": poor,
            "disaster_type": "干旱",
            "occurred_on": date(2026, 9, 1),
            "loss": 12000,
        },
    ]
    found = alerts(run(w.registry(), {"disaster": feed("disaster", rows)}, only="R09"))
    assert {k: v["grade"] for k, v in found.items()} == {
        ("AT", "0201"): "橙",
        ("FELL", "0206"): "橙",
        ("POOR", "0203"): "红",
    }
    assert (
        found[("FELL", "0206")]["reason"]
        == "2026年9月1日遭受地震灾害,直接经济损失 500 元,房屋倒损(规则 R09 第1版)"
    )
    assert found[("POOR", "0203")]["reason"] == (
        "2026年9月1日遭受干旱灾害,直接经济损失 12,000 元,不低于家庭年纯收入 12,000 元(规则 R09 第1版)"
    )


def test_r12_below_the_years_line_for_unmonitored_households_only() -> None:
    w = World()
    w.person(w.household("BELOW", income=25499.97, per_capita=8499.99), "甲")
    w.person(w.household("AT", income=25500, per_capita=8500), "乙")
    w.person(
        w.household("MON", monitoring="unstable_ex_poor", kind="ex_poor", income=6000, per_capita=2000), "丙"
    )
    w.person(w.household("OLDYEAR", income=23700, per_capita=7899.99, year=2024), "丁")
    found = alerts(run(w.registry(), {}, only="R12"))
    assert set(found) == {("BELOW", "99"), ("OLDYEAR", "99")}
    assert found[("BELOW", "99")]["reason"] == (
        "2026年人均纯收入 8,499.99 元,低于当年收入监测线 8,500 元,尚非监测对象(规则 R12 第1版)"
    )
    assert "2024年人均纯收入 7,899.99 元,低于当年收入监测线 7,900 元" in found[("OLDYEAR", "99")]["reason"]


def test_r12_uses_the_most_specific_regions_line() -> None:
    w = World()
    w.person(w.household("H1", income=26400, per_capita=8800), "甲")
    county_line = rule("R12").revise(
        income_line=[
            {"year": 2026, "amount": 8500},
            {"region": VILLAGE[:6], "year": 2026, "amount": 9000},
        ]
    )
    found = alerts(run(w.registry(), {}, rules=[county_line]))
    assert found[("H1", "99")]["evidence"][0]["threshold"] == 9000


def test_r13_fires_at_a_30_percent_drop_not_below() -> None:
    w = World()
    w.person(w.household("DROP", income=42000, per_capita=14000, prev_per_capita=20000), "甲")
    w.person(w.household("SLIP", income=42000.03, per_capita=14000.01, prev_per_capita=20000), "乙")
    found = alerts(run(w.registry(), {}, only="R13"))
    assert set(found) == {("DROP", "99")}
    assert found[("DROP", "99")]["grade"] == "黄"
    assert found[("DROP", "99")]["reason"] == (
        "2026年人均纯收入 14,000 元,较上年 20,000 元下降 30%(阈值 30%)(规则 R13 第1版)"
    )


def test_r15_fires_for_micro_credit_overdue_90_days_or_more() -> None:
    w = World()
    a, b, c = (w.person(w.household(n), n) for n in ("D90", "D89", "OTHER"))
    rows = [
        {
            "name": "D90",
            "id_number": a,
            "loan_type": "脱贫人口小额信贷",
            "overdue_amount": 30000,
            "overdue_days": 90,
            "data_date": date(2026, 10, 31),
        },
        {
            "name": "D89",
            "id_number": b,
            "loan_type": "脱贫人口小额信贷",
            "overdue_amount": 30000,
            "overdue_days": 89,
            "data_date": date(2026, 10, 31),
        },
        {
            "name": "OTHER",
            "id_number": c,
            "loan_type": "其他",
            "overdue_amount": 30000,
            "overdue_days": 400,
            "data_date": date(2026, 10, 31),
        },
    ]
    found = alerts(run(w.registry(), {"loan": feed("loan", rows)}, only="R15"))
    assert set(found) == {("D90", "06")}
    assert found[("D90", "06")]["reason"] == (
        "2026年10月31日D90脱贫人口小额信贷逾期 90 天,逾期金额 30,000 元(规则 R15 第1版)"
    )


def test_r16_maps_each_hardship_category_to_its_risk_and_ignores_others() -> None:
    w = World()
    pid = w.person(w.household("H1"), "甲")
    rows = [
        {
            "name": "甲",
            "id_number": pid,
            "visit_date": date(2026, 10, day),
            "category": cat,
            "summary": f"诉求{day}",
        }
        for day, cat in ((1, "生活困难"), (2, "医疗"), (3, "住房"), (4, "就业"), (5, "其他"))
    ]
    found = alerts(run(w.registry(), {"petition": feed("petition", rows)}, only="R16"))
    assert {k: v["grade"] for k, v in found.items()} == {
        ("H1", "99"): "黄",
        ("H1", "01"): "黄",
        ("H1", "91"): "黄",
    }
    assert found[("H1", "01")]["reason"] == f"2026年10月2日甲来访反映医疗问题:{O}诉求2{C}(规则 R16 第1版)"


def test_r17_alerts_ex_poor_and_monitored_households_of_the_village_after_30_days() -> None:
    w = World()
    w.person(w.household("EXPOOR", kind="ex_poor"), "甲")
    w.person(w.household("MON", monitoring="edge"), "乙")
    w.person(w.household("PLAIN"), "丙")
    w.person(w.household("ELSEWHERE", kind="ex_poor", village=OTHER_VILLAGE), "丁")
    rows = [
        {
            "village_code": VILLAGE,
            "event_type": "水量不足",
            "start_date": date(2026, 10, 1),
        },  # open: 30 days by 10-31
        {
            "village_code": OTHER_VILLAGE,
            "event_type": "停水",
            "start_date": date(2026, 9, 1),
            "end_date": date(2026, 9, 30),
        },
        {"village_code": OTHER_VILLAGE, "event_type": "水质不达标", "start_date": date(2026, 8, 1)},
    ]
    found = alerts(run(w.registry(), {"water": feed("water", rows)}, only="R17"))
    assert set(found) == {("EXPOOR", "92"), ("MON", "92")}
    assert (
        found[("EXPOOR", "92")]["reason"]
        == "2026年10月1日起所在村水量不足已持续 30 天(不少于 30 天)(规则 R17 第1版)"
    )
