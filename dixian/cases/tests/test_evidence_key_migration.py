"""Migration 0008: the department line's stored evidence keys are recomputed without the rule's version, as
a run now computes them, so that the next run after the upgrade adds none of the stored facts again."""

from __future__ import annotations

import importlib

import pyarrow as pa
import pytest
from django.apps import apps
from django.utils import timezone

from dixian.cases.models import Alert, AlertEvidence
from dixian.cases.services import evidence_dedup_key
from dixian.registry.testing import build_world
from dixian.screening.models import RuleVersion
from dixian.screening.store import DEPARTMENT, dedup_keys

pytestmark = pytest.mark.django_db

rekey = importlib.import_module("dixian.cases.migrations.0008_evidence_key_without_version").rekey


def _evidence(alert: Alert, version: RuleVersion | None, key: str, **fields: object) -> AlertEvidence:
    return AlertEvidence.objects.create(
        alert=alert,
        household=alert.household,
        region_code=alert.region_code,
        risk_code=alert.risk_code,
        channel=fields.pop("channel", DEPARTMENT),
        grade="橙",
        reason="…",
        rule_version=version,
        dedup_key=key,
        created_at=timezone.now(),
        **fields,
    )


def _run_key(household_pk: int, risk: str, rule: str, feed: str, keys: list[str]) -> str:
    """The key a run computes now (`store.dedup_keys`)."""
    table = pa.table(
        {
            "risk_code": [risk],
            "rule_id": [rule],
            "rule_version": pa.array([1], pa.int32()),
            "feed": [feed],
            "record_keys": pa.array([keys], pa.list_(pa.string())),
        }
    )
    return dedup_keys(table, pa.array([household_pk], pa.int64()))[0]


def test_stored_department_keys_become_the_keys_a_run_computes_and_other_lines_keep_theirs():
    world = build_world()
    home = world.home
    alert = Alert.objects.create(
        household=home,
        region=world.village,
        region_code=home.region_code,
        risk_code="01",
        grade="橙",
        grade_rank=2,
        reason="…",
        channels=[DEPARTMENT, "cadre_visit"],
        raised_at=timezone.now(),
        due_date=timezone.localdate(),
        last_evidence_at=timezone.now(),
    )
    r01 = RuleVersion.objects.get(rule__rule_id="R01", version=1)
    r01_v2 = RuleVersion.objects.create(
        rule=r01.rule, version=2, risk_code="01", grade="橙", template=r01.template, params=r01.params
    )
    r12 = RuleVersion.objects.get(rule__rule_id="R12", version=1)

    def old(version: RuleVersion, feed: str, keys: list[str]) -> str:
        rule = version.rule.rule_id
        return evidence_dedup_key(
            home.pk, "01", DEPARTMENT, rule, version.version, feed, "|".join(sorted(keys))
        )

    first = _evidence(
        alert, r01, old(r01, "medical", ["JS2", "JS1"]), feed="medical", record_keys=["JS2", "JS1"]
    )
    # The same fact found again by version 2 (what a new version did before): it keeps its old key.
    second = _evidence(
        alert, r01_v2, old(r01_v2, "medical", ["JS1", "JS2"]), feed="medical", record_keys=["JS1", "JS2"]
    )
    # R12 is stored with an empty feed; the run labels it "registry".
    income = _evidence(
        alert, r12, old(r12, "registry", ["incomes:2025"]), feed="", record_keys=["incomes:2025"]
    )
    visit_key = evidence_dedup_key(home.pk, "01", "cadre_visit", "visit", "2026-10-01", 7)
    visit = _evidence(alert, None, visit_key, channel="cadre_visit")
    second_old = second.dedup_key

    rekey(apps, None)

    for row in (first, second, income, visit):
        row.refresh_from_db()
    assert first.dedup_key == _run_key(home.pk, "01", "R01", "medical", ["JS1", "JS2"])
    assert second.dedup_key == second_old
    assert income.dedup_key == _run_key(home.pk, "01", "R12", "registry", ["incomes:2025"])
    assert visit.dedup_key == visit_key

    rekey(apps, None)  # again: nothing changes
    assert {e.pk: e.dedup_key for e in AlertEvidence.objects.all()} == {
        first.pk: first.dedup_key,
        second.pk: second_old,
        income.pk: income.dedup_key,
        visit.pk: visit_key,
    }
