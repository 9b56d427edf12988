"""Linking name-and-ID-only records whose ID number has one edit (issue 13 item 6, docs/feeds.md §五).

Department feeds such as 残联 and 教育 send a name and an ID number and nothing else. A number with one digit
typed wrong or two neighbours swapped, at any of the 18 positions, links to the registry person of the same
name whose number is that one edit away; when several namesakes are, all wait for review. No Django.
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from dixian.domain import idnumber
from dixian.feeds import linkage
from dixian.feeds.linkage import LINK_SCHEMA, link_records

UPPER, LOWER = 0.95, 0.60


def _id(region: str, birth: str, seq: int) -> str:
    body = f"{region}{birth}{seq:03d}"
    return body + idnumber.check_digit(body)


def _no_equal_neighbours(region: str, birth: str) -> str:
    """A valid number whose neighbouring characters all differ: every adjacent swap changes it."""
    for seq in range(1000):
        n = _id(region, birth, seq)
        if all(a != b for a, b in zip(n, n[1:], strict=False)):
            return n
    raise AssertionError("no such number")


TRUE = _no_equal_neighbours("360424", "19720816")
NAME = "刘建国"


def _registry(*extra: tuple[str, str]) -> pa.Table:
    rows = [
        (TRUE, NAME),
        # Decoys: a namesake whose number is far away (another county, another birth date) …
        (_id("360428", "19561103", 71), NAME),
        # … and someone else whose number is one edit from the typed numbers below.
        (TRUE[:15] + ("1" if TRUE[15] != "1" else "2") + TRUE[16:], "刘建华"),
        *extra,
    ]
    return pa.table(
        {
            "id_number": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "sex": [None] * len(rows),
            "birth_date": [idnumber.birth_date(r[0]) if idnumber.checksum_ok(r[0]) else None for r in rows],
            "region_code": ["360424100201" + "01"] * len(rows),
        },
        schema=pa.schema(
            [
                ("id_number", pa.string()),
                ("name", pa.string()),
                ("sex", pa.string()),
                ("birth_date", pa.date32()),
                ("region_code", pa.string()),
            ]
        ),
    )


def _records(*rows: tuple[str, str, str]) -> pa.Table:
    """Name-and-ID-only records (key, name, ID number as sent) of the 残联 feed."""
    return pa.table(
        {
            "feed": ["disability"] * len(rows),
            "record_key": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "id_number": [r[2] for r in rows],
        }
    )


def _link(recs: pa.Table, registry: pa.Table | None = None) -> list[dict]:
    out = link_records(recs, registry if registry is not None else _registry(), upper=UPPER, lower=LOWER)
    assert out.schema == LINK_SCHEMA
    return out.to_pylist()


def _substituted(number: str, position: int) -> str:
    """`number` with the character at `position` (1-based) replaced by another one."""
    old = number[position - 1]
    pool = "0123456789X" if position == 18 else "0123456789"
    new = next(c for c in pool if c != old and c != "1")  # "1" would hit the 刘建华 decoy at 16
    return number[: position - 1] + new + number[position:]


def _swapped(number: str, position: int) -> str:
    """`number` with the characters at `position` and `position + 1` swapped."""
    i = position - 1
    return number[:i] + number[i + 1] + number[i] + number[i + 2 :]


@pytest.mark.parametrize("position", range(1, 19))
def test_one_digit_typed_wrong_anywhere_links_by_name_and_number(position):
    typed = _substituted(TRUE, position)
    assert not idnumber.checksum_ok(typed)  # a single wrong character always breaks the check (GB 11643)
    rows = _link(_records(("K1", NAME, typed)))
    assert [(r["id_number"], r["status"], r["method"], r["edit_kind"], r["edit_position"]) for r in rows] == [
        (TRUE, "auto", "id_edit", "substitution", position)
    ]
    assert rows[0]["match_probability"] == 1.0


@pytest.mark.parametrize("position", range(1, 18))
def test_two_neighbouring_digits_swapped_anywhere_link_by_name_and_number(position):
    typed = _swapped(TRUE, position)
    assert typed != TRUE
    rows = _link(_records(("K2", NAME, typed)))
    assert [(r["id_number"], r["status"], r["method"], r["edit_kind"], r["edit_position"]) for r in rows] == [
        (TRUE, "auto", "id_edit", "transposition", position)
    ]


def test_a_check_character_x_swapped_into_the_body_still_links():
    x_person = next(
        _id("360424", "19880214", s) for s in range(1000) if _id("360424", "19880214", s)[-1] == "X"
    )
    typed = _swapped(x_person, 17).lower()  # …X7 typed …x7? the X is now 17th, and lower case
    rows = _link(_records(("K3", "王芳", typed)), _registry((x_person, "王芳")))
    assert [(r["id_number"], r["status"], r["edit_kind"], r["edit_position"]) for r in rows] == [
        (x_person, "auto", "transposition", 17)
    ]


def test_the_name_must_be_the_same_after_spaces_and_minority_dots():
    person = _id("360424", "19850102", 13)
    typed = _swapped(person, 9)
    registry = _registry((person, "阿依·古丽"))
    for spelling in ("阿依古丽", "阿依 · 古丽", "阿依•古丽", "阿依　古丽"):
        rows = _link(_records(("K4", spelling, typed)), registry)
        assert [(r["id_number"], r["method"]) for r in rows] == [(person, "id_edit")], spelling
    # Another name: the edit alone links nobody (and the Splink path finds nothing for a stranger either).
    assert _link(_records(("K5", "阿依", typed)), registry) == []


def test_an_old_15_digit_number_with_a_typo_links_and_names_the_position_as_sent():
    person = _id("360424", "19650304", 25)
    old = person[:6] + person[8:17]
    typed = old[:10] + str((int(old[10]) + 3) % 10) + old[11:]  # the 11th digit of the 15
    rows = _link(_records(("K6", "陈红", typed)), _registry((person, "陈红")))
    assert [(r["id_number"], r["edit_kind"], r["edit_position"]) for r in rows] == [
        (person, "substitution", 11)
    ]


def test_two_namesakes_one_edit_away_both_wait_for_review():
    # B's digits differ from TRUE at one place, with its own check character: a number typed with B's digit
    # and TRUE's check character is one edit from both.
    body_b = TRUE[:14] + str((int(TRUE[14]) + 1) % 10) + TRUE[15:17]
    b = body_b + idnumber.check_digit(body_b)
    typed = body_b + TRUE[17]
    assert not idnumber.checksum_ok(typed)
    rows = _link(_records(("K7", NAME, typed)), _registry((b, NAME)))
    assert sorted((r["id_number"], r["status"], r["method"]) for r in rows) == sorted(
        [(TRUE, "pending", "id_edit"), (b, "pending", "id_edit")]
    )
    assert {r["edit_position"] for r in rows} == {15, 18}


def test_a_number_two_edits_away_is_not_an_id_edit_but_blocking_by_name_and_id_still_scores_it():
    # Birth year and order digit both wrong: not one edit. Before, no block held (the ID's birth month and its
    # region + birth digits were both wrong, the record has nothing else); the name with the ID's region
    # digits now puts the pair before the model, which finds two wrong parts of the number too little to go on.
    typed_body = TRUE[:8] + "91" + TRUE[10:15] + ("8" if TRUE[15] != "8" else "9") + TRUE[16]
    typed = typed_body + TRUE[17]
    timings: dict[str, float] = {}
    out = link_records(_records(("K8", NAME, typed)), _registry(), upper=UPPER, lower=LOWER, timings=timings)
    assert timings["registry_candidates"] == 1 and timings["id_edit_records"] == 0
    assert out.num_rows == 0
    # The same number with the birth date given as well: the model now sees the namesake with that birthday.
    recs = _records(("K9", NAME, typed)).append_column(
        "birth_date", pa.array([idnumber.birth_date(TRUE)], pa.date32())
    )
    rows = _link(recs)
    assert [(r["id_number"], r["method"]) for r in rows] == [(TRUE, "probabilistic")]


def test_blocking_pairs_names_with_the_birth_date_read_from_the_id():
    assert ("name_n", "id_birth") in linkage.BLOCKS and ("name_n", "id_region") in linkage.BLOCKS


# Property: any one-edit corruption of a registry person's number, sent with that person's name, links to that
# person or waits for review with that person among the candidates; it never links to anyone else, and links
# automatically when no other namesake is one edit away.

_BODY_B = TRUE[:14] + str((int(TRUE[14]) + 1) % 10) + TRUE[15:17]
_CROWD = [
    (TRUE, NAME),
    (_BODY_B + idnumber.check_digit(_BODY_B), NAME),  # a namesake one digit from TRUE
    (_id("360424", "19720816", 358), NAME),  # and one with the next order number
    (_id("360424", "19930611", 102), "邓丽"),
    (_id("360424", "19930611", 104), "邓丽"),
    (_id("360481", "20010101", 1), "马·阿里"),
]


def _one_edit(a: str, b: str) -> bool:
    diff = [i for i in range(18) if a[i] != b[i]]
    return len(diff) == 1 or (
        len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    )


@settings(max_examples=60, deadline=None)
# The namesakes one edit from the same typed number (TRUE with B's digit, or B with TRUE's check character).
@example(who=0, swap=False, position=15, char=_BODY_B[14])
@example(who=1, swap=False, position=18, char=TRUE[17])
@given(
    who=st.integers(0, len(_CROWD) - 1),
    swap=st.booleans(),
    position=st.integers(1, 18),
    char=st.sampled_from("0123456789X"),
)
def test_any_one_edit_links_the_person_or_waits_for_review(who, swap, position, char):
    true, name = _CROWD[who]
    if swap:
        assume(position <= 17)
        typed = _swapped(true, position)
    else:
        assume(position == 18 or char != "X")
        typed = true[: position - 1] + char + true[position:]
    assume(typed != true and typed not in {n for n, _ in _CROWD})  # another's exact number links by ID
    registry = _registry(*_CROWD[1:])
    rows = [r for r in _link(_records(("P1", name, typed)), registry)]
    assert rows, typed
    auto = [r for r in rows if r["status"] == "auto"]
    assert all(r["id_number"] == true for r in auto)
    assert true in {r["id_number"] for r in rows}
    rivals = [n for n, nm in _CROWD if nm == name and n != true and _one_edit(typed, n)]
    if not rivals:
        assert [(r["id_number"], r["status"]) for r in rows] == [(true, "auto")]
