"""Property tests of the column checks: dates, amounts and identity numbers (vectorised expressions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from dixian.domain import catalogue
from dixian.feeds import ingest
from dixian.registry import parsing

TODAY = dt.date(2026, 11, 29)
DATE_COL = catalogue.feed("medical").column("settlement_date")
MONEY_COL = catalogue.feed("medical").column("total_cost")
ID_COL = catalogue.feed("medical").column("id_number")
INT_COL = catalogue.feed("loan").column("overdue_days")
CHOICE_COL = catalogue.feed("housing").column("grade")

past_dates = st.dates(min_value=dt.date(1900, 3, 1), max_value=TODAY)


def one(col: catalogue.FeedColumn, value: str | None):
    return ingest.check_values(col, [value], today=TODAY)[0]


def many(col: catalogue.FeedColumn, values: Sequence[str | None]):
    # One frame per example: the expressions cost milliseconds to set up, nothing per value.
    return ingest.check_values(col, values, today=TODAY)


# Each example checks a whole batch of values in one frame (as a delivery does): setting the expressions up
# costs tens of milliseconds on a loaded machine, so no deadline, and fewer but larger examples.
def batches(strategy):
    return st.lists(strategy, min_size=1, max_size=40)


def serial(d: dt.date) -> int:
    return (d - dt.date(1899, 12, 30)).days


def date_text(d: dt.date, form: str) -> str:
    return {
        "iso": d.isoformat(),
        "cn": f"{d.year}年{d.month}月{d.day}日",
        "slash": f"{d.year}/{d.month}/{d.day}",
        "dot": f"{d.year}.{d.month}.{d.day}",
        "compact": f"{d:%Y%m%d}",
        "serial": str(serial(d)),
        "spaced": f"  {d.isoformat()}\u3000",
        "time": f"{d.isoformat()} 08:30:00",
    }[form]


DATE_FORMS = st.sampled_from(["iso", "cn", "slash", "dot", "compact", "serial", "spaced", "time"])


@settings(deadline=None, max_examples=30)
@given(batches(st.tuples(past_dates, DATE_FORMS)))
def test_every_accepted_date_format_reads_back_the_same_day(cases):
    got = many(DATE_COL, [date_text(d, form) for d, form in cases])
    assert got == [(d, None) for d, _ in cases]


@settings(deadline=None, max_examples=30)
@given(batches(st.dates(min_value=TODAY + dt.timedelta(days=1), max_value=dt.date(2999, 12, 31))))
def test_a_date_after_today_is_refused(dates):
    for _, message in many(DATE_COL, [d.isoformat() for d in dates]):
        assert "将来" in message


@settings(deadline=None, max_examples=30)
@given(batches(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(1899, 12, 31))))
def test_a_date_before_1900_is_refused(dates):
    for _, message in many(DATE_COL, [d.isoformat() for d in dates]):
        assert "1900" in message


def registry_date(text: str) -> dt.date | None:
    try:
        return parsing.parse_date(text)
    except parsing.ParseError:
        return None


@settings(deadline=None, max_examples=30)
@given(batches(st.text(alphabet="0123456789-/.年月日 ", max_size=14)))
def test_a_date_the_registry_parser_reads_is_read_the_same(texts):
    for text, (value, message) in zip(texts, many(DATE_COL, texts), strict=True):
        expected = registry_date(text)
        if expected is not None and dt.date(1900, 1, 1) <= expected <= TODAY:
            assert (value, message) == (expected, None), text
        if value is None and text.strip():
            assert message, text  # nothing is silently dropped


def blank(text: str | None) -> bool:
    return text is None or not text.strip(" \t\r\n\u3000\xa0")


@settings(deadline=None, max_examples=30)
@given(batches(st.text(max_size=30)))
def test_any_text_in_a_date_column_is_a_date_or_an_error(texts):
    for text, (value, message) in zip(texts, many(DATE_COL, texts), strict=True):
        if blank(text):
            assert (value, message) == (None, None)
        else:
            assert (value is None) != (message is None) or "1900" in message or "将来" in message, text


cents_values = st.integers(min_value=0, max_value=ingest.MAX_AMOUNT_CENTS)


def as_yuan(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def amount_text(cents: int, form: str) -> str:
    yuan = as_yuan(cents)
    return {
        "plain": yuan,
        "yuan": f"{yuan}元",
        "comma": f"{cents // 100:,}.{cents % 100:02d}",
        "short": f"{cents // 100}.{cents % 100:02d}".rstrip("0").rstrip(".")
        if cents % 100
        else str(cents // 100),
        "symbol": f"¥{yuan}",
    }[form]


AMOUNT_FORMS = st.sampled_from(["plain", "yuan", "comma", "short", "symbol"])


@settings(deadline=None, max_examples=30)
@given(batches(st.tuples(cents_values, AMOUNT_FORMS)))
def test_every_accepted_amount_format_gives_the_exact_cents(cases):
    got = many(MONEY_COL, [amount_text(c, form) for c, form in cases])
    assert got == [(c, None) for c, _ in cases]


@settings(deadline=None, max_examples=30)
@given(batches(st.integers(min_value=1, max_value=10**9)))
def test_a_negative_amount_is_refused(values):
    for _, message in many(MONEY_COL, ["-" + as_yuan(c) for c in values]):
        assert "负数" in message


@settings(deadline=None, max_examples=30)
@given(batches(st.tuples(cents_values, st.integers(min_value=1, max_value=9))))
def test_a_third_decimal_is_refused(cases):
    for _, message in many(MONEY_COL, [f"{as_yuan(c)}{extra}" for c, extra in cases]):
        assert "两位小数" in message


@settings(deadline=None, max_examples=30)
@given(batches(st.integers(min_value=ingest.MAX_AMOUNT_CENTS + 1, max_value=10**20)))
def test_an_absurd_amount_is_refused(values):
    for _, message in many(MONEY_COL, [as_yuan(c) for c in values]):
        assert "过大" in message


@settings(deadline=None, max_examples=30)
@given(batches(st.text(max_size=20)))
def test_any_text_in_an_amount_column_is_an_amount_or_an_error(texts):
    for text, (value, message) in zip(texts, many(MONEY_COL, texts), strict=True):
        if blank(text):
            assert (value, message) == (None, None)
        else:
            assert (value is None) != (message is None) or "过大" in message, text


bodies = st.builds(
    lambda region, birth, seq: f"{region}{birth:%Y%m%d}{seq:03d}",
    st.sampled_from(["360424", "360428", "110101", "440305"]),
    st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2020, 12, 31)),
    st.integers(min_value=0, max_value=999),
)
FULL = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def valid_id(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


ID_FORMS = st.sampled_from(["plain", "lower", "full", "spaces", "padded"])


def id_text(number: str, form: str) -> str:
    return {
        "plain": number,
        "lower": number.lower(),
        "full": number.translate(FULL),
        "spaces": f"{number[:6]} {number[6:14]} {number[14:]}",
        "padded": f" {number}\u3000",
    }[form]


@settings(deadline=None, max_examples=30)
@given(batches(st.tuples(bodies, ID_FORMS)))
def test_a_valid_id_number_in_any_clean_up_form_is_valid_and_kept_as_sent(cases):
    texts = [id_text(valid_id(body), form) for body, form in cases]
    for text, ((kept, kind), message) in zip(texts, many(ID_COL, texts), strict=True):
        assert message is None
        assert kind == ingest.ID_VALID
        assert kept == text.strip(" \u3000")


def mistype(number: str, position: int, shift: int) -> str:
    return number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]


@settings(deadline=None, max_examples=30)
@given(
    batches(st.tuples(bodies, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9)))
)
def test_a_mistyped_digit_is_kept_for_linkage_not_refused(cases):
    typos = [mistype(valid_id(body), position, shift) for body, position, shift in cases]
    for typo, ((kept, kind), message) in zip(typos, many(ID_COL, typos), strict=True):
        assert message is None
        # A single changed digit always breaks the ISO 7064 check (it detects every single-digit error).
        assert kind == ingest.ID_CHECKSUM
        assert kept == typo  # never repaired


@settings(deadline=None, max_examples=30)
@given(batches(bodies))
def test_a_number_a_spreadsheet_damaged_is_kept_and_flagged(body_list):
    numbers = [valid_id(b) for b in body_list]
    shown = [f"{float(n[:17] + '0'):.6G}" for n in numbers]  # 3.60424E+17, as Excel shows it
    shown += [
        f"{float(n[:17] + '0'):.15G}" for n in numbers
    ]  # the cell's full value, as a csv export writes it
    for text, ((kept, kind), message) in zip(shown, many(ID_COL, shown), strict=True):
        assert (kept, kind, message) == (text, ingest.ID_DAMAGED, None)


@settings(deadline=None, max_examples=30)
@given(batches(bodies))
def test_an_old_15_digit_number_is_accepted(body_list):
    olds = [b[:6] + b[8:17] for b in body_list]
    assert many(ID_COL, olds) == [((o, ingest.ID_OLD15), None) for o in olds]


NOT_AN_ID = st.one_of(
    st.text(alphabet="0123456789", min_size=1, max_size=30).filter(lambda s: len(s) not in (15, 18)),
    st.builds(
        lambda s, c: s[:5] + c + s[5:],
        st.text(alphabet="0123456789", min_size=17, max_size=17),
        st.sampled_from("ABCYZ甲-"),
    ),
)


@settings(deadline=None, max_examples=30)
@given(batches(NOT_AN_ID))
def test_a_value_that_cannot_be_an_id_is_a_row_error(texts):
    for (_, kind), message in many(ID_COL, texts):
        assert kind == ingest.ID_INVALID
        assert "不是身份证号" in message


@settings(deadline=None, max_examples=30)
@given(batches(st.text(max_size=25)))
def test_any_text_in_an_id_column_is_classified_and_only_invalid_ones_are_errors(texts):
    for (_, kind), message in many(ID_COL, texts):
        assert (message is not None) == (kind == ingest.ID_INVALID)


@settings(deadline=None, max_examples=30)
@given(batches(st.integers(min_value=0, max_value=36_500)))
def test_whole_numbers_read_back(values):
    assert many(INT_COL, [f"{n}天" for n in values]) == [(n, None) for n in values]
    assert many(INT_COL, [str(n) for n in values]) == [(n, None) for n in values]


def test_an_int_column_refuses_fractions_signs_and_words():
    for text in ("1.5", "-3", "三十", "36501"):
        assert one(INT_COL, text)[1], text


def test_choices_are_matched_after_trimming_and_case_folding():
    assert one(CHOICE_COL, " c ") == ("C", None)
    value, message = one(CHOICE_COL, "E")
    assert value is None and "A、B、C、D" in message


def full_only(col: catalogue.FeedColumn, values: list[str | None]):
    """The full checks alone, on every value (what the first, cheap pass must agree with)."""
    import polars as pl

    cell = ingest._Cell(col, col.header, "c0", 0, False)
    value, message, kind = ingest._full(cell, TODAY)
    exprs = [value.alias("v"), message.alias("m")] + ([kind.alias("k")] if kind is not None else [])
    out = pl.DataFrame({"c0": pl.Series(values, dtype=pl.String)}).select(exprs)
    return [((r["v"], r["k"]) if kind is not None else r["v"], r["m"]) for r in out.iter_rows(named=True)]


CELL_TEXT = st.one_of(
    st.text(max_size=20),
    st.text(alphabet="0123456789.-/年月日 ,元X", max_size=20),
    st.builds(lambda d, f: date_text(d, f), past_dates, DATE_FORMS),
    st.builds(lambda c, f: amount_text(c, f), cents_values, AMOUNT_FORMS),
    st.builds(lambda b, f: id_text(valid_id(b), f), bodies, ID_FORMS),
    st.sampled_from(["A", "c", " B", "住院", "２０２６-01-02", "١٢٣", "٣٦٠٤٢٤١٩٧٠٠١٠١٠٠٣X"]),
)


@settings(deadline=None, max_examples=30)
@given(batches(CELL_TEXT))
def test_the_fast_first_pass_agrees_with_the_full_checks(texts):
    for col in (DATE_COL, MONEY_COL, ID_COL, INT_COL, CHOICE_COL):
        assert many(col, texts) == full_only(col, texts), col.field
