"""Level and parent of a unit read from its 12-digit statistical division code (docs/domain.md §19)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dixian.regions.loading import code_level, code_parent
from dixian.regions.models import Region

ORDER = ("province", "city", "county", "township", "village")
SIGNIFICANT = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("360000000000", "province", None),
        ("360400000000", "city", "360000000000"),
        ("360424000000", "county", "360400000000"),
        ("360424100000", "township", "360424000000"),
        ("360424100201", "village", "360424100000"),
        ("360424100001", "village", "360424100000"),  # 社区 001
        ("360424001000", "township", "360424000000"),  # 街道 001
    ],
)
def test_examples(code, level, parent):
    assert code_level(code) == level and code_parent(code) == parent


@given(st.text(alphabet="0123456789", min_size=12, max_size=12).filter(lambda c: c[:2] != "00"))
def test_a_parent_is_one_level_up_and_a_prefix_of_the_code(code):
    level = code_level(code)
    parent = code_parent(code)
    if level == "province":
        assert parent is None
        return
    assert parent is not None and len(parent) == 12
    # One level up, unless the code skips a level (a village with township digits 000), which the
    # plan refuses (test_region_table.py).
    assert ORDER.index(code_level(parent)) < ORDER.index(level)
    assert code.startswith(parent[: SIGNIFICANT[code_level(parent)]])
    # Significant digits of the platform's levels are the prefixes region scoping uses.
    if level in Region.PREFIX_LENGTH:
        assert code[Region.PREFIX_LENGTH[level] :] == "0" * (12 - Region.PREFIX_LENGTH[level])
