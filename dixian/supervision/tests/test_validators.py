"""The findings typed into a visit's record (services.findings_parse), held to what the form promises."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from ..services import CATEGORIES, DEFAULT_CATEGORY, FINDINGS_MAX, findings_parse

titles = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
    min_size=1,
    max_size=60,
).filter(lambda t: t.strip() and ":" not in t and "：" not in t and t.strip() == t)


@given(st.lists(st.tuples(st.sampled_from((*CATEGORIES, None)), titles), min_size=0, max_size=FINDINGS_MAX))
def test_each_line_becomes_its_category_and_problem(lines):
    text = "\n\n".join(f"{c}:{t}" if c else t for c, t in lines)
    assert findings_parse(text) == [(c or DEFAULT_CATEGORY, t) for c, t in lines]


@given(st.integers(min_value=FINDINGS_MAX + 1, max_value=FINDINGS_MAX + 30))
def test_more_lines_than_allowed_are_refused(n):
    with pytest.raises(ValidationError, match=f"最多登记{FINDINGS_MAX}个"):
        findings_parse("\n".join(f"问题{i}" for i in range(n)))


def test_a_full_width_colon_and_a_long_text_before_a_colon():
    assert findings_parse("成效巩固：收入下降") == [("成效巩固", "收入下降")]
    # A colon after a long text is part of the problem, not a category.
    assert findings_parse("村里的公示栏内容过期:2025年") == [
        (DEFAULT_CATEGORY, "村里的公示栏内容过期:2025年")
    ]


def test_a_category_without_a_problem_is_refused():
    with pytest.raises(ValidationError, match="第1行只有类别"):
        findings_parse("责任落实:")
