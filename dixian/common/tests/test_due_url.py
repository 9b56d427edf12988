"""url_for_each (dixian/common/due.py) gives exactly what reverse() gives, for every arg (docs/domain.md §29)."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from dixian.common.due import url_for_each


@settings(deadline=None)  # the first call loads the URLconf
@given(pk=st.integers(min_value=0, max_value=10**12))
def test_a_primary_key_gives_reverses_url(pk: int) -> None:
    assert url_for_each("rectification:finding_detail")(pk) == reverse(
        "rectification:finding_detail", args=[pk]
    )


@pytest.mark.parametrize("code", ["360402101201", "3604", "0001", "36 04", "乡镇", "3604?x", "٣٦٠٤"])
def test_a_code_gives_reverses_url(code: str) -> None:
    assert url_for_each("environment:weekly_form")(code) == reverse("environment:weekly_form", args=[code])


def test_the_marker_is_not_left_in_the_url() -> None:
    url = url_for_each("supervision:visit_detail")(7)
    assert url == reverse("supervision:visit_detail", args=[7])
    assert "9876543210123" not in url


def test_an_arg_reverse_refuses_is_refused_alike() -> None:
    with pytest.raises(NoReverseMatch):
        reverse("environment:weekly_form", args=["a/b"])
    with pytest.raises(NoReverseMatch):
        url_for_each("environment:weekly_form")("a/b")
