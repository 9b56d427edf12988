"""What the registry tells the apps above it (docs/architecture.md): registry sits below feeds, cases,
declarations and visits, so it sends signals instead of importing them; each app connects its handler in
AppConfig.ready().
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.dispatch import Signal

from dixian.regions.models import Region

# Households moved to another village (or group): their records in the apps above must follow, because
# scoping follows the household, not a copy of its old code (docs/security.md §4). Sent inside the
# transaction of the move with `moves` ({household pk: its new Region}). Each receiver updates its copies
# in that same transaction (so nothing is ever half-moved) and returns {household pk: {label: [pks]}}, the
# rows it moved, which the registry names in the move's change-log row.
household_moved = Signal()

# Persons moved to a household of another village (分户、合户、婚迁 or an import): records kept per person
# follow them. Sent inside the transaction of the move with `moves` ({person pk: the new region code}) and
# `left` ({person pk: the household it left}; the bulk import writes without model signals, so a receiver
# cannot read the old household any more).
person_moved = Signal()


# Households the registry import names as already monitored by the national system (监测对象类别 with its
# 识别时间). Sent inside the import's transaction with `households` ({household pk: (识别时间, 监测对象类别)})
# and `actor`; monitoring connects it and opens each a case in 监测帮扶中 with that history (docs/domain.md
# §20), in the same transaction.
households_imported_monitored = Signal()


def moves_by_region(moves: Mapping[int, Region]) -> list[tuple[Region, list[int]]]:
    """The moved pks grouped by their new region (one UPDATE per region and model), in a stable order."""
    regions: dict[int, Region] = {}
    pks: dict[int, list[int]] = defaultdict(list)
    for pk, region in moves.items():
        regions[region.pk] = region
        pks[region.pk].append(pk)
    return [(regions[rid], sorted(pks[rid])) for rid in sorted(regions)]


def region_village(region: Region) -> Region:
    """The village that must check a household's alerts: its group's village for a 组."""
    if region.level == Region.Level.GROUP and region.parent is not None:
        return region.parent
    return region


def moved_rows(rows: Iterable[tuple[int, int | None]], label: str) -> dict[int, dict[str, list[int]]]:
    """{household or person pk: {label: [row pks]}} from (row pk, owner pk) pairs: a receiver's answer."""
    out: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for pk, owner in rows:
        if owner is not None:
            out[owner].setdefault(label, []).append(pk)
    return dict(out)
