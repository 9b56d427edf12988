"""Shortcuts for the engine tests: run a screening, look up an alert."""

from __future__ import annotations

from typing import Any

from dixian.screening.engine import ScreeningResult, default_rules, screen
from dixian.screening.engine.rules import RuleVersion, rule_by_id

PERIOD = "2026-10"


def run(
    registry: dict[str, Any],
    feeds: dict[str, Any],
    *,
    rules: list[RuleVersion] | None = None,
    only: str | None = None,
    period: str = PERIOD,
    **kwargs: Any,
) -> ScreeningResult:
    """Screen with the default rules (or `rules`); `only` keeps one rule id."""
    chosen = list(rules if rules is not None else default_rules())
    if only:
        chosen = [r for r in chosen if r.rule_id == only]
    return screen(registry, feeds, chosen, period, **kwargs)


def alerts(result: ScreeningResult) -> dict[tuple[str, str], dict[str, Any]]:
    return {(a["household_no"], a["risk_code"]): a for a in result.alerts.to_pylist()}


def evidence_of(result: ScreeningResult, rule_id: str) -> list[dict[str, Any]]:
    return [
        dict(e, household_no=a["household_no"], risk_code=a["risk_code"])
        for a in result.alerts.to_pylist()
        for e in a["evidence"]
        if e["rule_id"] == rule_id
    ]


def rule(rule_id: str) -> RuleVersion:
    return rule_by_id(rule_id)
