"""Feed records as the platform names them: the record key, and why a record matched nobody (应纳未纳).

The screening engine keys and links feed rows with these; the feeds app stores linkage decisions and the
cases app finds an alert's evidence rows by the same key, so all three build it from one function.
"""

from __future__ import annotations

from .catalogue import Feed


def record_key_sql(feed: Feed, alias: str = "") -> str:
    """The record key from the columns as delivered: a re-sent row repeats them exactly.

    One column as text, or several joined with "|" (SQL that DuckDB and Spark both run).
    """
    parts = [f"coalesce(CAST({alias}{name} AS STRING), '')" for name in feed.record_key]
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
