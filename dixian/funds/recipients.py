"""Who may still receive a share of an asset's income (docs/domain.md §9 and §22): a person who died or left
receives nothing from the month after.

Two sources say that a person is gone:

- the 公安 feed `civil_registry` (户籍变动): rows of 死亡 / 迁出 / 迁入 with their 变动日期. The accepted
  deliveries keep their rows in Parquet (dixian/feeds/services.py), with the ID number normalised once in
  `NORMALISED_ID_COLUMN`; we read only the rows of the recipients' ID numbers, from the live deliveries, the
  way screening reads them (dixian/screening/loading.py `deliveries_for`). No copy of the feed is kept here:
  a delivery accepted tomorrow is seen tomorrow.
- the registry: a person moved to another household is no longer in the household the share was paid to;
  the move's change-log row (`ChangeLog` action MOVE on the old household) gives the day.

A 迁出 followed by a later 迁入 (the person came back) is not a departure. A death is final.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from django.utils import timezone

from dixian.common.models import ChangeLog
from dixian.domain.idnumber import normalised_id
from dixian.domain.records import NORMALISED_ID_COLUMN
from dixian.feeds.models import FeedDelivery

DEATH, MOVED_OUT, MOVED_IN = "死亡", "迁出", "迁入"
FEED = "civil_registry"


@dataclass(frozen=True)
class Departure:
    on: dt.date
    why: str  # 死亡 / 迁出 (公安户籍变动) / 迁出本户 (农户信息库)

    @property
    def last_period(self) -> str:
        """The last month the person may receive a share: the month of the death or departure."""
        return f"{self.on:%Y-%m}"

    @property
    def first_stopped(self) -> str:
        """The first month without a share (docs/domain.md §9: stopped the month after)."""
        year, month = (self.on.year, self.on.month + 1) if self.on.month < 12 else (self.on.year + 1, 1)
        return f"{year:04d}-{month:02d}"

    def stops(self, period: str) -> bool:
        return period > self.last_period

    def text(self, name: str) -> str:
        return (
            f"领取人{name}已于{self.on:%Y年%m月%d日}{self.why},自{self.first_stopped[:4]}年"
            f"{int(self.first_stopped[5:])}月起不再领取收益"
        )


def _live_rows_files() -> list[Path]:
    deliveries = (
        FeedDelivery.objects.filter(
            feed=FEED, status__in=[FeedDelivery.Status.ACCEPTED, FeedDelivery.Status.SCREENED]
        )
        .exclude(rows_file="")
        .order_by("created_at", "id")
    )
    return [p for d in deliveries if (p := d.rows_path) is not None and p.exists()]


def _events(path: Path, wanted: list[str]) -> pl.DataFrame:
    frame = pl.scan_parquet(path)
    names = frame.collect_schema().names()
    # A delivery stored before the normalised column existed: normalise its numbers here (docs of
    # dixian/domain/records.py NORMALISED_ID_COLUMN).
    key = (
        pl.col(NORMALISED_ID_COLUMN)
        if NORMALISED_ID_COLUMN in names
        else pl.col("id_number").map_elements(normalised_id, return_dtype=pl.String)
    )
    return (
        frame.select(key.alias("id"), pl.col("change_type"), pl.col("change_date").cast(pl.Date))
        .filter(pl.col("id").is_in(wanted) & pl.col("change_date").is_not_null())
        .collect()
    )


def civil_registry_departures(id_numbers: Iterable[str]) -> dict[str, Departure]:
    """Normalised ID number → the person's death or (lasting) departure, per the accepted 公安 deliveries."""
    wanted = sorted({n for raw in id_numbers if raw and (n := normalised_id(raw))})
    if not wanted:
        return {}
    files = _live_rows_files()
    if not files:
        return {}
    events = pl.concat([_events(p, wanted) for p in files])
    out: dict[str, Departure] = {}
    by_id: dict[str, list[tuple[dt.date, str]]] = {}
    for key, kind, day in events.iter_rows():
        by_id.setdefault(key, []).append((day, kind))
    for key, rows in by_id.items():
        deaths = [day for day, kind in rows if kind == DEATH]
        if deaths:
            out[key] = Departure(min(deaths), "死亡")
            continue
        outs = [day for day, kind in rows if kind == MOVED_OUT]
        ins = [day for day, kind in rows if kind == MOVED_IN]
        if outs and (not ins or max(outs) > max(ins)):
            # The first departure after the last return: the person has been away since then.
            last_in = max(ins) if ins else dt.date.min
            out[key] = Departure(min(day for day in outs if day > last_in), "户籍迁出")
    return out


def registry_departures(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Departure]:
    """(person pk, household pk) → when the person left that household, for persons now in another one.

    The day is that of the latest move out of the household in the change log (registry `person_move`)."""
    wanted = set(pairs)
    if not wanted:
        return {}
    persons = {p for p, _ in wanted}
    households = {h for _, h in wanted}
    moves = ChangeLog.objects.filter(
        entity="person",
        action=ChangeLog.Action.MOVE,
        entity_id__in=persons,
        household_id__in=households,
    ).values_list("entity_id", "household_id", "at", "changes")
    out: dict[tuple[int, int], Departure] = {}
    for person, household, at, changes in moves:
        moved = (changes or {}).get("household") or []
        # The row of the old household: its change names the old household first.
        if household is None or (person, household) not in wanted or not moved or moved[0] != household:
            continue
        day = timezone.localdate(at)
        known = out.get((person, household))
        if known is None or known.on < day:
            out[(person, household)] = Departure(day, "迁出本户")
    return out
