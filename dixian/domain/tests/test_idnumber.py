"""One resident ID rule in three forms (per number, Polars, SQL), held to each other and to an oracle.

The synthetic generator builds its numbers with its own numpy arithmetic (synthetic/idnumbers.py); it is
kept as an independent oracle for the domain's check digit, and python-stdnum's validator for the whole.
"""

# ruff: noqa: S608 - the SQL is built from the domain's own expressions; the values are bound or registered frames.

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from dixian.domain import idnumber
from dixian.domain.dictionaries import FEMALE, MALE
from dixian.synthetic.idnumbers import check_digits

bodies = st.text(alphabet="0123456789", min_size=17, max_size=17)
last = st.sampled_from("0123456789X")
# Mostly well-formed candidates, some damaged: a letter inside, a full-width digit, the wrong length.
candidates = st.one_of(
    st.builds(str.__add__, bodies, last),
    st.text(alphabet="0123456789Xx０９ A", min_size=0, max_size=20),
)


def test_the_weights_are_powers_of_two_modulo_eleven() -> None:
    assert tuple(pow(2, 17 - i, 11) for i in range(17)) == idnumber.ID_WEIGHTS


@given(
    prefix=st.integers(110000, 829999),
    day=st.dates(dt.date(1900, 1, 1), dt.date(2026, 12, 31)),
    order=st.integers(0, 999),
)
def test_the_check_digit_is_the_generators(prefix: int, day: dt.date, order: int) -> None:
    ymd = int(day.strftime("%Y%m%d"))
    body = f"{prefix}{ymd}{order:03d}"
    oracle = check_digits(np.array([prefix]), np.array([ymd]), np.array([order]))[0]
    assert idnumber.check_digit(body) == str(oracle)
    assert idnumber.checksum_ok(body + str(oracle))


@given(body=bodies, end=last)
def test_a_number_passes_the_check_exactly_when_stdnum_computes_the_same_check_digit(
    body: str, end: str
) -> None:
    assert idnumber.checksum_ok(body + end) == (ric.calc_check_digit(body + end) == end)


@settings(max_examples=60, deadline=None)
@given(numbers=st.lists(candidates, min_size=1, max_size=40))
def test_polars_and_sql_checks_agree_with_the_per_number_check(numbers: list[str]) -> None:
    frame = pl.DataFrame({"n": numbers}, schema={"n": pl.String})
    polars_ok = frame.select(idnumber.checksum_ok_expr(pl.col("n")).alias("ok")).to_series().to_list()
    # As the engine uses it: only on text that has the shape of an 18-character number.
    shaped = idnumber.DuckDBRegex().full_match("n", idnumber.ID18_PATTERN)
    sql = f"SELECT CASE WHEN {shaped} THEN {idnumber.checksum_ok_sql('n')} END FROM frame ORDER BY rowid"
    con = duckdb.connect()
    con.register("frame", frame.with_row_index("rowid").to_arrow())
    sql_ok = [r[0] for r in con.execute(sql).fetchall()]
    for n, p, s in zip(numbers, polars_ok, sql_ok, strict=True):
        expected = idnumber.checksum_ok(n)
        if len(n) == 18 and n[:17].isascii() and n[:17].isdigit():
            assert p == s == expected, n
        else:  # not a candidate: the vectorised forms may say False or NULL, never True
            assert not p and not s and not expected, n


@settings(max_examples=60, deadline=None)
@given(numbers=st.lists(st.text(alphabet="0123456789", min_size=15, max_size=15), min_size=1, max_size=30))
def test_the_sql_upgrade_of_old_numbers_is_the_per_number_one(numbers: list[str]) -> None:
    con = duckdb.connect()
    con.register("frame", pl.DataFrame({"n": numbers}).with_row_index("rowid").to_arrow())
    d = idnumber.DuckDBRegex()
    got = [
        r[0]
        for r in con.execute(
            f"SELECT {idnumber.normalised_id_sql(d, idnumber.clean_id_sql('n'))} FROM frame ORDER BY rowid"
        ).fetchall()
    ]
    assert got == [idnumber.upgrade15(n) for n in numbers]
    assert all(idnumber.checksum_ok(n) for n in got)


def test_cleaning_folds_full_width_digits_spaces_and_a_small_x() -> None:
    raw = " ３６０４２４ 1970 0301\u3000101x"
    got = duckdb.connect().execute(f"SELECT {idnumber.clean_id_sql('?')}", [raw]).fetchone()
    assert got == ("36042419700301101X",)


@given(day=st.dates(dt.date(1900, 1, 1), dt.date(2026, 12, 31)), order=st.integers(0, 999))
def test_birth_date_and_sex_are_read_from_the_number(day: dt.date, order: int) -> None:
    body = f"360424{day:%Y%m%d}{order:03d}"
    number = body + idnumber.check_digit(body)
    assert idnumber.birth_date(number) == day
    assert idnumber.sex(number) == (MALE if order % 2 else FEMALE)
    frame = pl.DataFrame({"n": [number]})
    birth, male = frame.select(
        idnumber.birth_date_expr(pl.col("n")).alias("birth"), idnumber.male_expr(pl.col("n")).alias("male")
    ).row(0)
    assert birth == day and male == (order % 2 == 1)
