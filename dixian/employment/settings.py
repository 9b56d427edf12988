"""The city's employment settings (docs/domain.md §23): the base year the monthly count is compared with and the
labour roll's working age, each row in force from the first day of a month on (`roll.policy_for`).

A row is set for the current month or a later one, never for a month already closed: a month's figures keep the
settings they were read with. Every change is audited (change log, entity `employment_policy`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.audit import change_record
from dixian.common.models import ChangeLog
from dixian.domain import employment as e

from .models import EmploymentPolicy

if TYPE_CHECKING:
    from dixian.accounts.models import User

AGE_MIN_RANGE = (14, 30)
AGE_MAX_RANGE = (45, 80)
BASE_YEAR_FIRST = (
    2016  # the first year of the national count of ex-poor workers that the platform may compare
)


@transaction.atomic
def policy_set(
    *,
    actor: User,
    valid_from: dt.date,
    base_year: int,
    age_min: int,
    age_max: int,
    today: dt.date | None = None,
) -> EmploymentPolicy:
    """Set the settings in force from `valid_from` (a month's first day, the current month or later)."""
    if not user_can(actor, Capability.EMPLOYMENT_SETTINGS):
        raise PermissionDenied("就业监测设置由市级设定,您的账号不能修改")
    today = today or timezone.localdate()
    current = today.replace(day=1)
    errors: dict[str, str] = {}
    if valid_from.day != 1:
        errors["valid_from"] = "生效日期应为某月1日(设置按月生效)"
    elif valid_from < current:
        errors["valid_from"] = f"只能设定{e.month_label(current)}及以后的月份,已过去的月份按当时的设置统计"
    if not BASE_YEAR_FIRST <= base_year <= today.year - 1:
        errors["base_year"] = f"比较基准年应在 {BASE_YEAR_FIRST} 到 {today.year - 1} 年之间"
    if not AGE_MIN_RANGE[0] <= age_min <= AGE_MIN_RANGE[1]:
        errors["age_min"] = f"劳动年龄下限应在 {AGE_MIN_RANGE[0]} 到 {AGE_MIN_RANGE[1]} 周岁之间"
    if not AGE_MAX_RANGE[0] <= age_max <= AGE_MAX_RANGE[1]:
        errors["age_max"] = f"劳动年龄上限应在 {AGE_MAX_RANGE[0]} 到 {AGE_MAX_RANGE[1]} 周岁之间"
    elif age_min >= age_max:
        errors["age_max"] = "劳动年龄上限应大于下限"
    if errors:
        raise ValidationError(errors)
    policy = EmploymentPolicy.objects.select_for_update().filter(valid_from=valid_from).first()
    old = [policy.base_year, policy.age_min, policy.age_max] if policy else None
    if policy is None:
        policy = EmploymentPolicy(valid_from=valid_from)
    policy.base_year, policy.age_min, policy.age_max = base_year, age_min, age_max
    policy.updated_by = actor
    policy.save()
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="employment_policy",
        entity_id=policy.pk,
        household_id=None,
        action=ChangeLog.Action.CREATE if old is None else ChangeLog.Action.UPDATE,
        changes={"settings": [old, [base_year, age_min, age_max]]},
        summary=f"就业监测设置:{e.month_label(valid_from)}起基准年{base_year},劳动年龄{age_min}–{age_max}周岁",
    )
    return policy
