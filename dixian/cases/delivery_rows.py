"""A delivery's rows about the viewer's own households (docs/security.md §3).

Every piece of department evidence names the delivery and row it came from; the county that owns a
household may open that delivery and see what it said about its households (and nothing about anybody
else's). A row is about a household of the viewer when its ID number is a registry person of a household
the viewer may see, or when probabilistic linkage tied its record to one (automatic or accepted link);
rows of a feed keyed by village (饮水) when the village is inside the viewer's region. Shown masked as the
evidence rows are (`cases.evidence_rows`): ID numbers and phones per `common.masking`, health feeds hidden
without the personal-data right, birth dates and free text withheld without it.
"""
# ruff: noqa: S608 - the SQL here is built from the catalogue's field names and the quoted file path.

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb

from dixian.common.access import user_prefix
from dixian.common.masking import health_feed_hidden, id_number_shown, phone_shown
from dixian.domain import catalogue
from dixian.domain.idnumber import normalised_id
from dixian.domain.records import record_key_sql
from dixian.feeds.ingest import SOURCE_ROW
from dixian.feeds.models import FeedDelivery, LinkCandidate
from dixian.registry.models import Person
from dixian.registry.selectors import household_scope_for_user

from .evidence_rows import _quoted, _text
from .models import AlertEvidence, UnmatchedRecord

if TYPE_CHECKING:
    from dixian.accounts.models import User

MAX_ROWS = 500
BATCH = 5_000
# Values withheld without the personal-data right: what would rebuild a masked ID number (a birth date)
# and free text a person wrote (docs/security.md §1).
WITHHELD = frozenset({"birth_date", "summary", "disease", "hospital"})
WITHHELD_TEXT = "***"


@dataclass
class DeliveryRows:
    headers: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)  # row (number), key, household, cells
    hidden: bool = False
    problem: str = ""
    truncated: bool = False


def _person_id(raw: object) -> str:
    """The number a row links by as the engine has it: cleaned, a 15-digit one upgraded (docs/feeds.md §五)."""
    text = str(raw).strip().upper()
    return normalised_id(text) or text


def delivery_visible(user: User, delivery: FeedDelivery) -> bool:
    """Whether the account may open the delivery's rows page: the delivery's region and the account's
    overlap, or evidence or a listed record of the delivery lies in the account's region."""
    prefix = user_prefix(user)
    if prefix is None:
        return False
    theirs = delivery.region.prefix
    if prefix.startswith(theirs) or theirs.startswith(prefix):
        return True
    upper = prefix + "~"
    return (
        AlertEvidence.objects.filter(
            delivery=delivery, region_code__gte=prefix, region_code__lt=upper
        ).exists()
        or UnmatchedRecord.objects.filter(
            delivery=delivery, region_code__gte=prefix, region_code__lt=upper
        ).exists()
    )


def delivery_rows_for(user: User, delivery: FeedDelivery, *, pii: bool) -> DeliveryRows:
    """The delivery's rows about households `user` may see (first MAX_ROWS), masked for `pii`."""
    if health_feed_hidden(delivery.feed, pii=pii):
        return DeliveryRows(hidden=True)
    try:
        spec = catalogue.feed(delivery.feed)
    except KeyError:
        return DeliveryRows(problem="报送的数据类型不在数据目录中。")
    path = delivery.rows_path
    if path is None or not path.is_file():
        return DeliveryRows(problem="该次报送没有可查看的数据(已拒收,或数据文件已被移走)。")
    households = household_scope_for_user(user).values("pk")
    linked = dict(
        LinkCandidate.objects.filter(
            delivery=delivery,
            status__in=[LinkCandidate.Status.AUTO, LinkCandidate.Status.ACCEPTED],
            person__household__in=households,
        ).values_list("record_key", "person__household__household_no")
    )
    prefix = user_prefix(user) or "\x00"
    out = DeliveryRows()
    con = duckdb.connect()
    try:
        source = f"read_parquet({_quoted(path)})"
        present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        columns = [c for c in spec.columns if c.field in present]
        missing = [name for name in spec.record_key if name not in present]
        extra = "".join(f", CAST(NULL AS VARCHAR) AS {name}" for name in missing)
        row_sql = f"CAST({SOURCE_ROW} AS BIGINT)" if SOURCE_ROW in present else "CAST(NULL AS BIGINT)"
        select = ", ".join(f'"{c.field}"' for c in columns)
        cursor = con.execute(
            f"SELECT {select}, {record_key_sql(spec)} AS __key, {row_sql} AS __row "
            f"FROM (SELECT *{extra} FROM {source}) ORDER BY __row NULLS LAST, __key"
        )
        position = {c.field: j for j, c in enumerate(columns)}
        out.headers = [c.header for c in columns]
        while not out.truncated and (batch := cursor.fetchmany(BATCH)):
            found: dict[str, str] = {}
            if "id_number" in position:
                ids = {_person_id(v[position["id_number"]]) for v in batch if v[position["id_number"]]}
                found = dict(
                    Person.objects.filter(id_number__in=ids, household__in=households).values_list(
                        "id_number", "household__household_no"
                    )
                )
            for values in batch:
                key = str(values[-2])
                if "id_number" in position:
                    raw_id = values[position["id_number"]]
                    household = found.get(_person_id(raw_id)) if raw_id else None
                    household = household or linked.get(key)
                elif "village_code" in position:
                    code = str(values[position["village_code"]] or "")
                    household = "" if code.startswith(prefix) else None
                else:
                    household = None
                if household is None:
                    continue
                if len(out.rows) >= MAX_ROWS:
                    out.truncated = True
                    break
                out.rows.append(
                    {
                        "row": values[-1],
                        "key": key,
                        "household": household,
                        "cells": list(
                            zip(out.headers, _cells(columns, values[: len(columns)], pii=pii), strict=True)
                        ),
                    }
                )
    except duckdb.Error:
        return DeliveryRows(problem="该次报送的数据文件无法读取,请联系管理员。")
    finally:
        con.close()
    return out


def _cells(columns: list[catalogue.FeedColumn], values: tuple[Any, ...], *, pii: bool) -> list[str]:
    cells = []
    for col, value in zip(columns, values, strict=True):
        text = _text(value)
        if col.type == catalogue.ID:
            text = id_number_shown(text, pii=pii)
        elif col.field == "phone":
            text = phone_shown(text, pii=pii)
        elif col.field in WITHHELD and text and not pii:
            text = WITHHELD_TEXT
        cells.append(text)
    return cells
