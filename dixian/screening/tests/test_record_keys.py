"""Record keys hold the normalised ID number (docs/feeds.md §五): a record re-sent with its number cleaned up
is the same record, for deduplication, links and evidence alike."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from dixian.domain import catalogue
from dixian.domain.idnumber import normalised_id
from dixian.domain.records import NORMALISED_ID_COLUMN, record_key, record_key_sql, rekeyed
from dixian.feeds.ingest import stored_table

from .data import World, every_rule_world, feed, id15, id_number
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


# Deliveries stored with their ID numbers normalised (feeds.ingest.stored_table, domain.records) --------------


def _spoiled(number: str | None, i: int) -> str | None:
    """Every fourth number as sent cleanly; the others spaced, full-width, or old 15-digit (where born 19xx)."""
    if number is None or len(number) != 18:
        return number
    if i % 4 == 1:
        return " " + number[:6] + " " + number[6:]
    if i % 4 == 2:
        return number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    if i % 4 == 3 and number[6:8] == "19":
        return id15(number)
    return number


def _as_delivered(code: str, frame: pl.DataFrame) -> pa.Table:
    """A feed frame of the rule world under field names, its ID numbers spelt in the ways feeds send them."""
    frame = frame.rename(catalogue.header_map(code, frame.columns))
    if "id_number" in frame.columns:
        ids = [_spoiled(n, i) for i, n in enumerate(frame.get_column("id_number").to_list())]
        frame = frame.with_columns(pl.Series("id_number", ids, dtype=pl.String))
    return frame.to_arrow()


def test_deliveries_stored_with_the_normalised_number_screen_as_those_stored_without(tmp_path):
    registry, feeds, monitored, links = every_rule_world()
    delivered = {code: _as_delivered(code, frame) for code, frame in feeds.items()}
    spelt = sum(
        1
        for t in delivered.values()
        if "id_number" in t.column_names
        for n in t.column("id_number").to_pylist()
        if n and normalised_id(n) != n
    )
    assert spelt >= 20  # the comparison below is about numbers that need normalising
    stored = {code: stored_table(t) for code, t in delivered.items()}
    assert NORMALISED_ID_COLUMN in stored["medical"].column_names
    # Two deliveries of each feed, one stored before the column existed and one after: read as one table.
    mixed = {}
    for code, t in delivered.items():
        half = t.num_rows // 2
        old, new = tmp_path / f"{code}-old.parquet", tmp_path / f"{code}-new.parquet"
        pq.write_table(t.slice(0, half), old)
        pq.write_table(stored_table(t.slice(half)), new)
        mixed[code] = [old, new]
    results = [
        run(registry, inputs, links=links, monitored_risks=monitored) for inputs in (delivered, stored, mixed)
    ]
    without, with_column, both = results
    assert without.alerts.num_rows > 10 and without.unmatched.num_rows > 0
    for other in (with_column, both):
        assert other.alerts.equals(without.alerts)
        assert other.unmatched.equals(without.unmatched)
        assert other.case_evidence.equals(without.case_evidence)


def test_a_record_resent_cleaned_up_in_a_delivery_stored_with_the_normalised_number_counts_once(tmp_path):
    w = World()
    pid = w.person(w.household("H1"), "甲")
    row = {"name": "甲", "visit_date": date(2026, 10, 2), "category": "医疗", "summary": "诉求"}
    first, second = tmp_path / "first.parquet", tmp_path / "second.parquet"
    pq.write_table(feed("petition", [dict(row, id_number=id15(pid))], headers="fields").to_arrow(), first)
    pq.write_table(
        stored_table(feed("petition", [dict(row, id_number=pid)], headers="fields").to_arrow()), second
    )
    [ev] = evidence_of(run(w.registry(), {"petition": [first, second]}, only="R16"), "R16")
    assert ev["record_keys"] == [f"甲|{pid}|2026-10-02|医疗"]


def test_the_engine_links_by_the_stored_normalised_number_and_does_not_normalise_again():
    # The column is the delivery service's (written when the delivery was received): a run reads it as it is.
    w = World()
    pid = w.person(w.household("H1"), "甲")
    other = w.person(w.household("H2"), "乙")
    row = {"name": "乙", "visit_date": date(2026, 10, 2), "category": "医疗", "summary": "诉求"}
    table = stored_table(feed("petition", [dict(row, id_number=id15(pid))], headers="fields").to_arrow())
    assert table.column(NORMALISED_ID_COLUMN).to_pylist() == [pid]
    table = table.set_column(
        table.column_names.index(NORMALISED_ID_COLUMN), NORMALISED_ID_COLUMN, pa.array([other], pa.string())
    )
    [ev] = evidence_of(run(w.registry(), {"petition": table}, only="R16"), "R16")
    assert ev["household_no"] == "H2"
    assert ev["record_keys"] == [f"乙|{other}|2026-10-02|医疗"]
