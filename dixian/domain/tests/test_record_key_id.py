"""The record key's ID number (docs/feeds.md §五): the SQL form and the per-number form agree."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dixian.domain.idnumber import check_digit, upgrade15
from dixian.domain.records import key_id, key_id_sql

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
