"""The feed rows behind a piece of department evidence, read from the delivery's Parquet file.

A delivery's rows are not in the database (feeds/models.py): they are a Parquet file of the catalogue's
field names. The evidence names its rows by record key, built exactly as the screening engine builds it
(`domain.records.record_key_sql`: one column as text, or several joined with "|"), so the same DuckDB
expression finds them again. Shown with the catalogue's Chinese headers; unless the account may see
personal data, ID numbers and phones are masked, the birth date reads as an age, a petition's summary as
"***" and numbers and dates in free text are masked (`common.masking.feed_value_shown`); health-related
feeds (医保, 大病, 残联) only with that right. A last column, 匹配方式, says how each row was linked to the
person (by its ID number, cleaned, upgraded from 15 digits, by a namesake one edit away, by probability, or
by a reviewer: `domain.linkmethods`, docs/feeds.md §五).
"""
# ruff: noqa: S608 - the SQL here is built from the catalogue's field names and the quoted file path; the
# record keys are bound parameters.

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from django.utils import timezone

from dixian.common.masking import birth_date_label, feed_value_shown, health_feed_hidden
from dixian.domain import catalogue, linkmethods
from dixian.domain.records import delivered_key_sql, record_key_sql
from dixian.feeds.models import LinkCandidate

if TYPE_CHECKING:
    from dixian.feeds.models import FeedDelivery

MAX_ROWS = 200
METHOD_HEADER = "匹配方式"


@dataclass
class EvidenceRows:
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    hidden: bool = False  # health data the account may not see
    problem: str = ""  # why the rows could not be read (Chinese, for the page)

    @property
    def labelled(self) -> list[list[tuple[str, str]]]:
        """Each row as (header, value) pairs: the phone layout labels every cell."""
        return [list(zip(self.headers, row, strict=True)) for row in self.rows]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def evidence_rows(delivery: FeedDelivery | None, record_keys: list[str], *, pii: bool) -> EvidenceRows:
    """The delivery's rows whose record key is one of `record_keys`, ready to show."""
    if delivery is None or not record_keys:
        return EvidenceRows(problem="这条证据没有对应的报送记录。")
    if health_feed_hidden(delivery.feed, pii=pii):
        return EvidenceRows(hidden=True)
    try:
        spec = catalogue.feed(delivery.feed)
    except KeyError:
        return EvidenceRows(problem="报送的数据类型不在数据目录中。")
    path = delivery.rows_path
    if path is None or not path.is_file():
        return EvidenceRows(problem="该次报送的数据文件不存在或已被移走,请联系管理员。")
    con = duckdb.connect()
    try:
        source = f"read_parquet({_quoted(path)})"
        present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        columns = [c for c in spec.columns if c.field in present]
        missing = [name for name in spec.record_key if name not in present]
        # Key columns a delivery left out are NULL, as the engine's canonical view has them.
        extra = "".join(f", CAST(NULL AS VARCHAR) AS {name}" for name in missing)
        select = ", ".join(f'"{c.field}"' for c in columns)
        marks = ", ".join("?" for _ in record_keys)
        raw_id = "id_number" if "id_number" in present else "CAST(NULL AS VARCHAR)"
        sql = (
            f"SELECT {select}, {record_key_sql(spec)} AS __key, {raw_id} AS __id "
            f"FROM (SELECT *{extra} FROM {source}) "
            # Evidence stored before keys held the normalised ID number names its rows as delivered.
            f"WHERE {record_key_sql(spec)} IN ({marks}) OR {delivered_key_sql(spec)} IN ({marks}) "
            f"LIMIT {MAX_ROWS}"
        )
        raw = con.execute(sql, [str(k) for k in record_keys] * 2).fetchall()
    except duckdb.Error:
        return EvidenceRows(problem="该次报送的数据文件无法读取,请联系管理员。")
    finally:
        con.close()
    rows: list[list[str]] = []
    today = timezone.localdate()
    methods = link_methods(delivery.feed, [(v[-2], v[-1]) for v in raw])
    for values in raw:
        row = []
        for col, value in zip(columns, values[:-2], strict=True):
            if pii:
                row.append(_text(value))
            else:
                # Masked by the column's kind: ID numbers and phones masked, the birth date as an age,
                # private values (a petition's summary, a diagnosis) as in the reason, numbers and dates in
                # free text masked (docs/security.md §1).
                kept = value if isinstance(value, dt.date) or value is None else _text(value)
                row.append(feed_value_shown(col.field, col.type, kept, pii=False, today=today))
        row.append(methods.get(values[-2], ""))
        rows.append(row)
    headers = [
        birth_date_label(pii=pii, dated=c.header) if c.field == "birth_date" else c.header for c in columns
    ]
    return EvidenceRows(headers=[*headers, METHOD_HEADER], rows=rows)


def link_methods(feed: str, records: list[tuple[str, str | None]]) -> dict[str, str]:
    """{record key: how the record links, in Chinese} for (record key, ID number as sent) pairs.

    As the screening engine links: a record the feed linkage placed (an automatic or accepted candidate)
    by that link, any other by its own ID number. One query for all the rows."""
    keys = sorted({k for k, _ in records})
    linked = {
        c.record_key: c.link_method.text
        for c in LinkCandidate.objects.filter(
            feed=feed,
            record_key__in=keys,
            status__in=[LinkCandidate.Status.AUTO, LinkCandidate.Status.ACCEPTED],
        ).only("record_key", "status", "method", "match_probability", "edit_kind", "edit_position")
    }
    out: dict[str, str] = {}
    for key, raw in records:
        if key in linked:
            out[key] = linked[key]
        else:
            code = linkmethods.exact_method(raw)
            out[key] = linkmethods.LinkMethod(code).text if code else ""
    return out
