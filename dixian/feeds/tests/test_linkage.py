"""Probabilistic linkage on tiny in-memory tables (dixian.feeds.linkage, no Django)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dixian.feeds import linkage
from dixian.feeds.linkage import LINK_SCHEMA, link_records
from dixian.screening.tests.data import id_number

VILLAGE = "360424100201"
OTHER_VILLAGE = "360424100202"
FAR_VILLAGE = "360428100201"
UPPER, LOWER = 0.95, 0.60

ZHANG = id_number(dt.date(1970, 5, 6), 12)
ZHANG_TWIN = id_number(dt.date(1970, 5, 6), 14)
AYI = id_number(dt.date(1985, 1, 2), 13)
LI = id_number(dt.date(1990, 3, 3), 21)
WANG = id_number(dt.date(1962, 8, 9), 31, region="360428")


def persons(*extra: dict) -> pa.Table:
    rows = [
        {
            "id_number": ZHANG,
            "name": "张伟明",
            "sex": "male",
            "birth_date": dt.date(1970, 5, 6),
            "region_code": VILLAGE + "01",
        },
        {
            "id_number": AYI,
            "name": "阿依·古丽",
            "sex": "female",
            "birth_date": dt.date(1985, 1, 2),
            "region_code": VILLAGE + "02",
        },
        {
            "id_number": LI,
            "name": "李秀英",
            "sex": "female",
            "birth_date": dt.date(1990, 3, 3),
            "region_code": OTHER_VILLAGE + "01",
        },
        {
            "id_number": WANG,
            "name": "王国华",
            "sex": "male",
            "birth_date": dt.date(1962, 8, 9),
            "region_code": FAR_VILLAGE + "01",
        },
        *extra,
    ]
    return pa.Table.from_pylist(
        rows, schema=pa.schema([(k, pa.date32() if k == "birth_date" else pa.string()) for k in rows[0]])
    )


def record(key: str, name: str, **fields: object) -> dict:
    return {
        "feed": "medical",
        "record_key": key,
        "name": name,
        "id_number": fields.get("id_number"),
        "sex": fields.get("sex"),
        "birth_date": fields.get("birth_date"),
        "village": fields.get("village"),
        "village_code": fields.get("village_code"),
    }


def records(*rows: dict) -> pa.Table:
    return pa.Table.from_pylist(
        list(rows),
        schema=pa.schema(
            [(k, pa.date32() if k == "birth_date" else pa.string()) for k in linkage.RECORD_COLUMNS]
        ),
    )


def link(recs: pa.Table, pers: pa.Table | None = None, **kw: Any) -> list[dict]:
    out = link_records(recs, pers if pers is not None else persons(), upper=UPPER, lower=LOWER, **kw)
    assert out.schema == LINK_SCHEMA
    return out.to_pylist()


def test_a_record_without_id_but_exact_name_birth_sex_and_village_links_automatically():
    rows = link(
        records(record("A1", "张伟明", sex="男", birth_date=dt.date(1970, 5, 6), village_code=VILLAGE))
    )
    assert [(r["record_key"], r["id_number"], r["status"]) for r in rows] == [("A1", ZHANG, "auto")]
    assert rows[0]["match_probability"] >= UPPER


def test_a_misspelt_name_with_the_right_birth_date_and_village_waits_for_review():
    rows = link(
        records(record("A2", "张伟民", sex="男", birth_date=dt.date(1970, 5, 6), village_code=VILLAGE))
    )
    assert [(r["id_number"], r["status"]) for r in rows] == [(ZHANG, "pending")]
    assert LOWER <= rows[0]["match_probability"] < UPPER


def test_a_one_character_surname_slip_also_waits_for_review():
    rows = link(
        records(record("A3", "章伟明", sex="男", birth_date=dt.date(1970, 5, 6), village_code=VILLAGE))
    )
    assert [(r["id_number"], r["status"]) for r in rows] == [(ZHANG, "pending")]


def test_a_stranger_does_not_link():
    stranger = record("A4", "赵小兰", sex="女", birth_date=dt.date(1977, 11, 30), village_code=VILLAGE)
    same_name_elsewhere = record(
        "A5", "王国华", sex="男", birth_date=dt.date(1991, 2, 3), village_code=VILLAGE
    )
    assert link(records(stranger, same_name_elsewhere)) == []


def test_a_namesake_in_the_same_village_makes_a_record_without_birth_date_wait_for_review():
    alone = link(records(record("A6", "张伟明", village_code=VILLAGE)))
    assert [(r["id_number"], r["status"]) for r in alone] == [(ZHANG, "auto")]
    namesake = {
        "id_number": id_number(dt.date(1948, 2, 3), 41),
        "name": "张伟明",
        "sex": "male",
        "birth_date": dt.date(1948, 2, 3),
        "region_code": VILLAGE + "03",
    }
    rows = link(records(record("A6", "张伟明", village_code=VILLAGE)), persons(namesake))
    assert {r["id_number"] for r in rows} == {ZHANG, namesake["id_number"]}
    assert all(r["status"] == "pending" for r in rows)


@pytest.mark.parametrize(
    "spelling", ["阿依古丽", "阿依·古丽", "阿依•古丽", "阿依・古丽", "阿依.古丽", "阿依 古丽", "阿依　古丽 "]
)
def test_minority_name_dots_and_spaces_are_normalised(spelling):
    rows = link(
        records(record("B1", spelling, sex="女", birth_date=dt.date(1985, 1, 2), village_code=VILLAGE))
    )
    assert [(r["id_number"], r["status"]) for r in rows] == [(AYI, "auto")]


def test_a_spreadsheet_damaged_id_links_by_the_other_fields():
    rows = link(
        records(
            record(
                "C1",
                "张伟明",
                id_number="3.60424E+17",
                sex="男",
                birth_date=dt.date(1970, 5, 6),
                village_code=VILLAGE,
            )
        )
    )
    assert [(r["id_number"], r["status"]) for r in rows] == [(ZHANG, "auto")]


def test_a_mistyped_id_links_through_its_remaining_digits_even_without_birth_date():
    typo = ZHANG[:15] + str((int(ZHANG[15]) + 1) % 10) + ZHANG[16:]  # checksum now fails
    rows = link(
        records(record("C2", "张伟明", id_number=typo, village="良塘村")),
        villages=pa.table({"code": [VILLAGE], "name": ["良塘村"]}),
    )
    assert [(r["id_number"], r["status"]) for r in rows] == [(ZHANG, "auto")]


def test_a_village_named_instead_of_coded_counts_as_the_same_village():
    villages = pa.table({"code": [VILLAGE, OTHER_VILLAGE], "name": ["良塘村", "桃坪村"]})
    named = link(
        records(record("C3", "张伟明", birth_date=dt.date(1970, 5, 6), village="良塘")), villages=villages
    )
    unnamed = link(records(record("C3", "张伟明", birth_date=dt.date(1970, 5, 6))))
    assert named[0]["id_number"] == ZHANG
    assert named[0]["match_weight"] > unnamed[0]["match_weight"] + 5


def test_records_with_a_usable_registry_id_are_left_to_the_exact_join():
    clean = record("D1", "张伟明", id_number=ZHANG, birth_date=dt.date(1970, 5, 6), village_code=VILLAGE)
    spaced = record("D2", "张伟明", id_number=f" {ZHANG[:6]} {ZHANG[6:]} ", birth_date=dt.date(1970, 5, 6))
    old15 = id_number(dt.date(1985, 1, 2), 13)
    upgraded = record("D3", "阿依古丽", id_number=old15[:6] + old15[8:17], birth_date=dt.date(1985, 1, 2))
    assert link(records(clean, spaced, upgraded)) == []


def test_a_valid_id_of_nobody_in_the_registry_is_linked_by_the_other_fields():
    outsider = id_number(dt.date(1970, 5, 6), 99)
    rows = link(
        records(
            record(
                "D4",
                "张伟明",
                id_number=outsider,
                sex="男",
                birth_date=dt.date(1970, 5, 6),
                village_code=VILLAGE,
            )
        )
    )
    assert [r["id_number"] for r in rows] == [ZHANG]


def test_twins_that_fit_equally_both_wait_for_review():
    twin = {
        "id_number": ZHANG_TWIN,
        "name": "张伟亮",
        "sex": "male",
        "birth_date": dt.date(1970, 5, 6),
        "region_code": VILLAGE + "01",
    }
    rows = link(
        records(record("E1", "张伟", sex="男", birth_date=dt.date(1970, 5, 6), village_code=VILLAGE)),
        persons(twin),
    )
    assert {r["id_number"] for r in rows} <= {ZHANG, ZHANG_TWIN}
    assert all(r["status"] == "pending" for r in rows)


def test_an_automatic_link_keeps_only_the_best_candidate():
    twin = {
        "id_number": ZHANG_TWIN,
        "name": "张伟亮",
        "sex": "male",
        "birth_date": dt.date(1970, 5, 6),
        "region_code": VILLAGE + "01",
    }
    rows = link(
        records(record("E2", "张伟明", sex="男", birth_date=dt.date(1970, 5, 6), village_code=VILLAGE)),
        persons(twin),
    )
    assert [(r["id_number"], r["status"]) for r in rows] == [(ZHANG, "auto")]


def test_a_record_sent_twice_is_linked_once():
    row = record("F1", "张伟明", sex="男", birth_date=dt.date(1970, 5, 6), village_code=VILLAGE)
    assert len(link(records(row, row))) == 1


def test_missing_optional_columns_count_as_missing():
    # No ID number, sex or village name column in the delivery; no sex in the registry table (the ID says it).
    table = pa.table(
        {
            "feed": ["medical"],
            "record_key": ["G1"],
            "name": ["张伟明"],
            "birth_date": pa.array([dt.date(1970, 5, 6)], pa.date32()),
            "village_code": [VILLAGE],
        }
    )
    persons_without_sex = persons().drop_columns(["sex"])
    rows = link(table, persons_without_sex)
    assert [(r["id_number"], r["status"]) for r in rows] == [(ZHANG, "auto")]


def test_thresholds_decide_the_status():
    row = records(record("H1", "张伟民", sex="男", birth_date=dt.date(1970, 5, 6), village_code=VILLAGE))
    p = link(row)[0]["match_probability"]
    assert link_records(row, persons(), upper=p - 1e-6, lower=0.1).column("status").to_pylist() == ["auto"]
    assert link_records(row, persons(), upper=1.0, lower=min(1.0, p + 0.001)).num_rows == 0
    with pytest.raises(ValueError):
        link_records(row, persons(), upper=0.5, lower=0.9)


def test_the_same_inputs_give_the_same_output():
    rows = records(
        record("I1", "张伟明", sex="男", birth_date=dt.date(1970, 5, 6), village_code=VILLAGE),
        record("I2", "张伟民", sex="男", birth_date=dt.date(1970, 5, 6), village_code=VILLAGE),
        record("I3", "阿依古丽", id_number="3.60424E+17", birth_date=dt.date(1985, 1, 2)),
    )
    first = link_records(rows, persons(), upper=UPPER, lower=LOWER)
    again = link_records(rows.take([2, 0, 1]), persons().take([3, 2, 1, 0]), upper=UPPER, lower=LOWER)
    assert first.equals(again)


def test_every_level_has_probabilities_between_zero_and_one():
    for _, _, levels in linkage.COMPARISONS:
        for level in levels:
            if level.get("is_null_level"):
                continue
            assert 0 < level["m_probability"] <= 1 and 0 < level["u_probability"] <= 1
        assert sum(lv["m_probability"] for lv in levels if not lv.get("is_null_level")) == pytest.approx(
            1, abs=0.02
        )
        assert sum(lv["u_probability"] for lv in levels if not lv.get("is_null_level")) == pytest.approx(
            1, abs=0.02
        )


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet="0123456789xX. E+-　 ０１２３", max_size=24))
def test_any_id_text_is_handled_without_error(raw):
    rows = link(
        records(
            record(
                "J1", "张伟明", id_number=raw, sex="男", birth_date=dt.date(1970, 5, 6), village_code=VILLAGE
            )
        )
    )
    assert len(rows) <= 1
    assert all(r["id_number"] == ZHANG for r in rows)
