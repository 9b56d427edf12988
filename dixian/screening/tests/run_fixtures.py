"""Feed deliveries for the screening-run tests: canonical Parquet files stored as FeedDelivery rows."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.utils import timezone

from dixian.domain import catalogue
from dixian.feeds.models import FeedDelivery
from dixian.regions.models import Region
from dixian.registry.models import Person

PERIOD = "2026-10"
_ARROW = {
    catalogue.TEXT: pa.string(),
    catalogue.ID: pa.string(),
    catalogue.CHOICE: pa.string(),
    catalogue.DATE: pa.date32(),
    catalogue.MONEY: pa.decimal128(18, 2),
    catalogue.INT: pa.int32(),
}


def canonical_table(feed_code: str, rows: list[dict[str, Any]]) -> pa.Table:
    """The rows as the delivery importer stores them: the catalogue's field names (the delivered ones plus
    the required ones), typed; money as decimal(18,2)."""
    spec = catalogue.feed(feed_code)
    present = {k for row in rows for k in row}
    fields = [c for c in spec.columns if c.required or c.field in present]
    columns = {}
    for col in fields:
        values = [row.get(col.field) for row in rows]
        if col.type == catalogue.MONEY:
            values = [None if v is None else Decimal(str(v)).quantize(Decimal("0.01")) for v in values]
        columns[col.field] = pa.array(values, _ARROW[col.type])
    return pa.table(columns)


def deliver(
    feed_code: str,
    rows: list[dict[str, Any]],
    *,
    region: Region,
    source: Any = None,
    period: str = PERIOD,
    linked: bool = True,
    status: str = FeedDelivery.Status.ACCEPTED,
) -> FeedDelivery:
    """An accepted delivery of `rows` (linked_at set unless `linked=False`)."""
    table = canonical_table(feed_code, rows)
    folder = Path(settings.DATA_DIR) / "feeds"
    folder.mkdir(parents=True, exist_ok=True)
    checksum = hashlib.sha256(repr((feed_code, period, rows)).encode()).hexdigest()
    path = folder / f"{feed_code}-{checksum[:16]}.parquet"
    pq.write_table(table, path)
    return FeedDelivery.objects.create(
        feed=feed_code,
        period=period,
        channel=FeedDelivery.Channel.API if source else FeedDelivery.Channel.GENERATED,
        source=source,
        region=region,
        file_name=path.name,
        checksum=checksum,
        row_count=table.num_rows,
        rows_file=str(path),
        status=status,
        linked_at=timezone.now() if linked else None,
    )


def medical_row(person: Person | None, key: str, out_of_pocket: float, **extra: Any) -> dict[str, Any]:
    row = {
        "settlement_no": key,
        "name": person.name if person else extra.pop("name", "赵六"),
        "id_number": person.id_number if person else extra.pop("id_number", None),
        "visit_type": "住院",
        "settlement_date": dt.date(2026, 9, 15),
        "total_cost": out_of_pocket * 2,
        "out_of_pocket": out_of_pocket,
    }
    row.update(extra)
    return row


def major_illness_row(person: Person, disease: str = "恶性肿瘤") -> dict[str, Any]:
    return {
        "name": person.name,
        "id_number": person.id_number,
        "disease": disease,
        "diagnosis_date": dt.date(2026, 10, 8),
    }


def head(household: Any) -> Person:
    return Person.objects.get(household=household, relation="head")
