"""Alerts for tests, made the way the platform makes them (`alert_add_evidence`)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from dixian.cases.models import Alert, AlertEvidence
from dixian.cases.services import alert_add_evidence
from dixian.registry.models import Household
from dixian.screening.models import RuleVersion

_seq = itertools.count(1)


def rule_version(rule_id: str = "R01") -> RuleVersion:
    version = RuleVersion.objects.filter(rule__rule_id=rule_id).order_by("-version").first()
    assert version is not None, f"no version of {rule_id}"
    return version


def raise_alert(
    household: Household | None,
    *,
    risk: str = "01",
    grade: str = "红",
    channel: str = "department",
    reason: str = "2026年1-10月张三医疗个人负担 23,400 元,达到一般农户阈值 20,000 元(规则 R01 第1版)",
    at: dt.datetime | None = None,
    region: Any = None,
    subject_name: str = "",
    **department: Any,
) -> Alert:
    """One piece of evidence (a new fact each call) and the alert it opened or joined."""
    if channel == "department" and "rule_version" not in department:
        department["rule_version"] = rule_version()
        department.setdefault("feed", "medical")
    evidence = alert_add_evidence(
        household=household,
        region=region or household.region,
        risk_code=risk,
        channel=channel,
        grade=grade,
        reason=reason,
        dedup_parts=("test", next(_seq)),
        subject_name=subject_name,
        at=at or timezone.now(),
        **department,
    )
    assert isinstance(evidence, AlertEvidence)
    assert evidence.alert is not None
    return evidence.alert
