"""Feed choice columns tied to a national dictionary accept all of its spellings (docs/domain.md §18)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dixian.domain import catalogue, dictionaries
from dixian.feeds import ingest

TODAY = dt.date(2026, 11, 29)
DICTIONARY_COLUMNS = [
    pytest.param(feed.code, col, id=f"{feed.code}.{col.field}")
    for feed in catalogue.FEEDS
    for col in feed.columns
    if col.dictionary
]


def check(col: catalogue.FeedColumn, values: Sequence[str | None]):
    return ingest.check_values(col, values, today=TODAY)


@pytest.mark.parametrize(("feed", "col"), DICTIONARY_COLUMNS)
def test_every_choice_is_one_code_of_its_dictionary(feed: str, col: catalogue.FeedColumn) -> None:
    codes = [dictionaries.parse(col.dictionary, c) for c in col.choices]
    assert None not in codes
    if col.dictionary == "student_status":
        codes = [dictionaries.student_stage(str(c)) for c in codes]
    assert len(set(codes)) == len(codes), "two choices of one code"


@pytest.mark.parametrize(("feed", "col"), DICTIONARY_COLUMNS)
def test_every_dictionary_spelling_is_read_as_the_choice_of_its_code(
    feed: str, col: catalogue.FeedColumn
) -> None:
    table = catalogue.choice_lookup(col)
    cases = [
        (f" {spelling}\u3000", table[dictionaries.normalise(spelling)])
        for value in dictionaries.DICTIONARIES[col.dictionary].values
        for spelling in (value.label, value.national, *value.variants)
        if spelling and dictionaries.normalise(spelling) in table
    ]
    assert cases
    got = check(col, [c for c, _ in cases])
    assert got == [(choice, None) for _, choice in cases]


def test_grade_level_school_values_are_read_as_their_stage() -> None:
    col = catalogue.feed("education").column("stage")
    got = check(
        col,
        ["七年级", "初中一年级", "普通高中二年级", "小学三年级", "本科一年级", "硕士研究生及以上", "辍学"],
    )
    assert [v for v, _ in got] == ["初中", "初中", "高中", "小学", "本科", "研究生", None]
    assert "可填" in (got[-1][1] or "")


def test_disability_codes_of_the_certificate_are_read() -> None:
    category = catalogue.feed("disability").column("disability_category")
    grade = catalogue.feed("disability").column("disability_grade")
    assert check(category, ["4", "肢体残疾", "肢体", "肢体\x1f"]) == [("肢体", None)] * 4
    assert check(grade, ["1", "一级", "1级"]) == [("一级", None)] * 3


@settings(deadline=None, max_examples=30)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=20))
def test_the_vectorised_reading_agrees_with_the_dictionary_parser(values: list[str]) -> None:
    col = catalogue.feed("disability").column("disability_category")
    table = catalogue.choice_lookup(col)
    for value, (got, message) in zip(values, check(col, values), strict=True):
        expected = table.get(dictionaries.normalise(value))
        if value.strip(ingest._WS) == "":  # noqa: SLF001 - empty: the required check's business
            continue
        assert got == expected
        assert (message is None) == (expected is not None)


def test_the_api_reads_dictionary_spellings_as_the_choice_and_documents_the_choices() -> None:
    from pydantic import TypeAdapter, ValidationError

    from dixian.feeds import api_schemas

    stage = TypeAdapter(api_schemas.value_type(catalogue.feed("education").column("stage")))
    assert stage.validate_python("七年级") == "初中"
    assert stage.validate_python("高中") == "高中"
    with pytest.raises(ValidationError):
        stage.validate_python("辍学")
    grade = TypeAdapter(api_schemas.value_type(catalogue.feed("disability").column("disability_grade")))
    assert grade.validate_python("1") == "一级"
    assert grade.json_schema()["enum"] == ["一级", "二级", "三级", "四级"]
