"""Property tests of the survey workbook's row parser (dixian/employment/imports.py, docs/domain.md §23): no
cell makes it raise anything but a reason, every row it passes obeys the rules of §23, and the fast paths
agree with the per-cell parsers. Pure: no database."""

from __future__ import annotations

import datetime as dt
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from dixian.domain import employment as e
from dixian.domain import idnumber
from dixian.domain.dictionaries import ParseError
from dixian.employment.imports import (
    COLUMNS,
    WAGE_BOUNDS,
    WAGE_MAX,
    locate,
    parse_all,
    parse_ids,
    parse_rows,
    parse_survey,
    parse_wage,
    parse_working,
    row_rules,
    wage_band_of,
)
from dixian.registry import parsing as rp

TODAY = dt.date(2026, 11, 20)
CURRENT = dt.date(2026, 11, 1)
HEADERS = [c.header for c in COLUMNS]
BANDS = [code for _, code in WAGE_BOUNDS]


def valid_id(seq: int, birth: dt.date) -> str:
    body = f"360424{birth:%Y%m%d}{seq % 1000:03d}"
    return body + idnumber.check_digit(body)


def label(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([v.label for v in e.DICTIONARIES[name].values])


# What python-calamine hands back for a cell.
cells = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.integers(min_value=-(10**6), max_value=10**18),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.sampled_from(["是", "否", "省外", "劳务输出", "照料家庭", "2026-10", "3000-5000元", "12", ""]),
)


@given(st.floats(min_value=0, max_value=WAGE_MAX), st.floats(min_value=0, max_value=WAGE_MAX))
def test_a_wage_falls_in_one_band_and_bands_follow_the_amount(a, b):
    low, high = sorted((a, b))
    assert BANDS.index(wage_band_of(low)) <= BANDS.index(wage_band_of(high))
    assert parse_wage(low) == wage_band_of(low)


@given(st.integers(min_value=0, max_value=WAGE_MAX))
def test_a_wage_written_as_text_reads_as_the_number(amount):
    assert parse_wage(f"{amount}元") == parse_wage(str(amount)) == parse_wage(amount) == wage_band_of(amount)


@given(label("wage_band"))
def test_a_bands_label_reads_as_its_band(text):
    assert parse_wage(text) in BANDS


@given(cells)
def test_cell_parsers_answer_a_value_or_a_reason(cell):
    for parse in (parse_working, parse_wage):
        try:
            parse(cell)
        except ParseError as exc:
            assert str(exc)


@given(
    month=st.dates(min_value=dt.date(2012, 1, 1), max_value=CURRENT).map(lambda d: d.replace(day=1)),
    working=st.booleans(),
    worked=st.integers(min_value=0, max_value=12),
    tier=label("place_tier"),
    channel=label("channel"),
    reason=label("not_working_reason"),
    willing=st.booleans(),
)
def test_a_complete_row_breaks_no_rule_and_each_missing_field_breaks_one(
    month, working, worked, tier, channel, reason, willing
):
    worked = min(worked, month.month)
    values = {
        "working": working,
        "place_tier": tier if working else "",
        "channel": channel if working else "",
        "not_working_reason": "" if working else reason,
        "willing": None if working else willing,
        "months_worked": worked,
    }
    assert row_rules(month, values, today=TODAY) == []
    needed = ("place_tier", "channel") if working else ("not_working_reason", "willing")
    for name in needed:
        broken = {**values, name: None}
        assert [f for f, _ in row_rules(month, broken, today=TODAY)] == [name]
    over = {**values, "months_worked": month.month + 1}
    assert [f for f, _ in row_rules(month, over, today=TODAY)] == ["months_worked"]
    future = e.month_add(CURRENT, 1)
    assert "month" in [f for f, _ in row_rules(future, values, today=TODAY)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(cells, min_size=len(HEADERS), max_size=len(HEADERS)), min_size=1, max_size=12))
def test_parse_rows_never_fails_and_every_row_it_passes_obeys_the_rules(rows):
    book = locate([HEADERS, *rows], "摸排表")
    assert book is not None
    parsed = parse_all(parse_rows(book, month=dt.date(2026, 10, 1), today=TODAY))
    assert len(parsed.numbers) == len(parsed.months)
    rows_in_error = {err.row for err in parsed.errors}
    assert rows_in_error <= set(parsed.numbers)
    assert all(err.reason for err in parsed.errors)
    v = parsed.values
    for k, number in enumerate(parsed.numbers):
        if number in rows_in_error:
            continue
        m = parsed.months[k]
        assert m is not None and m <= CURRENT
        assert v["id_number"][k] is not None and v["name"][k]
        if v["working"][k]:
            assert v["place_tier"][k] and v["channel"][k]
        else:
            assert v["working"][k] is False and v["not_working_reason"][k] and v["willing"][k] is not None
        assert (v["months_worked"][k] or 0) <= m.month


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(cells, min_size=len(HEADERS), max_size=len(HEADERS)), min_size=1, max_size=12),
    st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=12),
)
def test_answers_parsed_span_by_span_are_the_answers_parsed_at_once(rows, spans):
    """The import parses the answers span by span while the previous rows are stored (`parse_survey`): the
    values, the errors and their order in the report are those of one pass over the whole book."""
    book = locate([HEADERS, *rows], "摸排表")
    assert book is not None
    whole = parse_rows(book, month=dt.date(2026, 10, 1), today=TODAY)
    parse_survey(whole, 0, len(whole.numbers))
    cut = parse_rows(book, month=dt.date(2026, 10, 1), today=TODAY)
    start = 0
    for size in spans:
        if start >= len(cut.numbers):
            break
        parse_survey(cut, start, min(len(cut.numbers), start + size))
        start += size
    parse_all(cut)  # whatever the spans left
    assert cut.values == whole.values
    assert cut.sorted_errors() == whole.sorted_errors()


@given(
    st.lists(
        st.one_of(
            st.builds(
                valid_id,
                st.integers(min_value=0, max_value=999),
                st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2008, 12, 31)),
            ),
            st.text(alphabet=string.digits + "Xx ", min_size=14, max_size=20),
            st.floats(min_value=1e16, max_value=1e18),
            st.none(),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_id_numbers_read_as_the_registry_reads_them(values):
    numbers, errors = parse_ids(values, today=TODAY)
    for i, value in enumerate(values):
        try:
            expected = rp.parse_id_number(value, today=TODAY).number
        except ParseError:
            expected = None
        assert numbers[i] == expected
        assert (i in errors) == (expected is None)


@given(
    st.lists(
        st.one_of(st.booleans(), st.integers(-2, 2), st.sampled_from([0.0, 1.0]), st.none()), max_size=20
    )
)
def test_the_column_cache_tells_true_from_1_and_false_from_0(values):
    # True == 1 and False == 0 == 0.0 in Python: a cache keyed by the value alone gave a TRUE cell the
    # number 1's answer (or the reverse), whichever came first in the column.
    from dixian.employment.imports import _parse_column

    parsed, errors = _parse_column(values, lambda v: (type(v).__name__, v))
    assert parsed == [None if v is None else (type(v).__name__, v) for v in values]
    assert errors == {}
