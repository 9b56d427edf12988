"""The parsers' fast paths give what the general path gives (hypothesis equivalence tests)."""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dixian.registry import parsing as p

relaxed = settings(deadline=None)
ascii_codes = st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=30)


def outcome(fn, *args, **kwargs) -> tuple[str, object]:
    try:
        return "ok", fn(*args, **kwargs)
    except p.ParseError as exc:
        return "error", str(exc)


@relaxed
@given(ascii_codes, st.sampled_from([" ", "\u3000", "\t", "\xa0", "  "]), st.integers(1, 30), st.booleans())
def test_parse_code_fast_path_matches_the_general_path(
    code: str, space: str, max_length: int, digits: bool
) -> None:
    # An ASCII letters-and-digits cell skips the folding; the same cell padded with spaces takes the
    # general path (full-width folding, space removal) and must come out the same, value or message.
    assert p._compact(code) == code
    fast = outcome(p.parse_code, code, label="户编号", max_length=max_length, digits_only=digits)
    slow = outcome(
        p.parse_code, space + code + space, label="户编号", max_length=max_length, digits_only=digits
    )
    assert fast == slow


@relaxed
@given(st.from_regex(r"[0-9]{12}([0-9]{2})?", fullmatch=True) | ascii_codes)
def test_region_code_fast_path_matches_the_general_path(code: str) -> None:
    assert outcome(p.parse_region_code, code) == outcome(p.parse_region_code, f" {code}\u3000")


blankish = st.sampled_from(["", " ", "\u3000", "\t\n", "\xa0", "\u200b", "a", " a "])
cell = st.one_of(
    st.none(),
    blankish,
    st.text(max_size=3),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.dates(),
)


@relaxed
@given(st.lists(cell, max_size=6))
def test_filled_row_fast_check_matches_is_empty(row: list[object]) -> None:
    from dixian.registry.imports import _filled, _is_empty

    assert _filled(row) == (not all(_is_empty(v) for v in row))


# A household-level column: members leave it empty, repeat the head's value or differ from it.
member_value = st.one_of(st.none(), st.sampled_from(["A", "B", ""]), st.integers(0, 2))


@relaxed
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.sampled_from(["户主", "配偶", "子女"]), member_value, member_value),
        max_size=25,
    )
)
def test_differing_households_over_columns_match_the_member_by_member_definition(
    rows: list[tuple[int, str, object, object]],
) -> None:
    # The import compares only the households `_differing_households` names; it must name every household
    # where a member other than the first head has a filled value different from the head's.
    from collections import defaultdict

    from dixian.registry.choices import Relation
    from dixian.registry.imports import _differing_households

    relation = [Relation.HEAD if r == "户主" else r for _, r, _, _ in rows]
    v: dict[str, list[Any]] = {
        "household_no": [f"H{no}" for no, _, _, _ in rows],
        "kind": [a for _, _, a, _ in rows],
        "address": [b for _, _, _, b in rows],
    }
    members: dict[str, list[int]] = defaultdict(list)
    for i, no in enumerate(v["household_no"]):
        members[no].append(i)
    expected: dict[str, set[str]] = {}
    for name in ("kind", "address"):
        values = v[name]
        for no, idx in members.items():
            heads = [i for i in idx if relation[i] == Relation.HEAD]
            if len(idx) > 1 and heads:
                ref = values[heads[0]]
                if any(i != heads[0] and values[i] is not None and values[i] != ref for i in idx):
                    expected.setdefault(name, set()).add(no)
    if expected:
        expected[""] = set().union(*expected.values())
    assert _differing_households(v, members, relation, ["kind", "address"]) == expected


@relaxed
@given(st.dates(min_value=dt.date(1, 1, 1)) | st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True))
def test_iso_date_fast_path_matches_the_general_path(day: dt.date | str) -> None:
    # 1980-01-01 as text is read directly; padded with a space it takes the general path (patterns,
    # messages for impossible dates such as 2023-02-30 or 0000-01-01): both must answer alike.
    cell = day if isinstance(day, str) else day.isoformat()
    assert p._ISO_DATE.match(cell)
    assert outcome(p.parse_date, cell) == outcome(p.parse_date, f" {cell} ")


# ---- the vectorised first pass of the import's columns (imports.FAST_COLUMNS, FAST_DATES) ----------------

