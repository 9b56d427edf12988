"""docs/rules.md describes the shipped rules exactly as rules.py defines them, so the two cannot drift."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dixian.feeds import catalogue
from dixian.screening.engine import logic, rules

DOC = Path(__file__).resolve().parents[3] / "docs" / "rules.md"


def _sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    return {part.split()[0]: part for part in parts}


def _row(section: str, label: str) -> str:
    return next(line for line in section.splitlines() if line.startswith(f"| {label} | "))


def test_the_document_has_one_section_per_shipped_rule_and_no_other_rule():
    documented = [key for key in _sections() if re.fullmatch(r"R\d\d", key)]
    assert documented == [rule.rule_id for rule in rules.DEFAULT_RULES]


@pytest.mark.parametrize("rule", rules.DEFAULT_RULES, ids=lambda r: r.rule_id)
def test_a_rule_section_gives_the_code_name_feeds_risk_and_grades(rule):
    section = _sections()[rule.rule_id]
    assert section.splitlines()[0] == f"{rule.rule_id} {rule.name}"
    feeds = _row(section, "feeds")
    for code in rule.feeds:
        assert f"`{code}` ({catalogue.feed(code).department} · {catalogue.feed(code).name})" in feeds
    if not rule.feeds:
        assert "none (the registry" in feeds
    assert re.findall(r"`(\w+)` \(", feeds) == list(rule.feeds)
    risk = _row(section, "risk")
    assert risk.startswith(f"| risk | `{rule.risk_code}` {rules.RISK_TYPES[rule.risk_code].name}")
    grade = _row(section, "grade")
    assert grade.startswith(f"| grade | {rule.grade}"), grade
    for escalation in rule.escalations:
        assert f"{escalation.grade} when" in grade and f"(`{escalation.when}`)" in grade, grade
        assert f"Escalation note ({escalation.grade}): `{escalation.note}`" in section
    assert ("Escalation note" in section) == bool(rule.escalations)
    assert re.search(r"docs/domain\.md §\d+", _row(section, "implements"))


@pytest.mark.parametrize("rule", rules.DEFAULT_RULES, ids=lambda r: r.rule_id)
def test_a_rule_section_lists_every_parameter_with_its_default(rule):
    section = _sections()[rule.rule_id]
    documented = re.findall(r"^- `(\w+)` = ", section, flags=re.MULTILINE)
    documented += re.findall(r"^- `\w+` = \S+ and `(\w+)` = ", section, flags=re.MULTILINE)
    assert sorted(documented) == sorted(rule.params)
    for key, value in rule.params.items():
        shown = json.dumps(value, ensure_ascii=False)
        assert f"`{key}` = {shown}" in section, (key, shown)


@pytest.mark.parametrize("rule", rules.DEFAULT_RULES, ids=lambda r: r.rule_id)
def test_a_rule_section_quotes_the_reason_template_and_the_logics_placeholders(rule):
    section = _sections()[rule.rule_id]
    assert f"```\n{rule.template}\n```" in section
    placeholders = logic.LOGICS[rule.logic].placeholders
    line = next(para for para in section.split("\n\n") if para.startswith("Logic placeholders:"))
    assert re.findall(r"`\{(\w+)\}`", line) == list(placeholders)
    example = next(line for line in section.splitlines() if line.startswith("As users read it: "))
    assert "{" not in example
    assert f"(规则 {rule.rule_id} 第{rule.version}版)" in example


def test_the_grade_deadlines_in_the_document_are_the_engines():
    section = _sections()["§1"]
    for grade, days in rules.GRADE_DAYS.items():
        assert f"| {grade} | {days} days |" in section
