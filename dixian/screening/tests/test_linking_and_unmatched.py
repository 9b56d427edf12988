"""Feed rows link to persons by normalised ID number; what matches nobody is listed, never dropped."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dixian.screening.engine import ScreeningInputError
from dixian.screening.engine.core import PRIVATE_CLOSE as C
from dixian.screening.engine.core import PRIVATE_OPEN as O

from .data import World, feed, id15, id_number
from .helpers import alerts, evidence_of, run


def _row(no: str, pid: str | None, amount: float = 30000, name: str = "某") -> dict:
    return {
        "settlement_no": no,
        "name": name,
        "id_number": pid,
        "visit_type": "住院",
        "settlement_date": date(2026, 9, 1),
        "total_cost": amount * 2,
        "out_of_pocket": amount,
    }


def _full_width(text: str) -> str:
    return text.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))


def test_ids_are_normalised_before_matching() -> None:
    w = World()
    households = {}
    for n in range(5):
        households[n] = w.person(w.household(f"H{n}", income=1_000_000), f"人{n}", birth=date(1965, 1, 2 + n))
    # Find one whose check digit is X to test lower-case x.
    x_id = next(
        i
        for i in (id_number(date(1971, 3, d), s) for d in range(1, 28) for s in range(1, 40))
        if i.endswith("X")
    )
    w.persons.append(
        {
            "household_no": "HX",
            "id_number": x_id,
            "name": "X",
            "sex": "male",
            "birth_date": date(1971, 3, 1),
            "relation": "head",
            "labour_skill": "ordinary",
        }
    )
    w.household("HX", income=1_000_000)
    rows = [
        _row("S0", households[0]),
        _row("S1", id15(households[1])),  # old 15-digit number, upgraded
        _row("S2", _full_width(households[2])),  # full-width digits
        _row("S3", " " + households[3][:6] + " " + households[3][6:] + "\u3000"),  # spaces, also full-width
        _row(
            "S4", households[4][:-1] + "0" if households[4][-1] != "0" else households[4][:-1] + "1"
        ),  # typo
        _row("SX", x_id[:-1] + "x"),
    ]
    result = run(w.registry(), {"medical": feed("medical", rows)}, only="R01")
    matched = {e["record_keys"][0] for e in evidence_of(result, "R01")}
    assert matched == {"S0", "S1", "S2", "S3", "SX"}
    [bad] = result.unmatched.to_pylist()
    assert bad["record_key"] == "S4"
    assert bad["problem"] == "checksum"


def test_unmatched_rows_are_listed_with_feed_and_reason() -> None:
    w = World()
    w.person(w.household("H1"), "甲")
    stranger = id_number(date(1990, 1, 1), 999)
    rows = [
        _row("A", stranger, name="外人"),
        _row("B", None, name="无号"),
        _row("C", "3.60424E+17"),
        _row("D", "12345"),
    ]
    result = run(w.registry(), {"medical": feed("medical", rows)})
    listed = {r["record_key"]: r for r in result.unmatched.to_pylist()}
    assert {k: r["problem"] for k, r in listed.items()} == {
        "A": "not_found",
        "B": "missing",
        "C": "scientific",
        "D": "invalid",
    }
    assert listed["A"]["reason"] == "医保局医保结算记录:证件号码在农户信息库中不存在,列入应纳未纳核查"
    assert listed["A"]["feed"] == "medical"
    assert listed["A"]["name"] == "外人"
    assert listed["A"]["id_normalised"] == stranger
    assert listed["A"]["event_date"] == date(2026, 9, 1)
    assert result.alerts.num_rows == 0


def test_unmatched_rows_are_listed_by_the_runs_whose_window_holds_them() -> None:
    w = World()
    pid = w.person(w.household("H1", kind="ex_poor", income=1_000_000), "甲")
    stranger = id_number(date(1990, 1, 1), 999)
    old_unmatched = dict(_row("OLD", stranger, name="外人"), settlement_date=date(2025, 3, 1))
    # R01 reads twelve months of settlements: November 2025 to October 2026 for the run of 2026-10.
    rows = [old_unmatched, _row("NEW", stranger, name="外人"), _row("OWN", pid, 12000)]
    result = run(w.registry(), {"medical": feed("medical", rows)})
    assert [r["record_key"] for r in result.unmatched.to_pylist()] == ["NEW"]
    assert evidence_of(result, "R01")[0]["record_keys"] == ["OWN"]
    earlier = run(w.registry(), {"medical": feed("medical", [old_unmatched])}, period="2025-03")
    assert [r["record_key"] for r in earlier.unmatched.to_pylist()] == ["OLD"]


def test_rows_of_this_periods_deliveries_before_the_windows_that_match_nobody_are_listed_too() -> None:
    """A delivery of 2026-10 holding a settlement of March 2025: no run's window holds it (this period's
    opens in November 2025, later periods' later still), so this run lists it when it matches nobody."""
    w = World()
    pid = w.person(w.household("H1", kind="ex_poor", income=1_000_000), "甲")
    stranger = id_number(date(1990, 1, 1), 999)
    old = {"settlement_date": date(2025, 3, 1)}
    current = feed(
        "medical",
        [
            dict(_row("OLD", stranger, name="外人"), **old),
            dict(_row("OLD-MISSING", None, name="无号"), **old),
            dict(
                _row("OLD-15", stranger[:6] + stranger[8:17], name="外人"), **old
            ),  # upgraded, still unknown
            dict(_row("OLD-OWN", pid, 12000), **old),  # matches 甲: not listed, and not screened either
            dict(_row("OLD-LINKED", None, name="甲"), **old),  # linked to 甲 by Splink: not listed
            _row("NEW", stranger, name="外人"),
        ],
    )
    earlier = feed("medical", [dict(_row("EARLIER", stranger, name="外人"), **old)])  # a delivery of 2026-09
    links = pl.DataFrame({"feed": ["medical"], "record_key": ["OLD-LINKED"], "id_number": [pid]})

    result = run(
        w.registry(),
        {"medical": pl.concat([earlier, current])},
        links=links,
        period_feeds={"medical": current},
    )

    listed = {r["record_key"]: r for r in result.unmatched.to_pylist()}
    assert set(listed) == {"NEW", "OLD", "OLD-MISSING", "OLD-15"}
    assert (listed["OLD"]["problem"], listed["OLD"]["event_date"]) == ("not_found", date(2025, 3, 1))
    assert listed["OLD-MISSING"]["problem"] == "missing" and listed["OLD-MISSING"]["name"] == "无号"
    assert listed["OLD-15"]["id_normalised"] == stranger
    assert listed["OLD"]["reason"] == listed["NEW"]["reason"]
    assert not evidence_of(result, "R01")  # 12,000 元 in March 2025 is outside R01's window


