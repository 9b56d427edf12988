"""Place-name normalisation (domain.placenames): the forms clerks write reduce to one, and nothing raises."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dixian.domain import placenames as pn

NAMEISH = st.text(
    alphabet=st.sampled_from(
        "良塘义宁新村镇乡街道组队县区市省第三一二十 （）()【】\u3000\u00a8\u0301ＡＢ１２"
    ),
    max_size=14,
)


@given(st.one_of(st.text(), NAMEISH, st.integers(), st.floats(allow_nan=True), st.none()))
def test_clean_is_idempotent_and_never_raises(value: object) -> None:
    once = pn.clean(value)
    assert pn.clean(once) == once
    assert not any(ch.isspace() for ch in once)


@given(st.one_of(st.text(), NAMEISH), st.sampled_from(["city", "county", "township", "village", "group"]))
def test_short_names_and_splitting_never_raise_and_keep_some_text(text: str, level: str) -> None:
    shorts = pn.short_names(text, level)
    assert shorts[0] == pn.short_name(text, level)
    assert all(s or not pn.clean(text) for s in shorts)
    head, tail = pn.split_group(pn.clean(text))
    assert head + tail == pn.clean(text)
    pn.group_number(text)
    pn.strip_province(pn.clean(text))


@given(st.integers(min_value=1, max_value=99))
def test_every_way_of_writing_a_group_number_reads_back(n: int) -> None:
    chinese = pn_chinese(n)
    written: object
    for written in (
        f"{n}组",
        f"{chinese}组",
        f"第{chinese}村民小组",
        f"第{n}组",
        f"{n:02d}",
        n,
        float(n),
        f"{n}队",
    ):
        assert pn.group_number(written) == n, written


def pn_chinese(n: int) -> str:
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else digits[tens]) + "十" if tens else "") + (digits[ones] if ones else "")


@pytest.mark.parametrize(
    ("written", "level", "short"),
    [
        ("修水县", "county", "修水"),
        ("瑞昌市", "county", "瑞昌"),
        ("义宁镇", "township", "义宁"),
        ("义宁街道办事处", "township", "义宁"),
        ("良塘村委会", "village", "良塘"),
        ("良塘村村民委员会", "village", "良塘"),
        ("城东社区", "village", "城东"),
        ("第三村民小组", "group", "第三"),
        ("县", "county", "县"),  # nothing would be left: the suffix stays
        ("义宁（东）镇 ", "township", "义宁(东)"),
    ],
)
def test_short_name_drops_the_levels_suffix(written: str, level: str, short: str) -> None:
    assert pn.short_name(written, level) == short


def test_a_bracketed_note_after_the_name_is_also_dropped() -> None:
    assert pn.short_names("良塘村（社区）", "village") == ("良塘村(社区)", "良塘")
    assert pn.short_names("黄沙(港)村", "village") == ("黄沙(港)",)


def test_full_width_and_spaces_fold() -> None:
    assert pn.clean(" 义宁\u3000镇（街道） ") == "义宁镇(街道)"
    assert pn.clean("【良塘】村１组") == "(良塘)村1组"
    assert pn.clean(3.0) == "3"


def test_paths_lose_their_province_and_keep_their_group() -> None:
    assert pn.strip_province("江西省九江市修水县") == "九江市修水县"
    assert pn.strip_province("省庄村") == "省庄村"
    assert pn.split_group("良塘村十二组") == ("良塘村", "十二组")
    assert pn.split_group("一组") == ("一组", "")
    assert pn.group_number("张家组") is None
