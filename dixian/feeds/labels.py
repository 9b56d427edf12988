"""How feed records and deliveries read on a page: the feed's Chinese name, the period as 2026年10月, and a
record key as its labelled parts.

Record keys are stored as the delivered columns joined with "|" (docs/feeds.md, record keys); the stored form
is what deduplication compares, and people read the parts with the catalogue's headers instead.
"""

from __future__ import annotations

import re

from dixian.domain import catalogue

PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
KEY_SEPARATOR = "|"


def period_label(period: str) -> str:
    """'2026-10' → '2026年10月'; anything else is shown as it is."""
    match = PERIOD.match(period or "")
    if match is None:
        return period or ""
    return f"{match.group(1)}年{int(match.group(2))}月"


def feed_label(code: str) -> str:
    """'medical' → '医保局医保结算'; an unknown code is shown as it is."""
    try:
        spec = catalogue.feed(code)
    except KeyError:
        return code
    return f"{spec.department}{spec.name}"


def record_key_text(code: str, key: str) -> str:
    """A record key (as the account may see it) with each part named by its column header:
    '姓名 张三 · 证件号码 3604**********0011 · 确诊日期 2026-03-05'. A key whose parts do not match the
    feed's record-key columns (a masked health record's notice, an unknown feed) is shown as it is."""
    try:
        spec = catalogue.feed(code)
    except KeyError:
        return key
    parts = key.split(KEY_SEPARATOR) if len(spec.record_key) > 1 else [key]
    if not key or len(parts) != len(spec.record_key):
        return key
    return " · ".join(
        f"{spec.column(name).header} {value}"
        for name, value in zip(spec.record_key, parts, strict=True)
        if value
    )
