"""Every value of every national dictionary reads back as its code (docs/domain.md §18).

The cases are drawn from the dictionaries themselves, so a value or a variant added to the data is covered
without touching this file.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dixian.domain import dictionaries as d
from dixian.domain.household_facts import dropout_of_school_age

SPELLINGS = [
    pytest.param(name, kind, spelling, value.code, id=f"{name}-{kind}-{spelling}")
    for name, dictionary in d.DICTIONARIES.items()
    for value in dictionary.values
    for kind, spelling in (
        ("label", value.label),
        ("code", str(value.code)),
        ("national", value.national),
        *(("variant", v) for v in value.variants),
    )
    if spelling
]


def _full_width(s: str) -> str:
    """ASCII made full-width (Ａ１, （), the way a Chinese input method types it."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in s)


@pytest.mark.parametrize(("name", "kind", "spelling", "code"), SPELLINGS)
def test_every_spelling_reads_as_its_code(name: str, kind: str, spelling: str, code: object) -> None:
    assert d.parse(name, spelling) == code
    assert d.parse(name, f"  {spelling} \u3000") == code  # spaces, also full-width, around it
    assert d.parse(name, _full_width(spelling)) == code
    if kind == "national" and spelling.isdigit():
        assert d.parse(name, int(spelling)) == code  # typed into a number cell
        assert d.parse(name, float(spelling)) == code


@pytest.mark.parametrize("name", list(d.DICTIONARIES))
def test_each_dictionary_is_consistent(name: str) -> None:
    dictionary = d.DICTIONARIES[name]
    codes = [v.code for v in dictionary.values]
    assert len(codes) == len(set(codes)), "a code appears twice"
    labels = [v.label for v in dictionary.values]
    assert len(labels) == len(set(labels)), "a label appears twice"
    table = d.lookup_table(name)  # builds, so no spelling means two codes
    assert set(table.values()) <= set(codes)
    assert d.parse(name, "") == d.parse(name, None) == d.parse(name, " \u3000") == dictionary.blank
    assert dictionary.blank is None or dictionary.blank in codes
    for value in dictionary.values:
        if value.national:
            assert dictionary.codes_source, "a national code without saying where it comes from"


@pytest.mark.parametrize("name", list(d.DICTIONARIES))
@given(cell=st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.dates()))
def test_parse_raises_nothing_but_parse_error(name: str, cell: object) -> None:
    try:
        code = d.parse(name, cell)
    except d.ParseError as e:
        assert str(e).startswith("「") and "可填" in str(e)
    else:
        assert code is None or code in {v.code for v in d.DICTIONARIES[name].values}


@pytest.mark.parametrize("name", list(d.DICTIONARIES))
@given(data=st.data())
def test_labels_round_trip(name: str, data: st.DataObject) -> None:
    value = data.draw(st.sampled_from(d.DICTIONARIES[name].values))
    assert d.parse(name, value.label) == value.code
    assert d.DICTIONARIES[name].labels[value.code] == value.label


@given(st.text())
def test_normalise_is_idempotent_and_has_no_space(s: str) -> None:
    once = d.normalise(s)
    assert d.normalise(once) == once
    assert not any(ch.isspace() for ch in once)


def test_the_message_names_the_column_and_the_accepted_values() -> None:
    with pytest.raises(
        d.ParseError, match="不是有效的劳动技能,可填:普通劳动力 / 技能劳动力 / 弱劳动力或半劳动力"
    ):
        d.parse("labour_skill", "会开拖拉机")
    with pytest.raises(d.ParseError, match="民族名称"):
        d.parse("ethnicity", "火星族", label="民族名称")


# ---- 在校生情况 and its stages ------------------------------------------------------------------------


@pytest.mark.parametrize("code", list(d.STUDENT_STATUS))
def test_every_student_status_has_a_stage(code: str) -> None:
    assert d.student_stage(code) in d.STAGES
    assert code in d.STAGE_CODES[d.student_stage(code)]


@pytest.mark.parametrize(
    ("spelling", "stage"),
    [
        ("七年级", "junior"),
        ("初中一年级", "junior"),
        ("初三", "junior"),
        ("初中", "junior"),
        ("小学三年级", "primary"),
        ("小学", "primary"),
        ("普通高中二年级", "senior"),
        ("高中", "senior"),
        ("中职一年级", "secondary_vocational"),
        ("技师学院四年级", "secondary_vocational"),
        ("高职高专一年级", "higher_vocational"),
        ("本科五年级", "undergraduate"),
        ("硕士研究生及以上", "postgraduate"),
        ("学前教育", "preschool"),
        ("学龄前儿童", ""),
        ("", ""),
        ("失学或辍学", "dropout"),
    ],
)
def test_grade_level_values_are_stored_as_such_and_map_to_their_stage(spelling: str, stage: str) -> None:
    code = d.parse("student_status", spelling)
    assert isinstance(code, str)
    assert d.student_stage(code) == stage
    assert d.in_school(code) == (stage not in ("", "dropout"))


def test_grade_level_is_kept() -> None:
    assert d.parse("student_status", "七年级") == "grade_7" != d.parse("student_status", "初中")
    assert d.STUDENT_STATUS["grade_7"] == "七年级"


def test_only_a_dropout_of_school_age_breaks_compulsory_education() -> None:
    today = dt.date(2026, 12, 6)
    thirteen = dt.date(2013, 5, 1)
    assert dropout_of_school_age("dropout", thirteen, today)
    # A 13-year-old in 七年级 (or in 初中 at stage level) is in school.
    assert not dropout_of_school_age("grade_7", thirteen, today)
    assert not dropout_of_school_age("junior", thirteen, today)
    # Out of the compulsory ages, a dropout does not count.
    assert not dropout_of_school_age("dropout", dt.date(2008, 1, 1), today)
