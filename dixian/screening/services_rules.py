"""Writes for rules: a new rule version (every edit makes one; an old version is never changed)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from dixian.common.audit import change_record
from dixian.common.models import ChangeLog

from .models import Rule, RuleVersion

if TYPE_CHECKING:
    from dixian.accounts.models import User


@transaction.atomic
def rule_version_create(
    *,
    rule: Rule,
    base: RuleVersion,
    region_prefix: str,
    grade: str,
    template: str,
    params: dict[str, Any],
    valid_from: dt.date | None,
    note: str,
    actor: User,
) -> RuleVersion:
    """The next version of `rule`, revised from `base` (risk type and escalations are carried over).

    The version number is the rule's highest plus one, taken under a row lock on the rule so that two
    administrators saving at once get two versions, not an error.
    """
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    if base.rule_id != rule.pk:
        raise ValidationError("所依据的版本不属于该规则")
    number = (RuleVersion.objects.filter(rule=rule).aggregate(n=Max("version"))["n"] or 0) + 1
    version = RuleVersion.objects.create(
        rule=rule,
        version=number,
        region_prefix=region_prefix,
        risk_code=base.risk_code,
        grade=grade,
        template=template,
        params=params,
        escalations=list(base.escalations),
        valid_from=valid_from,
        valid_to=None,
        note=note[:200],
        created_by=actor,
    )
    changes = {k: [base.params.get(k), v] for k, v in params.items() if base.params.get(k) != v}
    for field, old, new in (
        ("grade", base.grade, grade),
        ("template", base.template, template),
        ("region_prefix", base.region_prefix, region_prefix),
    ):
        if old != new:
            changes[field] = [old, new]
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="rule_version",
        entity_id=version.pk,
        household_id=None,
        action=ChangeLog.Action.CREATE,
        changes=changes,
        summary=f"筛查规则 {version.label}(依据第{base.version}版):{note}"[:200],
    )
    return version
