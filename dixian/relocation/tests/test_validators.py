"""Property tests of the relocation validators (services.phone_clean, services.household_numbers)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from dixian.relocation.services import PHONE, household_numbers, phone_clean

mobiles = st.from_regex(r"1[0-9]{10}", fullmatch=True)
fixed = st.from_regex(r"0[0-9]{2,3}-?[0-9]{7,8}", fullmatch=True)
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


# No deadline: the machine is shared (a GC pause or a neighbour's job must not fail a pure function).
@settings(deadline=None)
@given(st.one_of(mobiles, fixed), st.sampled_from(["", " ", "　"]), st.booleans())
def test_a_valid_phone_is_kept_whatever_its_blanks_and_width(phone, blank, wide):
    typed = phone.translate(FULL_WIDTH) if wide else phone
    typed = blank + typed[:3] + blank + typed[3:] + blank
    assert phone_clean(typed) == phone


@settings(deadline=None)
@given(st.text(max_size=30))
def test_anything_else_is_refused_with_a_message_or_cleaned_to_a_valid_phone(value):
    try:
        cleaned = phone_clean(value)
    except ValidationError as exc:
        assert "不是有效的电话号码" in exc.message_dict["chief_phone"][0]
    else:
        assert cleaned == "" or (PHONE.match(cleaned) and cleaned.isascii())


@pytest.mark.parametrize(
    "value", ["12345", "2345678901234", "139123456789", "0792-12", "电话", "١٣٩١٢٣٤٥٦٧٨"]
)
def test_known_bad_phones_are_refused(value):
    with pytest.raises(ValidationError):
        phone_clean(value)


numbers = st.lists(st.from_regex(r"[0-9]{6,20}", fullmatch=True), max_size=30)
separators = st.sampled_from(["\n", ",", "，", "、", " ", ";", "；", "\r\n", "\t", " ,\n"])


@settings(deadline=None)
@given(numbers, separators, separators)
def test_household_numbers_are_read_in_order_each_once(values, sep, tail):
    text = sep.join(values) + tail
    expected = list(dict.fromkeys(values))
    assert household_numbers(text) == expected
