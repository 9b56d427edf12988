"""The workbook cell parsers: examples of county mess, and properties over generated input."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from dixian.registry import choices
from dixian.registry import parsing as p

TODAY = dt.date(2026, 6, 1)
# No per-example deadline: the first example pays for loading stdnum's division table and polars.
relaxed = settings(deadline=None)
REGIONS = ["360424", "360402", "360428", "110101", "440304"]
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")

births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
ids = st.builds(
    lambda region, birth, seq: (lambda body: body + ric.calc_check_digit(body + "0"))(
        f"{region}{birth:%Y%m%d}{seq:03d}"
    ),
    st.sampled_from(REGIONS),
    births,
    st.integers(0, 999),
)
cells = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
)


def parse_id(value: object) -> p.IdNumber:
    return p.parse_id_number(value, today=TODAY)


# ---- ID numbers ---------------------------------------------------------------------------------


@relaxed
@given(ids)
def test_valid_id_round_trips_with_sex_and_birth_from_digits(number: str) -> None:
    parsed = parse_id(number)
    assert parsed.number == number
    assert parsed.birth_date == dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert parsed.sex == ("male" if int(number[16]) % 2 else "female")
    assert not parsed.upgraded


@relaxed
@given(ids, st.sampled_from([" ", "\u3000", "\t", "\xa0"]))
def test_spaces_full_width_digits_and_lowercase_x_are_normalised(number: str, space: str) -> None:
    messy = space + number[:6] + space + number[6:].translate(FULL_WIDTH) + space
    assert parse_id(messy).number == number
    assert parse_id(number.lower()).number == number


@relaxed
@given(
    st.sampled_from(REGIONS),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)),
    st.integers(0, 999),
)
def test_fifteen_digit_number_is_upgraded(region: str, birth: dt.date, seq: int) -> None:
    old = f"{region}{birth:%y%m%d}{seq:03d}"
    parsed = parse_id(old)
    assert parsed.upgraded and len(parsed.number) == 18
    assert parsed.number[:17] == f"{region}{birth:%Y%m%d}{seq:03d}"
    assert ric.is_valid(parsed.number) or parsed.number[6:8] == "19"  # stdnum also checks the region's era
    assert parsed.birth_date == birth


@relaxed
@given(ids)
def test_a_single_wrong_digit_is_rejected(number: str) -> None:
    wrong = number[:10] + str((int(number[10]) + 1) % 10) + number[11:]
    with pytest.raises(p.ParseError):
        parse_id(wrong)


@relaxed
@given(st.floats(min_value=1e16, max_value=9.99e17) | st.integers(10**16, 10**18))
def test_numeric_cells_are_rejected_as_excel_numbers(value: float) -> None:
    with pytest.raises(p.ParseError, match="科学计数法"):
        parse_id(value)


@pytest.mark.parametrize(
    "value", ["3.60424E+17", "3.60424197001011e17", "360424197001011000", "360424197001011000.0"]
)
def test_scientific_notation_and_lost_digits_say_so(value: str) -> None:
    with pytest.raises(p.ParseError) as info:
        parse_id(value)
    assert str(info.value) == p.EXCEL_NUMBER_ID


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("36042419700101123", "17位"),
        ("360424197002301234", "出生日期"),
        ("999999197001011234", "校验位"),
        ("36042419700101123A", "字符"),
        ("", "不能为空"),
    ],
)
def test_bad_ids_name_the_problem(value: str, fragment: str) -> None:
    with pytest.raises(p.ParseError, match=fragment):
        parse_id(value)


def test_unknown_region_prefix_is_rejected() -> None:
    body = "99000019700101123"
    with pytest.raises(p.ParseError, match="前6位"):
        parse_id(body + ric.calc_check_digit(body + "0"))


def test_future_birth_date_is_rejected() -> None:
    body = "36042420300101123"
    with pytest.raises(p.ParseError, match="不合理"):
        parse_id(body + ric.calc_check_digit(body + "0"))


def test_people_born_before_their_county_code_existed_are_valid() -> None:
    # 修水县's code dates from 1983; stdnum's own birth-place check would reject this 1950 birth.
    body = "36042419500101123"
    number = body + ric.calc_check_digit(body + "0")
    assert not ric.is_valid(number)
    assert parse_id(number).number == number


@relaxed
@given(cells)
def test_id_parser_raises_only_its_own_error(value: object) -> None:
    try:
        parsed = parse_id(value)
    except p.ParseError as exc:
        assert str(exc)
    else:
        assert len(parsed.number) == 18


# ---- dates --------------------------------------------------------------------------------------


@relaxed
@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 12, 31)))
def test_every_date_format_round_trips(day: dt.date) -> None:
    serial = (day - p.EXCEL_EPOCH).days
    forms = [
        day,
        dt.datetime.combine(day, dt.time()),
        float(serial),
        serial,
        str(serial) if serial < 100000 else day,
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day:%Y%m%d}",
        int(f"{day:%Y%m%d}"),
        f"{day.year}.{day.month:02d}.{day.day:02d}",
        f" {day.isoformat()} 00:00:00",
        f"{day:%Y}年{day:%m}月{day:%d}日".translate(FULL_WIDTH),
    ]
    for form in forms:
        assert p.parse_date(form) == day, form


@pytest.mark.parametrize("value", ["1980-02-30", "19801301", "昨天", "1980-1", True, -5.0, dt.time(1, 2)])
def test_impossible_dates_are_rejected(value: object) -> None:
    with pytest.raises(p.ParseError):
        p.parse_date(value)


@relaxed
@given(cells)
def test_date_parser_raises_only_its_own_error(value: object) -> None:
    try:
        result = p.parse_date(value)
    except p.ParseError:
        return
    assert result is None or isinstance(result, dt.date)


# ---- amounts, integers, booleans ----------------------------------------------------------------


@relaxed
@given(st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2, allow_nan=False))
def test_amounts_round_trip_as_text_number_and_with_yuan(amount: Decimal) -> None:
    assert p.parse_amount(str(amount)) == amount
    assert p.parse_amount(f"{amount:,}元") == amount
    assert p.parse_amount(float(amount)) == amount


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("-1", "负数"), ("1.234", "两位小数"), ("abc", "不是金额"), (1.005, "两位小数"), (float("inf"), "数字")],
)
def test_bad_amounts_name_the_problem(value: object, fragment: str) -> None:
    with pytest.raises(p.ParseError, match=fragment):
        p.parse_amount(value)


def test_formula_float_noise_is_forgiven() -> None:
    assert p.parse_amount(0.1 + 0.2) == Decimal("0.30")


@relaxed
@given(cells)
@example("100000000000000000000000000")  # beyond the decimal context: once raised InvalidOperation
@example("-1e+40")
def test_amount_parser_raises_only_its_own_error(value: object) -> None:
    try:
        result = p.parse_amount(value)
    except p.ParseError:
        return
    assert result is None or (result >= 0 and result == result.quantize(Decimal("0.01")))


@relaxed
@given(st.integers(0, 12))
def test_integers_accept_number_cells_and_text(n: int) -> None:
    for form in (n, float(n), str(n), f"{n}个月", f" {n} "):
        assert p.parse_int(form, low=0, high=12, label="务工时间") == n
    with pytest.raises(p.ParseError, match="0 到 12"):
        p.parse_int(n + 13, low=0, high=12, label="务工时间")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("是", True),
        ("否", False),
        ("有", True),
        ("无", False),
        ("Y", True),
        ("n", False),
        (1.0, True),
        (0, False),
        (True, True),
        ("√", True),
        ("", None),
        (None, None),
        (" 是 ", True),
    ],
)
def test_booleans(value: object, expected: bool | None) -> None:
    assert p.parse_bool(value) is expected


@relaxed
@given(cells)
def test_bool_parser_raises_only_its_own_error(value: object) -> None:
    try:
        result = p.parse_bool(value)
    except p.ParseError:
        return
    assert result in (True, False, None)


# ---- code lists ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", [f for f in choices.ALIASES if f != "bool"])
def test_every_alias_parses_to_its_code(field: str) -> None:
    for label, code in choices.ALIASES[field].items():
        assert p.parse_choice(field, label) == (code if label else p.parse_choice(field, ""))
        if label:
            assert p.parse_choice(field, f" {label}\u3000") == code


def test_unknown_choice_lists_the_valid_labels() -> None:
    with pytest.raises(p.ParseError) as info:
        p.parse_choice("kind", "贫困户", label="户类型")
    assert "户类型" in str(info.value) and "脱贫户" in str(info.value) and "一般农户" in str(info.value)


@relaxed
@given(st.sampled_from([f for f in choices.ALIASES if f != "bool"]), cells)
def test_choice_parser_raises_only_its_own_error(field: str, value: object) -> None:
    try:
        result = p.parse_choice(field, value)
    except p.ParseError:
        return
    assert result is None or result in set(choices.ALIASES[field].values())


def test_ethnicity_accepts_short_names() -> None:
    assert (
        p.parse_ethnicity("汉") == "汉族"
        and p.parse_ethnicity("畲族") == "畲族"
        and p.parse_ethnicity("") == "汉族"
    )
    with pytest.raises(p.ParseError):
        p.parse_ethnicity("火星族")


# ---- names, phones, codes -----------------------------------------------------------------------


@pytest.mark.parametrize("dot", ["·", "•", "・", ".", "･", " · "])
def test_middle_dot_variants_become_one(dot: str) -> None:
    assert p.parse_name(f"阿依古丽{dot}买买提") == "阿依古丽·买买提"


@relaxed
@given(
    st.text(
        alphabet=st.characters(categories=["Lo", "Lu", "Ll"]) | st.sampled_from("·•・. \u3000"), max_size=20
    )
)
def test_name_parsing_is_idempotent(value: str) -> None:
    try:
        once = p.parse_name(value)
    except p.ParseError:
        return
    assert p.parse_name(once) == once
    assert once == once.strip() and "··" not in once


@pytest.mark.parametrize("value", ["张三1", "", "·张三", 123, "张" * 51])
def test_bad_names_are_rejected(value: object) -> None:
    with pytest.raises(p.ParseError):
        p.parse_name(value)


@relaxed
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_mobiles_round_trip_in_any_spelling(number: str) -> None:
    spaced = f"{number[:3]} {number[3:7]}-{number[7:]}"
    for form in (number, spaced, float(number), int(number), f"+86{number}", number.translate(FULL_WIDTH)):
        assert p.parse_phone(form) == number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0792-1234567", "0792-1234567"),
        ("(0792)12345678", "0792-12345678"),
        ("07921234567", "0792-1234567"),
        ("", ""),
    ],
)
def test_landlines(value: str, expected: str) -> None:
    assert p.parse_phone(value) == expected


@relaxed
@given(cells)
def test_phone_parser_raises_only_its_own_error(value: object) -> None:
    try:
        result = p.parse_phone(value)
    except p.ParseError:
        return
    assert result == "" or result.replace("-", "").isdigit()


@relaxed
@given(cells)
def test_region_code_parser_raises_only_its_own_error(value: object) -> None:
    try:
        result = p.parse_region_code(value)
    except p.ParseError:
        return
    assert result == "" or (result.isdigit() and len(result) in (12, 14))


def test_region_code_from_a_number_cell_and_rounded_household_number() -> None:
    assert p.parse_region_code(360424100201.0) == "360424100201"
    with pytest.raises(p.ParseError, match="科学计数法"):
        p.parse_code(3.604241002010001e15, label="户编号", max_length=24)


@settings(max_examples=50)
@given(cells)
def test_text_never_raises(value: object) -> None:
    assert isinstance(p.text(value), str)


@relaxed
@given(
    st.lists(
        st.one_of(
            ids,
            ids.map(str.lower),
            st.text(alphabet="0123456789X", min_size=17, max_size=19),
            st.text(max_size=20),
        ),
        max_size=30,
    )
)
def test_vectorised_id_check_agrees_with_the_parser(values: list[str]) -> None:
    numbers, sexes, births = p.parse_id_numbers_fast(values, today=TODAY)
    for value, number, sex, birth in zip(values, numbers, sexes, births, strict=True):
        if number is not None:  # accepted by the fast path: the parser must give the very same answer
            assert parse_id(value) == (number, sex, birth, False)
        elif re.fullmatch(r"[0-9]{17}[0-9X]", value):
            with pytest.raises(p.ParseError):  # a clean number refused: the parser refuses it too
                parse_id(value)


def test_vectorised_id_check_skips_columns_with_number_cells() -> None:
    number = "36042419700301101" + ric.calc_check_digit("36042419700301101" + "0")
    assert p.parse_id_numbers_fast([number, 3.6e17], today=TODAY) == (
        [None, None],
        [None, None],
        [None, None],
    )
    assert p.parse_id_numbers_fast([number], today=TODAY) == ([number], ["male"], [dt.date(1970, 3, 1)])
