"""人居环境 (docs/domain.md §27): each village's toilets, garbage collection, sewage and appearance works by
period, the townships' weekly reports, the weekly dispatch and the monthly 通报."""

from __future__ import annotations

from django.apps import AppConfig


class EnvironmentConfig(AppConfig):
    name = "dixian.environment"
    verbose_name = "人居环境"

    def ready(self) -> None:
        from django.conf import settings

        from dixian.accounts.capabilities import Capability
        from dixian.common.due import due_register

        from .due import environment_due
        from .validation import deadline_parse

        deadline_parse(settings.DIXIAN_ENVIRONMENT_DEADLINE)  # a bad setting stops the start, with its reason
        due_register(
            name="environment",
            order=30,
            capability=Capability.ENVIRONMENT_VIEW.value,
            provider=environment_due,
        )
