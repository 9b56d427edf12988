"""The Chinese labels of the registry's code lists, as the workbook writer wants them (field → code → label):
the official labels of the national dictionaries (dixian/domain/dictionaries.py, docs/domain.md §18).
"""

from __future__ import annotations

from dixian.domain import dictionaries as d

# Every national dictionary but 民族, which the registry stores as its label already.
FIELDS = tuple(name for name in d.DICTIONARIES if name != "ethnicity")


def registry_labels() -> dict[str, dict[object, str]]:
    return {field: {code: label for code, label in d.DICTIONARIES[field].labels.items()} for field in FIELDS}
