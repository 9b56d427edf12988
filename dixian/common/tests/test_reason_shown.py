"""`reason_shown`: a reason's private values (between the engine's marks) only with the personal-data right."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dixian.common.access import PRIVATE_SHOWN, reason_shown
from dixian.screening.engine.core import PRIVATE_CLOSE, PRIVATE_OPEN

# Text as departments and templates write it: anything but the marks themselves (the engine strips them
# from values, and refuses them in templates).
plain = st.text(st.characters(blacklist_characters=PRIVATE_OPEN + PRIVATE_CLOSE, codec="utf-8"), max_size=30)


def test_a_marked_value_is_shown_whole_or_as_stars():
    reason = f"2026年8月1日甲确诊大病专项救治病种“{PRIVATE_OPEN}恶性肿瘤{PRIVATE_CLOSE}”(规则 R03 第1版)"
    assert reason_shown(reason, pii=True) == "2026年8月1日甲确诊大病专项救治病种“恶性肿瘤”(规则 R03 第1版)"
    assert reason_shown(reason, pii=False) == "2026年8月1日甲确诊大病专项救治病种“***”(规则 R03 第1版)"


def test_without_the_right_numbers_are_masked_and_a_cut_reason_hides_its_open_value():
    reason = f"来访反映医疗问题:{PRIVATE_OPEN}电话13912345678,身份证360424199001011234,肺"
    assert reason_shown(reason, pii=False) == "来访反映医疗问题:***"
    assert reason_shown("联系 13912345678", pii=False) == "联系 139****5678"
    assert reason_shown("", pii=False) == ""


@given(st.lists(st.tuples(plain, plain), max_size=4), plain)
def test_private_values_never_show_without_the_right_and_all_show_with_it(pairs, tail):
    """Reasons are merged from pieces ("甲…;乙…"), each with its own marked values."""
    reason = "".join(f"{text}{PRIVATE_OPEN}{value}{PRIVATE_CLOSE}" for text, value in pairs) + tail
    whole = "".join(text + value for text, value in pairs) + tail
    assert reason_shown(reason, pii=True) == whole
    shown = reason_shown(reason, pii=False)
    assert PRIVATE_OPEN not in shown and PRIVATE_CLOSE not in shown
    assert shown.count(PRIVATE_SHOWN) >= len(pairs)
    unmasked = "".join(text + PRIVATE_SHOWN for text, _ in pairs) + tail
    assert len(shown) == len(unmasked)  # numbers are masked in place, nothing else changes
