"""The negative list (负面清单) in force on a day (docs/domain.md §22).

The city keeps versions (`NegativeListVersion`); a payment is checked against the newest version whose
`valid_from` is on or before the payment's date. Before the city has saved any version (a new installation),
the default list of `dixian.domain.funds` is in force.
"""

from __future__ import annotations

from datetime import date

from dixian.domain import funds as fd

from .models import NegativeListItem, NegativeListVersion


def version_on(day: date) -> NegativeListVersion | None:
    return NegativeListVersion.objects.filter(valid_from__lte=day).order_by("-valid_from", "-number").first()


def negative_list_on(day: date) -> dict[str, str]:
    """use category → the rule that forbids it, as in force on `day`."""
    version = version_on(day)
    if version is None:
        # No version yet, or every saved one starts later: the default list holds until the first of them.
        return dict(fd.DEFAULT_NEGATIVE_LIST)
    return dict(NegativeListItem.objects.filter(version=version).values_list("use_category", "rule"))


def negative_lists_between(first: date, last: date) -> list[tuple[date, dict[str, str]]]:
    """Every list in force between `first` and `last`, as (from, list) in date order: a bulk import checks
    each payment against the one of its date without a query per row."""
    lists: list[tuple[date, dict[str, str]]] = [(date.min, dict(fd.DEFAULT_NEGATIVE_LIST))]
    versions = list(NegativeListVersion.objects.filter(valid_from__lte=last).order_by("valid_from", "number"))
    items: dict[int, dict[str, str]] = {v.pk: {} for v in versions}
    for vid, code, rule in NegativeListItem.objects.filter(version__in=versions).values_list(
        "version_id", "use_category", "rule"
    ):
        items[vid][code] = rule
    for v in versions:
        if lists and lists[-1][0] == v.valid_from:
            lists[-1] = (v.valid_from, items[v.pk])
        else:
            lists.append((v.valid_from, items[v.pk]))
    # Keep the one in force on `first` and the later ones.
    start = max((i for i, (since, _) in enumerate(lists) if since <= first), default=0)
    return lists[start:]
