"""Feed records as the platform names them: the record key, and why a record matched nobody (应纳未纳).

The screening engine keys and links feed rows with these; the feeds app stores linkage decisions and the
cases app finds an alert's evidence rows by the same key, so all three build it from one function.
"""

from __future__ import annotations

import re

from .catalogue import Feed
from .idnumber import ID18_PATTERN, DuckDBRegex, RegexDialect, clean_id_sql, normalised_id, normalised_id_sql


def key_id_sql(expr: str, d: RegexDialect | None = None) -> str:
    """The ID number as a record key holds it (docs/feeds.md §五): as sent when it is a clean 18-character
    number (nearly all, and every key stored before keys were normalised); otherwise cleaned of spaces,
    full-width digits and a lower-case x, an old 15-digit number upgraded; as sent when it is not a number
    at all (3.60424E+17). A record re-sent with its number cleaned up is then the same record."""
    d = d or DuckDBRegex()
    return (
        f"CASE WHEN {d.full_match(expr, ID18_PATTERN)} THEN {expr} "
        f"ELSE coalesce({normalised_id_sql(d, clean_id_sql(expr))}, {expr}) END"
    )


def key_id(raw: str) -> str:
    """`key_id_sql` per number (the data migration of stored keys; the tests hold the two together)."""
    if re.fullmatch(ID18_PATTERN, raw):
        return raw
    return normalised_id(raw) or raw


def record_key(feed: Feed, values: dict[str, object]) -> str:
    """`record_key_sql` per record, from the delivered values (None for an empty or missing column)."""
    parts = [
        ""
        if values.get(name) is None
        else key_id(str(values[name]))
        if name == "id_number"
        else str(values[name])
        for name in feed.record_key
    ]
    return "|".join(parts)


def rekeyed(feed: Feed, stored: str) -> str:
    """A record key stored before keys were normalised, as it reads now (unchanged when it cannot be split)."""
    if "id_number" not in feed.record_key or len(feed.record_key) == 1:
        return key_id(stored) if feed.record_key == ("id_number",) else stored
    parts = stored.split("|")
    if len(parts) != len(feed.record_key):
        return stored
    i = feed.record_key.index("id_number")
    parts[i] = key_id(parts[i]) if parts[i] else ""
    return "|".join(parts)


def key_columns_sql(feed: Feed, alias: str = "", d: RegexDialect | None = None) -> list[str]:
    """The record key's columns as SQL expressions, the ID number as `key_id_sql` has it."""
    return [
        key_id_sql(f"{alias}{name}", d) if name == "id_number" else f"{alias}{name}"
        for name in feed.record_key
    ]


def delivered_key_sql(feed: Feed, alias: str = "") -> str:
    """The record key as it was built before keys held the normalised ID number: the columns exactly as
    delivered. Evidence stored then names its rows this way."""
    parts = [f"coalesce(CAST({alias}{name} AS STRING), '')" for name in feed.record_key]
    return parts[0] if len(parts) == 1 else f"concat_ws('|', {', '.join(parts)})"


def record_key_sql(feed: Feed, alias: str = "", d: RegexDialect | None = None) -> str:
    """The record key from the columns as delivered: a re-sent row repeats them exactly, but for the ID
    number, which is normalised (`key_id_sql`).

    One column as text, or several joined with "|" (SQL that DuckDB and Spark both run; `d` the dialect of
    the regular expressions, DuckDB's by default).
    """
    parts = [f"coalesce(CAST({c} AS STRING), '')" for c in key_columns_sql(feed, alias, d)]
    return parts[0] if len(parts) == 1 else f"concat_ws('|', {', '.join(parts)})"


# Why a feed record matched no registered person (the problem codes of the 应纳未纳 list).
PROBLEMS: dict[str, str] = {
    "missing": "证件号码缺失",
    "scientific": "证件号码被表格软件转成了科学计数法,末位已丢失",
    "invalid": "证件号码格式无法识别",
    "checksum": "证件号码校验位错误",
    "not_found": "证件号码在农户信息库中不存在",
    "link_not_found": "概率匹配给出的证件号码在农户信息库中不存在",
    "village_not_found": "行政村代码在农户信息库中没有农户",
    # Not found by the engine: a record about a household outside the region of the delivery that sent it,
    # kept out of alerts and listed for the household's county (docs/security.md §3).
    "out_of_region": "外地记录,待核实:报送单位的数据范围不含该户",
}
