"""Writes for rules and screening runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from .engine import default_rules
from .models import Rule, RuleVersion

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.common.models import Job
    from dixian.feeds.models import FeedDelivery


@transaction.atomic
def rules_seed_defaults() -> int:
    """Create the shipped rules (feeds.md R01–R17) that do not exist yet; existing rules are left as edited.

    Returns the number of rules created.
    """
    created = 0
    existing = set(Rule.objects.values_list("rule_id", flat=True))
    for engine_rule in default_rules():
        if engine_rule.rule_id in existing:
            continue
        rule = Rule.objects.create(
            rule_id=engine_rule.rule_id,
            name=engine_rule.name,
            logic=engine_rule.logic,
            feeds=list(engine_rule.feeds),
        )
        data = engine_rule.to_dict()
        RuleVersion.objects.create(
            rule=rule,
            version=engine_rule.version,
            region_prefix=engine_rule.region,
            risk_code=engine_rule.risk_code,
            grade=engine_rule.grade,
            template=engine_rule.template,
            params=data["params"],
            escalations=data["escalations"],
            valid_from=engine_rule.valid_from,
            valid_to=engine_rule.valid_to,
            note="系统默认规则(feeds.md)",
        )
        existing.add(engine_rule.rule_id)
        created += 1
    return created


def rules_seed_defaults_on_migrate(**kwargs: Any) -> None:
    rules_seed_defaults()


def screening_enqueue_for_delivery(delivery: FeedDelivery, *, owner: User) -> Job:
    """Screen a delivery as soon as it lands: a `screen_delivery` job the worker picks up within a second."""
    from dixian.common.jobs import job_enqueue

    return job_enqueue(kind="screen_delivery", owner=owner, params={"delivery_id": delivery.pk})