def test_the_link_table_from_probabilistic_matching_wins_over_the_rows_own_id() -> None:
    w = World()
    pid = w.person(w.household("H1", income=1_000_000), "张三")
    rows = [_row("S1", None, name="张三"), _row("S2", id_number(date(1990, 1, 1), 1), name="张三")]
    links = pl.DataFrame(
        {
            "feed": ["medical", "medical", "medical"],
            "record_key": ["S1", "S2", "S9"],
            "id_number": [pid, pid, pid],
        }
    )
    result = run(w.registry(), {"medical": feed("medical", rows)}, links=links, only="R01")
    [ev] = evidence_of(result, "R01")
    assert ev["record_keys"] == ["S1", "S2"]
    assert ev["amount"] == 60000
    assert result.unmatched.num_rows == 0


def test_a_resent_record_counts_once() -> None:
    w = World()
    pid = w.person(w.household("H1", kind="ex_poor", income=1_000_000), "张三")
    rows = [_row("S1", pid, 12000), _row("S1", pid, 12000), _row("S1", pid, 99999)]
    [ev] = evidence_of(run(w.registry(), {"medical": feed("medical", rows)}, only="R01"), "R01")
    assert ev["amount"] == 12000
    assert ev["record_keys"] == ["S1"]


def test_a_settlement_sent_before_the_window_is_not_counted_when_sent_again_inside_it() -> None:
    """结算单号 alone is the key: the first copy of a record may lie before the rule's window, and a later
    copy inside it (here with another date) is still a copy. Deduplication reads every row of the feed."""
    w = World()
    pid = w.person(w.household("H1", kind="ex_poor", income=1_000_000), "张三")
    first = dict(_row("S1", pid, 12000), settlement_date=date(2025, 9, 1))  # R01's window opens 2025-11-01
    rows = [first, _row("S1", pid, 12000), _row("S2", pid, 5000)]
    [ev] = evidence_of(run(w.registry(), {"medical": feed("medical", rows)}, only="R01"), "R01")
    assert ev["record_keys"] == ["S2"]
    assert ev["amount"] == 5000


