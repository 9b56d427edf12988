"""The API's value types say what the checks accept: each pattern is held to the rule it states, and every
value a row model allows passes the ingest checks (so a batch the document allows is never refused for a
value's form)."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from dixian.domain import catalogue as cat
from dixian.feeds import api_schemas as s
from dixian.feeds import ingest

TODAY = dt.date(2026, 12, 6)
COLUMNS = {kind: next(c for f in cat.FEEDS for c in f.columns if c.type == kind) for kind in cat.TYPES}


@given(
    day=st.dates(dt.date(1850, 1, 1), dt.date(2150, 12, 31)),
    last=st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)),
)
def test_the_date_pattern_matches_exactly_the_days_from_1900_to_the_last(day, last):
    pattern = re.compile(s.date_pattern(ingest.EARLIEST, last))
    assert bool(pattern.fullmatch(day.isoformat())) == (ingest.EARLIEST <= day <= last)


@given(year=st.integers(1899, 2101), month=st.integers(0, 13), day=st.integers(0, 32))
def test_the_date_pattern_refuses_days_that_do_not_exist(year, month, day):
    text = f"{year:04d}-{month:02d}-{day:02d}"
    try:
        real = ingest.EARLIEST <= dt.date(year, month, day) <= TODAY
    except ValueError:
        real = False
    assert bool(re.fullmatch(s.date_pattern(ingest.EARLIEST, TODAY), text)) == real


@given(year=st.integers(1990, 2101), month=st.integers(0, 13))
def test_the_period_pattern_matches_exactly_the_months_from_2000_to_this_month(year, month):
    text = f"{year:04d}-{month:02d}"
    expected = 1 <= month <= 12 and s.FIRST_PERIOD <= (year, month) <= (TODAY.year, TODAY.month)
    assert bool(re.fullmatch(s.period_pattern((TODAY.year, TODAY.month)), text)) == expected


def _accepted(kind: str, text: str) -> bool:
    [(_, message)] = ingest.check_values(COLUMNS[kind], [text], today=TODAY)
    return message is None


@settings(deadline=None)  # the checks are Polars expressions: a cold start takes a while
@given(st.from_regex(s.ID_PATTERN, fullmatch=True))
def test_every_id_the_document_allows_passes_the_checks(value):
    assert _accepted(cat.ID, value)


@settings(deadline=None)  # the checks are Polars expressions: a cold start takes a while
@given(st.one_of(st.integers(0, s.MAX_YUAN), st.from_regex(s.MONEY_PATTERN, fullmatch=True)))
def test_every_amount_the_document_allows_passes_the_checks(value):
    assert _accepted(cat.MONEY, str(value))


@settings(deadline=None)  # the checks are Polars expressions: a cold start takes a while
@given(st.integers(0, ingest.INT_DEFAULT_MAX))
def test_every_count_the_document_allows_passes_the_checks(value):
    col = COLUMNS[cat.INT]
    if value <= ingest.INT_MAX.get(col.field, ingest.INT_DEFAULT_MAX):
        assert _accepted(cat.INT, str(value))


@settings(deadline=None)  # the checks are Polars expressions: a cold start takes a while
@given(st.dates(ingest.EARLIEST, TODAY))
def test_every_date_the_document_allows_passes_the_checks(day):
    assert _accepted(cat.DATE, day.isoformat())


@settings(deadline=None)  # the checks are Polars expressions: a cold start takes a while
@given(st.text(max_size=ingest.TEXT_MAX))
def test_every_text_the_document_allows_passes_the_checks(value):
    required = TypeAdapter(
        s.value_type(next(c for f in cat.FEEDS for c in f.columns if c.type == cat.TEXT and c.required))
    )
    try:
        required.validate_python(value)
    except ValidationError:
        assert not value.strip(ingest._WS)  # noqa: SLF001 - refused only when blank as the checks see it
    else:
        [(parsed, message)] = ingest.check_values(COLUMNS[cat.TEXT], [value], today=TODAY)
        assert message is None and parsed is not None


@given(
    st.one_of(
        st.integers(-5, s.MAX_YUAN + 5),
        st.floats(allow_nan=True),
        st.booleans(),
        st.text(max_size=12),
        st.from_regex(s.MONEY_PATTERN),  # also with a trailing newline, which ECMA's $ does not match
    )
)
def test_the_money_type_takes_what_its_json_schema_allows(value):
    adapter = TypeAdapter(s.Money)
    schema = adapter.json_schema()
    integer, string = schema["anyOf"]
    allowed = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and float(value).is_integer()
        and integer["minimum"] <= value <= integer["maximum"]
    ) or (isinstance(value, str) and re.fullmatch(string["pattern"], value) is not None)
    try:
        adapter.validate_python(value)
    except ValidationError:
        assert not allowed
    else:
        assert allowed
