"""The record key's ID number (docs/feeds.md §五): the SQL form and the per-number form agree, and so do the
normalised numbers a delivery is stored with (column-wise, or computed in SQL for deliveries stored without)."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dixian.domain.idnumber import check_digit, normalised_id, normalised_ids, upgrade15
from dixian.domain.records import key_id, key_id_from_normalised_sql, key_id_sql, stored_id_sql

_BODY = "36042419660405017"
PERSON = _BODY + check_digit(_BODY)
SPELLINGS = [
    PERSON,
    " " + PERSON[:6] + " " + PERSON[6:] + "\u3000",
    PERSON.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")),
    PERSON.lower(),
    PERSON[:6] + PERSON[8:17],
]


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    db = duckdb.connect()
    yield db
    db.close()


def test_every_spelling_is_the_clean_number() -> None:
    assert upgrade15(SPELLINGS[-1]) == PERSON
    assert {key_id(s) for s in SPELLINGS} == {PERSON}


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789xX. E+\u3000０１２３ｘ", max_size=20) | st.sampled_from(SPELLINGS))
def test_the_key_of_a_number_is_the_same_in_sql_and_python(con: duckdb.DuckDBPyConnection, raw: str) -> None:
    sql = f"SELECT {key_id_sql('x')} FROM (SELECT CAST(? AS VARCHAR) AS x)"  # noqa: S608
    assert con.execute(sql, [raw]).fetchall()[0][0] == key_id(raw)


_RAW = st.text(alphabet="0123456789xX. E+\u3000０１２３ｘ", max_size=20) | st.sampled_from(SPELLINGS)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.none() | _RAW, max_size=30))
def test_a_deliverys_numbers_are_normalised_column_wise_as_one_by_one(raws: list[str | None]) -> None:
    got = normalised_ids(pl.Series(raws, dtype=pl.String)).to_list()
    assert got == [None if r is None else normalised_id(r) for r in raws]


@settings(max_examples=200, deadline=None)
@given(_RAW)
def test_the_stored_number_is_computed_alike_in_sql_and_gives_the_same_key(
    con: duckdb.DuckDBPyConnection, raw: str
) -> None:
    # Deliveries stored without the column have it computed by the engine (stored_id_sql); the record key's
    # ID from it is the key's ID as key_id_sql builds it from the number as sent.
    sql = f"SELECT n, {key_id_from_normalised_sql('n', 'x')} FROM (SELECT x, {stored_id_sql('x')} AS n FROM (SELECT CAST(? AS VARCHAR) AS x))"  # noqa: S608
    assert con.execute(sql, [raw]).fetchall()[0] == (normalised_id(raw), key_id(raw))
