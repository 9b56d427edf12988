"""docs/feeds.md, the document for departments, follows the catalogue."""

from __future__ import annotations

from pathlib import Path

from dixian.domain import catalogue

DOC = Path(__file__).resolve().parents[3] / "docs" / "feeds.md"


def test_the_departments_document_lists_every_feed_column_alias_and_allowed_value():
    text = DOC.read_text(encoding="utf-8")
    sections = {part.split("`")[1]: part for part in text.split("\n### ")[1:]}
    for spec in catalogue.FEEDS:
        section = sections[spec.code]
        assert f"/api/v1/feeds/{spec.code}/deliveries" in section
        for col in spec.columns:
            lines = section.splitlines()
            row = next(line for line in lines if line.startswith(f"| {col.header} | `{col.field}`"))
            assert ("**是**" in row) == col.required, row
            for word in (*col.aliases, *col.choices):
                assert word in row, (spec.code, col.field, word)
