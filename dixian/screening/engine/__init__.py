"""The screening engine: plain DuckDB / Spark SQL over Arrow tables, Polars frames or Parquet files.

It never imports Django (a test guards this): Django code loads the inputs, calls `screen`, and stores
the alerts in bulk.
"""

from __future__ import annotations

from .core import (
    ALERT_SCHEMA,
    CASE_EVIDENCE_SCHEMA,
    UNMATCHED_SCHEMA,
    ScreeningInputError,
    ScreeningResult,
    compile_template,
    parse_period,
    screen,
    select_versions,
)
from .rules import DEFAULT_RULES, Escalation, RuleVersion, default_rules

__all__ = [
    "ALERT_SCHEMA",
    "CASE_EVIDENCE_SCHEMA",
    "DEFAULT_RULES",
    "UNMATCHED_SCHEMA",
    "Escalation",
    "RuleVersion",
    "ScreeningInputError",
    "ScreeningResult",
    "compile_template",
    "default_rules",
    "parse_period",
    "screen",
    "select_versions",
]
