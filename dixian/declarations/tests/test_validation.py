"""The public page's validators: examples, and properties over generated input."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from dixian.declarations import validation as v

relaxed = settings(deadline=None)
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")

ids = st.builds(
    lambda region, birth, seq: (lambda body: body + ric.calc_check_digit(body + "0"))(
        f"{region}{birth:%Y%m%d}{seq:03d}"
    ),
    st.sampled_from(["360424", "360402", "360428", "110101", "532901"]),
    st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2020, 12, 31)),
    st.integers(0, 999),
)
hanzi = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
mobiles = st.builds(
    lambda second, rest: f"1{second}{rest:09d}", st.sampled_from("3456789"), st.integers(0, 10**9 - 1)
)


def refused(fn, value) -> str:
    with pytest.raises(ValidationError) as info:
        fn(value)
    (message,) = info.value.messages
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message  # a Chinese sentence
    return message


# ---- ID number ----------------------------------------------------------------------------------


@relaxed
@given(ids, st.data())
def test_a_valid_id_number_is_accepted_however_it_is_typed(number, data):
    typed = data.draw(
        st.sampled_from(
            [
                number,
                number.lower(),
                f" {number} ",
                " ".join(number[i : i + 4] for i in range(0, 18, 4)),
                number.translate(FULL_WIDTH),
            ]
        )
    )
    assert v.clean_id_number(typed) == number


@relaxed
@given(ids, st.integers(0, 16), st.integers(1, 9))
def test_one_wrong_digit_is_always_caught(number, position, shift):
    digit = (int(number[position]) + shift) % 10
    wrong = number[:position] + str(digit) + number[position + 1 :]
    refused(v.clean_id_number, wrong)


@relaxed
@given(st.text(max_size=40))
@example("")
@example("3.60424E+17")
@example("36042419850304077X1")
def test_any_text_is_either_a_clean_id_number_or_refused_in_chinese(text):
    try:
        number = v.clean_id_number(text)
    except ValidationError as e:
        assert len(e.messages) == 1
        return
    assert len(number) == 18 and number[:17].isdigit() and number[-1] in "0123456789X"
    assert ric.is_valid(number) or number[-1] == ric.calc_check_digit(number)


def test_an_old_15_digit_number_is_upgraded():
    upgraded = v.clean_id_number("360424850304077")
    assert upgraded.startswith("36042419850304077") and len(upgraded) == 18


# ---- phone --------------------------------------------------------------------------------------


@given(mobiles, st.sampled_from(["{}", "+86{}", "0086 {}", "{0:.3} {1:.4} {2:.4}", "FW"]))
def test_a_mobile_number_is_accepted_with_the_usual_decorations(number, fmt):
    if fmt == "FW":
        typed = number.translate(FULL_WIDTH)
    elif "{0" in fmt:
        typed = f"{number[:3]} {number[3:7]}-{number[7:]}"
    else:
        typed = fmt.format(number)
    assert v.clean_mobile(typed) == number


@given(st.text(max_size=20))
@example("12912345678")
@example("1391234567")
@example("139123456789")
@example("0792-1234567")
def test_anything_but_a_mainland_mobile_is_refused(text):
    try:
        number = v.clean_mobile(text)
    except ValidationError:
        return
    assert len(number) == 11 and number.isascii() and number.isdigit()
    assert number[0] == "1" and number[1] in "3456789"


# ---- name ---------------------------------------------------------------------------------------


@given(st.text(hanzi, min_size=2, max_size=30))
def test_a_chinese_name_of_2_to_30_characters_is_kept(name):
    assert v.clean_name(name) == name
    assert v.clean_name(f"  {name}\u3000") == name


@given(st.lists(st.text(hanzi, min_size=1, max_size=6), min_size=2, max_size=4), st.sampled_from("·•・."))
def test_the_minority_middle_dot_is_made_one(parts, dot):
    joined = dot.join(parts)
    if len("·".join(parts)) > v.NAME_MAX:
        refused(v.clean_name, joined)
    else:
        assert v.clean_name(joined) == "·".join(parts)


@given(st.text(max_size=40))
@example("张")
@example("张3")
@example("·张三")
@example("阿依古丽··买买提")
def test_a_name_is_letters_and_dots_or_refused(text):
    try:
        name = v.clean_name(text)
    except ValidationError as e:
        assert len(e.messages) == 1
        return
    assert v.NAME_MIN <= len(name) <= v.NAME_MAX
    assert all(ch == "·" or unicodedata.category(ch).startswith("L") for ch in name)
    assert not name.startswith("·") and not name.endswith("·") and "··" not in name


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "请填写"),
        ("张", "至少2个字"),
        ("张" * 31, "最多30个字"),
        ("张三3", "数字或符号"),
        ("·张三", "间隔号"),
    ],
)
def test_name_refusals_say_what_to_fix(typed, message):
    assert message in refused(v.clean_name, typed)


# ---- description and reference ------------------------------------------------------------------


@given(st.text(min_size=0, max_size=1200))
def test_a_description_is_10_to_1000_characters(text):
    try:
        clean = v.clean_description(text)
    except ValidationError:
        return
    assert len(clean) <= v.DESCRIPTION_MAX
    assert len("".join(clean.split())) >= v.DESCRIPTION_MIN


@given(st.integers(0, 9999))
def test_a_new_reference_reads_back_however_it_is_typed(n):
    reference = v.reference_new(f"{n:04d}")
    assert v.reference_normalise(reference) == reference
    assert v.reference_normalise(reference.lower().replace("-", " ")) == reference
    assert not set(reference[7:]) & set("01OIL")


def test_a_description_keeps_chinese_punctuation_and_line_breaks():
    typed = "丈夫住院，花了三万元！\r\n孩子还在上学？"
    assert v.clean_description(typed) == "丈夫住院，花了三万元！\n孩子还在上学？"


def test_a_birth_date_of_today_in_china_is_accepted_while_utc_is_still_on_yesterday():
    """00:30 in Shanghai on 1 Dec is 16:30 UTC on 30 Nov: an ID born on 1 Dec is not from the future."""
    import time_machine

    body = "360424" + "20261201" + "001"
    number = body + ric.calc_check_digit(body + "0")
    with time_machine.travel(dt.datetime(2026, 11, 30, 16, 30, tzinfo=dt.UTC), tick=False):
        assert v.clean_id_number(number) == number