def test_a_record_whose_key_holds_its_date_is_counted_once_inside_the_window() -> None:
    """Where the key holds the date (信访: name, ID, date, category), every copy of a record is inside the
    window or none is: deduplication reads the window's rows alone, and a copy still counts once."""
    w = World()
    pid = w.person(w.household("H1"), "甲")
    row = {
        "name": "甲",
        "id_number": pid,
        "visit_date": date(2026, 10, 2),
        "category": "医疗",
        "summary": "诉求",
    }
    old = dict(row, visit_date=date(2025, 10, 2))  # the same person and category a year before the window
    result = run(
        w.registry(), {"petition": feed("petition", [old, row, dict(row, summary="再次")])}, only="R16"
    )
    [ev] = evidence_of(result, "R16")
    assert ev["reason"] == f"2026年10月2日甲来访反映医疗问题:{O}诉求{C}(规则 R16 第1版)"
    assert len(ev["record_keys"]) == 1


def test_feeds_may_use_aliases_in_any_column_order() -> None:
    w = World()
    pid = w.person(w.household("H1", income=1_000_000), "张三")
    frame = pl.DataFrame(
        {
            "个人自付": ["25000.00"],
            "身份证号码": [pid],
            "患者姓名": ["张三"],
            "结算流水号": ["S1"],
            "就诊类别": ["住院"],
            "结算日期": ["2026-09-01"],
            "医疗总费用(元)": ["50000"],
        }
    )
    assert ("H1", "01") in alerts(run(w.registry(), {"medical": frame}, only="R01"))


def test_a_feed_without_a_required_column_is_rejected() -> None:
    w = World()
    w.person(w.household("H1"), "张三")
    frame = pl.DataFrame({"姓名": ["张三"], "证件号码": ["1"], "结算日期": ["2026-09-01"]})
    with pytest.raises(ScreeningInputError, match="缺少必填列:结算单号、就诊类别、医疗总费用、个人负担"):
        run(w.registry(), {"medical": frame})


def test_inputs_may_be_parquet_files(tmp_path) -> None:
    w = World()
    pid = w.person(w.household("H1", income=1_000_000), "张三")
    paths = {}
    for name, frame in {**w.registry(), "medical": feed("medical", [_row("S1", pid)])}.items():
        paths[name] = tmp_path / f"{name}.parquet"
        frame.write_parquet(paths[name])
    registry = {k: paths[k] for k in ("households", "persons", "incomes")}
    result = run(registry, {"medical": str(paths["medical"])}, only="R01")
    assert ("H1", "01") in alerts(result)


def test_deliveries_of_one_feed_with_different_optional_columns_are_read_as_one_table(tmp_path) -> None:
    w = World()
    first = w.person(w.household("H1", income=1_000_000), "张三")
    second = w.person(w.household("H2", income=1_000_000), "李四")
    plain = tmp_path / "plain.parquet"
    feed("medical", [_row("S1", first)]).write_parquet(plain)
    # The second delivery also sends an optional column, in another position.
    wider = tmp_path / "wider.parquet"
    extra = feed("medical", [_row("S2", second)]).with_columns(pl.lit("2026-08-28").alias("入院日期"))
    extra.select(["入院日期", *[c for c in extra.columns if c != "入院日期"]]).write_parquet(wider)
    result = run(w.registry(), {"medical": [str(plain), str(wider)]}, only="R01")
    assert {("H1", "01"), ("H2", "01")} <= set(alerts(result))


def test_links_change_only_the_rows_they_name_and_an_empty_link_table_changes_nothing() -> None:
    from .data import every_rule_world

    registry, feeds, monitored, links = every_rule_world()

    def outcome(link_table):
        result = run(registry, feeds, monitored_risks=monitored, links=link_table)
        return result.alerts.to_pylist(), result.unmatched.to_pylist()

    assert outcome(links.head(0)) == outcome(None)
    # A link for a feed that is not delivered, beside the real ones: same results as the real ones alone.
    extra = pl.DataFrame({"feed": ["water_unknown"], "record_key": ["X"], "id_number": ["1"]})
    assert outcome(pl.concat([links, extra])) == outcome(links)
    assert outcome(links) != outcome(None)
