"""Writes for rules: a new rule version (every edit makes one; an old version is never changed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from dixian.common.audit import change_record
from dixian.common.models import ChangeLog
from dixian.regions.models import Region
from dixian.registry.models import IncomeLine

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
    if rule.logic == "income_below_line" and isinstance(params.get("income_line"), dict):
        income_lines_write(params["income_line"], region_prefix=region_prefix)
    return version


def income_lines_write(line: dict[str, Any], *, region_prefix: str) -> None:
    """The IncomeLine table from R12's line as a new version sets it (year → amount), for the version's
    region ("" = the whole city). The rules page is where the line is edited, with a version for every
    change, and R12 screens with its version's line; the table is what household pages compare incomes
    with, so it is written here and nowhere else. A year whose amount changed is no longer an example."""
    region = Region.objects.filter(prefix=region_prefix).first() if region_prefix else None
    if region_prefix and region is None:
        raise ValidationError(f"区划 {region_prefix} 不存在,无法保存收入监测线")
    existing = {row.year: row for row in IncomeLine.objects.filter(region=region)}
    for year_text, amount in line.items():
        year, value = int(year_text), Decimal(str(amount))
        row = existing.get(year)
        if row is None:
            IncomeLine.objects.create(region=region, year=year, amount=value, is_example=False)
        elif row.amount != value:
            row.amount, row.is_example = value, False
            row.save(update_fields=["amount", "is_example", "updated_at"])
