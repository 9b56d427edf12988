from __future__ import annotations

from django.apps import AppConfig


class EmploymentConfig(AppConfig):
    name = "dixian.employment"
    verbose_name = "就业监测"

    def ready(self) -> None:
        from dixian.feeds.signals import delivery_changed
        from dixian.registry.signals import household_moved, person_moved

        from .facts import (
            facts_follow_households,
            facts_follow_persons,
            facts_on_delivery_changed,
        )

        # employment sits above feeds and the registry (docs/architecture.md): they signal, we listen.
        # The departments' facts of a delivery are replaced in the transaction that accepted it or decided
        # one of its links (an accepted delivery is never rejected afterwards: FeedDelivery.save refuses it;
        # a deleted one takes its facts by CASCADE), and follow moved persons (docs/domain.md §23).
        delivery_changed.connect(facts_on_delivery_changed, dispatch_uid="employment_facts_on_delivery")
        household_moved.connect(facts_follow_households, dispatch_uid="employment_facts_follow_households")
        person_moved.connect(facts_follow_persons, dispatch_uid="employment_facts_follow_persons")

        from . import signals
        from .keygroups import members_follow_households, members_follow_persons, on_survey_changed

        # Key-group memberships and their follow-ups follow moved households and persons (scoping follows
        # the household, docs/security.md §4); a post holding keeps its post's village.
        household_moved.connect(
            members_follow_households, dispatch_uid="employment_members_follow_households"
        )
        person_moved.connect(members_follow_persons, dispatch_uid="employment_members_follow_persons")

        # Key groups follow every survey write, in its transaction (docs/domain.md §23).
        signals.survey_changed.connect(on_survey_changed, dispatch_uid="employment_keygroups_refresh")