# Near misses of every fast pattern: spaces and newlines around, full-width digits and letters, an
# ideographic space, compatibility ideographs (NFKC changes them), dots, a number Excel wrote as 1E5,
# too long, other scripts, empty and blank cells.
messy_text = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "\u3000",
            "\t",
            "13812345678\n",
            " 13812345678",
            "１３８１２３４５６７８",
            "138-1234-5678",
            "+8613812345678",
            "12345678901",
            "1E5",
            "12e34",
            "1e",
            "E5",
            "张三\n",
            "张 三",
            "张·三",
            "阿卜杜拉·买买提",
            "\uf900\u4e00",
            "丽江",
            "ＡＢ１２",
            "ab12",
            "A" * 25,
            "一" * 51,
            "一" * 201,
            "示例村一组",
            "示例村 一组",
            "1980-01-01",
            "1980-02-30",
            "0000-01-01",
            "1980-1-1",
            "1980-01-01\n",
            "19800101",
            "1980年1月1日",
            "138123456789",
            "13812345678a",
        ]
    ),
    st.tuples(
        st.from_regex(r"1[3-9][0-9]{9}|[0-9]{4}-[0-9]{2}-[0-9]{2}|[\u4e00-\u9fff]{1,3}", fullmatch=True),
        st.text(max_size=2),
    ).map("".join),
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"[\u4e00-\u9fff]{1,4}", fullmatch=True),
    st.from_regex(r"[0-9A-Za-z]{1,26}", fullmatch=True),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),
    st.text(max_size=6),
)
messy_cell = st.one_of(messy_text, st.none(), st.integers(), st.floats(), st.booleans(), st.dates())


def _column(cells: list[object], rows: int) -> list[object]:
    # At least FAST_MIN_ROWS cells (the vectorised pass is skipped below), the drawn ones repeated.
    return (cells * (rows // max(len(cells), 1) + 1))[:rows] if cells else []


@pytest.mark.parametrize("name", ["household_no", "name", "phone", "address"])
@relaxed
@given(st.lists(messy_text, min_size=1, max_size=40) | st.lists(messy_cell, min_size=1, max_size=40))
def test_fast_columns_parse_as_the_row_parser_does(name: str, cells: list[object]) -> None:
    from dixian.registry import imports

    parser = imports._parsers()[name]
    values = _column(cells, imports.FAST_MIN_ROWS)
    fast = imports._parse_column(values, parser, imports.FAST_COLUMNS[name])
    plain = imports._parse_column(values, parser)
    assert fast == plain
    assert [type(v) for v in fast[0]] == [type(v) for v in plain[0]]


@relaxed
@given(st.lists(messy_text, min_size=1, max_size=40) | st.lists(messy_cell, min_size=1, max_size=40))
def test_fast_dates_parse_as_the_row_parser_does(cells: list[object]) -> None:
    from dixian.registry import imports

    parser = imports._parsers()["birth_date"]
    values = _column(cells, imports.FAST_MIN_ROWS)
    fast = imports._parse_dates(values, parser)
    plain = imports._parse_column(values, parser)
    assert fast == plain
    assert [type(v) for v in fast[0]] == [type(v) for v in plain[0]]


def test_fast_columns_take_the_fast_pass_on_clean_text() -> None:
    # The equivalence above holds trivially if the fast pass never accepts anything: it must accept
    # the clean cells, and only them.
    from dixian.registry import imports

    accepted = imports._fast_accepted(
        ["13812345678", "13812345678\n", "1E5", "HH01", "张三", "张 三"], imports.FAST_COLUMNS["phone"]
    )
    assert accepted == [True, False, False, False, False, False]
    assert imports._fast_accepted(
        ["HH01", "1E5", "12e34", "A" * 25], imports.FAST_COLUMNS["household_no"]
    ) == [
        True,
        False,
        False,
        False,
    ]
    assert imports._fast_accepted(["张三", "张 三", "\uf900"], imports.FAST_COLUMNS["name"]) == [
        True,
        False,
        False,
    ]
    assert imports._fast_accepted(["张三", 1], imports.FAST_COLUMNS["name"]) is None


def test_fast_dates_leave_year_zero_and_impossible_dates_to_the_parser() -> None:
    from dixian.registry import imports

    values = ["1980-01-01", "0000-01-01", "1980-02-30", ""] * (imports.FAST_MIN_ROWS // 4)
    parsed, errors = imports._parse_dates(values, imports._parsers()["birth_date"])
    assert parsed[:4] == [dt.date(1980, 1, 1), None, None, None]
    assert errors[1] == errors[5] and "不存在" in errors[1] and "不存在" in errors[2]
    assert (parsed, errors) == imports._parse_column(values, imports._parsers()["birth_date"])
