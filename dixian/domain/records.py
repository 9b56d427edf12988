"""Feed records as the platform names them: the record key, and why a record matched nobody (应纳未纳).

The screening engine keys and links feed rows with these; the feeds app stores linkage decisions and the
cases app finds an alert's evidence rows by the same key, so all three build it from one function.
"""

from __future__ import annotations

import re

from .catalogue import Feed
from .idnumber import (
    ID18_PATTERN,
    DuckDBRegex,
    RegexDialect,
    clean_id_sql,
    normalised_id,
    normalised_id_sql,
)

# The column a stored delivery (its canonical Parquet, dixian/feeds/services.py) keeps beside the ID number
# as delivered: the number normalised once when the delivery was received (`normalised_id`, vectorised as
# `idnumber.normalised_ids`: cleaned, a 15-digit number upgraded; null where it cannot be a number at all). The screening engine deduplicates and
# links by it instead of testing every row with a regular expression (docs/benchmarks.md, screening engine).
# A delivery stored before it has no such column and the engine computes it (`stored_id_sql`). A change to
# what `normalised_id` does must give the column a new name, so that files written before are recomputed.
NORMALISED_ID_COLUMN = "_id_normalised"


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


def stored_id_sql(expr: str, d: RegexDialect | None = None) -> str:
    """NORMALISED_ID_COLUMN computed in SQL, for deliveries stored without it: a clean 18-character number as
    it is (the one test nearly every row needs), the others cleaned and upgraded (`normalised_id_sql`)."""
    d = d or DuckDBRegex()
    return (
        f"CASE WHEN {d.full_match(expr, ID18_PATTERN)} THEN {expr} "
        f"ELSE {normalised_id_sql(d, clean_id_sql(expr))} END"
    )


def key_id_from_normalised_sql(normalised: str, id_number: str) -> str:
    """`key_id_sql` from the normalised number (NORMALISED_ID_COLUMN) and the number as delivered: the
    normalised one, else the number as sent (no regular expression: the normalising was done once)."""
    return f"coalesce({normalised}, {id_number})"


def key_columns_sql(
    feed: Feed, alias: str = "", d: RegexDialect | None = None, *, key_id: str | None = None
) -> list[str]:
    """The record key's columns as SQL expressions, the ID number as `key_id_sql` has it (`key_id`: an
    expression that gives the same, such as `key_id_from_normalised_sql`)."""
    return [
        (key_id or key_id_sql(f"{alias}{name}", d)) if name == "id_number" else f"{alias}{name}"
        for name in feed.record_key
    ]


def delivered_key_sql(feed: Feed, alias: str = "") -> str:
    """The record key as it was built before keys held the normalised ID number: the columns exactly as
    delivered. Evidence stored then names its rows this way."""
    parts = [f"coalesce(CAST({alias}{name} AS STRING), '')" for name in feed.record_key]
    return parts[0] if len(parts) == 1 else f"concat_ws('|', {', '.join(parts)})"


def record_key_sql(
    feed: Feed, alias: str = "", d: RegexDialect | None = None, *, key_id: str | None = None
) -> str:
    """The record key from the columns as delivered: a re-sent row repeats them exactly, but for the ID
    number, which is normalised (`key_id_sql`, or `key_id` as in `key_columns_sql`).

    One column as text, or several joined with "|" (SQL that DuckDB and Spark both run; `d` the dialect of
    the regular expressions, DuckDB's by default).
    """
    parts = [f"coalesce(CAST({c} AS STRING), '')" for c in key_columns_sql(feed, alias, d, key_id=key_id)]
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
