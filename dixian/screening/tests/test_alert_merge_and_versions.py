"""One alert per household and risk; monitored risks are not re-alerted; rule versions by period and region."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl
import pytest

from dixian.domain.risks import RISK_TYPES
from dixian.screening.engine import RuleVersion, default_rules, select_versions

from .data import VILLAGE, World, feed
from .helpers import alerts, rule, run


def _world() -> tuple[World, dict[str, pl.DataFrame]]:
    w = World()
    h = w.household("H1", kind="ex_poor", income=12000)
    pid = w.person(h, "张三")
    feeds = {
        "medical": feed(
            "medical",
            [
                {
                    "settlement_no": "S1",
                    "name": "张三",
                    "id_number": pid,
                    "visit_type": "住院",
                    "settlement_date": date(2026, 9, 1),
                    "total_cost": 20000,
                    "out_of_pocket": 6000,
                }
            ],
        ),
        "major_illness": feed(
            "major_illness",
            [{"name": "张三", "id_number": pid, "disease": "恶性肿瘤", "diagnosis_date": date(2026, 9, 10)}],
        ),
    }
    return w, feeds


def test_two_pieces_of_evidence_for_one_risk_make_one_alert_with_the_highest_grade() -> None:
    w, feeds = _world()
    result = run(w.registry(), feeds, rules=[rule("R01"), rule("R03")])
    assert result.alerts.num_rows == 1
    alert = result.alerts.to_pylist()[0]
    assert (alert["household_no"], alert["risk_code"], alert["risk_name"]) == ("H1", "01", "因病")
    assert [e["rule_id"] for e in alert["evidence"]] == ["R01", "R03"]
    assert [e["grade"] for e in alert["evidence"]] == ["红", "橙"]  # 6,000 ≥ half of 12,000
    assert alert["grade"] == "红"
    assert alert["grade_rank"] == 3
    assert alert["evidence_count"] == 2
    assert alert["rule_ids"] == ["R01", "R03"]
    assert alert["reason"] == "；".join(e["reason"] for e in alert["evidence"])


def test_a_household_monitored_for_the_risk_gets_no_new_alert_but_the_evidence_goes_to_its_case() -> None:
    w, feeds = _world()
    monitored = pl.DataFrame({"household_no": ["H1"], "risk_code": ["01"]})
    result = run(w.registry(), feeds, rules=[rule("R01"), rule("R03")], monitored_risks=monitored)
    assert result.alerts.num_rows == 0
    assert sorted(result.case_evidence.column("rule_id").to_pylist()) == ["R01", "R03"]


def test_a_household_monitored_for_another_risk_is_still_alerted() -> None:
    w, feeds = _world()
    monitored = pl.DataFrame({"household_no": ["H1"], "risk_code": ["03"]})
    result = run(w.registry(), feeds, rules=[rule("R01")], monitored_risks=monitored)
    assert ("H1", "01") in alerts(result)
    assert result.case_evidence.num_rows == 0


def test_a_monitored_disaster_risk_covers_its_sub_types() -> None:
    w = World()
    pid = w.person(w.household("H1", income=50000), "甲")
    rows = [
        {
            "name": "甲",
            "id_number": pid,
            "disaster_type": "洪涝",
            "occurred_on": date(2026, 9, 1),
            "loss": 20000,
        }
    ]
    monitored = pl.DataFrame({"household_no": ["H1"], "risk_code": ["02"]})
    result = run(w.registry(), {"disaster": feed("disaster", rows)}, only="R09", monitored_risks=monitored)
    assert result.alerts.num_rows == 0
    assert result.case_evidence.column("risk_code").to_pylist() == ["0201"]


def test_thresholds_are_inputs_a_new_version_changes_the_result_and_the_text() -> None:
    w, feeds = _world()
    stricter = rule("R01").revise(threshold_ex_poor=7000)
    assert run(w.registry(), feeds, rules=[stricter]).alerts.num_rows == 0
    looser = rule("R01").revise(threshold_ex_poor=3000)
    [alert] = run(w.registry(), feeds, rules=[looser]).alerts.to_pylist()
    assert "达到脱贫户阈值 3,000 元" in alert["reason"]
    assert alert["evidence"][0]["rule_version"] == 2
    assert alert["reason"].endswith("(规则 R01 第2版)")


def test_the_version_valid_at_the_end_of_the_period_is_used() -> None:
    v1 = replace(rule("R01"), valid_to=date(2026, 9, 30))
    v2 = replace(rule("R01").revise(threshold_ex_poor=3000), valid_from=date(2026, 10, 1))
    assert select_versions([v1, v2], date(2026, 9, 30)) == [v1]
    assert select_versions([v1, v2], date(2026, 10, 31)) == [v2]


def test_a_county_version_overrides_the_city_version_inside_the_county() -> None:
    w = World()
    inside = w.person(w.household("IN", kind="ex_poor", income=1_000_000), "甲")
    outside = w.person(w.household("OUT", kind="ex_poor", income=1_000_000, village="360425100201"), "乙")
    rows = [
        {
            "settlement_no": n,
            "name": "某",
            "id_number": p,
            "visit_type": "住院",
            "settlement_date": date(2026, 9, 1),
            "total_cost": 12000,
            "out_of_pocket": 6000,
        }
        for n, p in (("S1", inside), ("S2", outside))
    ]
    city = rule("R01")
    county = replace(rule("R01").revise(threshold_ex_poor=8000), region=VILLAGE[:6])
    found = alerts(run(w.registry(), {"medical": feed("medical", rows)}, rules=[city, county]))
    assert set(found) == {("OUT", "01")}


def test_rules_reject_unknown_grades_risks_and_placeholders() -> None:
    with pytest.raises(ValueError, match="红 / 橙 / 黄"):
        replace(rule("R03"), grade="紫")
    with pytest.raises(ValueError, match="风险类型"):
        replace(rule("R03"), risk_code="77")
    w, feeds = _world()
    bad = replace(rule("R03"), template="{date}{nonsense}")
    with pytest.raises(ValueError, match="nonsense"):
        run(w.registry(), feeds, rules=[bad])


def test_rule_versions_round_trip_through_plain_data() -> None:
    for r in default_rules():
        assert RuleVersion.from_dict(r.to_dict()) == replace(r, params=r.to_dict()["params"])


def test_every_default_rule_has_a_known_risk_type_and_one_default_rule_per_id() -> None:
    ids = [r.rule_id for r in default_rules()]
    assert ids == [f"R{n:02d}" for n in range(1, 18)]
    assert all(r.risk_code in RISK_TYPES for r in default_rules())
    assert {RISK_TYPES[c].name for c in ("91", "92", "93")} == {"住房安全", "饮水安全", "刚性支出"}


def test_a_period_must_be_a_month() -> None:
    w, feeds = _world()
    from dixian.screening.engine import ScreeningInputError

    with pytest.raises(ScreeningInputError, match="YYYY-MM"):
        run(w.registry(), feeds, period="2026-13")


def test_a_rule_whose_feed_was_not_delivered_is_skipped_and_reported() -> None:
    w, _feeds = _world()
    result = run(w.registry(), {}, rules=[rule("R01"), rule("R03")])
    assert result.alerts.num_rows == 0
    assert result.rules_run == []
    assert result.rules_skipped == {"R01": "本期未报送:医保结算", "R03": "本期未报送:大病专项救治"}
