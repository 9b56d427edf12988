"""组织保障与督导 (docs/domain.md §26): 挂点 leaders, 定点帮扶 units, stationed first secretaries and work
teams, the expert pool, and the monthly research / quarterly supervision visits whose findings enter the
rectification ledger."""

from __future__ import annotations

from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "dixian.supervision"
    verbose_name = "组织保障与督导"

    def ready(self) -> None:
        from dixian.accounts.capabilities import Capability
        from dixian.common.due import due_register

        from .due import supervision_due

        due_register(
            name="supervision",
            order=20,
            capability=Capability.SUPERVISION_VIEW.value,
            provider=supervision_due,
        )
