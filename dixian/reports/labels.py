"""What a breakdown's values are called on a page or in a workbook (docs/domain.md §21).

A fact's dim stores codes ("kind=ex_poor", "risk=01", "feed=medical"); a breakdown table shows their
names from the vocabulary. A value no dictionary knows is shown as it is stored (an old code, or a
dimension whose producer names its values itself).
"""

from __future__ import annotations

from collections.abc import Callable

from dixian.domain import catalogue, dictionaries, risks


def _feed_name(code: str) -> str:
    feed = catalogue.FEEDS_BY_CODE.get(code)
    return feed.name if feed is not None else code


DIM_NAMES: dict[str, Callable[[str], str]] = {
    "kind=": lambda v: dictionaries.HOUSEHOLD_KIND.get(v, v),
    "category=": lambda v: dictionaries.MONITORING_CATEGORY.get(v, v) or v,
    "risk=": risks.risk_name,
    "feed=": _feed_name,
}


def dim_label(prefix: str, value: str) -> str:
    """The name of `value` of the breakdown `prefix` ("risk=", "kind=" …)."""
    name = DIM_NAMES.get(prefix)
    return name(value) if name is not None else value
