"""Record keys hold the normalised ID number (docs/feeds.md §五): a record re-sent with its number cleaned up
is the same record, for deduplication, links and evidence alike."""

from __future__ import annotations

from datetime import date

import duckdb

from dixian.domain import catalogue
from dixian.domain.records import record_key, record_key_sql, rekeyed

from .data import World, feed, id15, id_number
from .helpers import evidence_of, run

PERSON = id_number(date(1966, 4, 5), 17)


def _sql_key(feed_code: str, row: dict) -> str:
    spec = catalogue.feed(feed_code)
    con = duckdb.connect()
    try:
        cols = ", ".join(f"CAST(? AS VARCHAR) AS {name}" for name in spec.record_key)
        values = [None if row.get(n) is None else str(row[n]) for n in spec.record_key]
        return con.execute(f"SELECT {record_key_sql(spec)} FROM (SELECT {cols})", values).fetchall()[0][0]  # noqa: S608
    finally:
        con.close()


def _spellings(number: str) -> list[str]:
    full = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    return [number, " " + number[:6] + " " + number[6:] + "\u3000", full, number.lower(), id15(number)]


def test_every_spelling_of_a_number_gives_the_key_of_the_clean_number():
    row = {"name": "甲", "disease": "恶性肿瘤", "diagnosis_date": "2026-10-08"}
    keys = {_sql_key("major_illness", dict(row, id_number=s)) for s in _spellings(PERSON)}
    assert keys == {f"甲|{PERSON}|恶性肿瘤|2026-10-08"}
    assert {
        record_key(catalogue.feed("major_illness"), dict(row, id_number=s)) for s in _spellings(PERSON)
    } == keys


def test_a_number_with_a_wrong_digit_keeps_its_digits_and_one_that_is_no_number_stays_as_sent():
    typo = PERSON[:10] + ("1" if PERSON[10] != "1" else "2") + PERSON[11:]
    assert _sql_key("major_illness", {"name": "甲", "id_number": " " + typo.lower()}).split("|")[1] == typo
    assert (
        _sql_key("major_illness", {"name": "甲", "id_number": "3.60424E+17"}).split("|")[1] == "3.60424E+17"
    )
    assert _sql_key("major_illness", {"name": "甲"}) == "甲|||"


def test_stored_keys_are_rekeyed_the_same_way():
    spec = catalogue.feed("major_illness")
    assert rekeyed(spec, f"甲|{id15(PERSON)}|恶性肿瘤|2026-10-08") == f"甲|{PERSON}|恶性肿瘤|2026-10-08"
    assert rekeyed(spec, f"甲|{PERSON}|恶性肿瘤|2026-10-08") == f"甲|{PERSON}|恶性肿瘤|2026-10-08"
    assert rekeyed(spec, "a|b") == "a|b"  # cannot be split into the key's columns: left alone
    assert rekeyed(catalogue.feed("medical"), "JS001") == "JS001"


def test_a_record_resent_with_its_number_cleaned_up_counts_once():
    w = World()
    pid = w.person(w.household("H1"), "甲")
    row = {"name": "甲", "visit_date": date(2026, 10, 2), "category": "医疗", "summary": "诉求"}
    rows = [dict(row, id_number=id15(pid)), dict(row, id_number=pid), dict(row, id_number=pid.lower() + " ")]
    [ev] = evidence_of(run(w.registry(), {"petition": feed("petition", rows)}, only="R16"), "R16")
    assert ev["record_keys"] == [f"甲|{pid}|2026-10-02|医疗"]
