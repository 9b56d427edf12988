from __future__ import annotations

from django.apps import AppConfig


class RectificationConfig(AppConfig):
    name = "dixian.rectification"
    verbose_name = "问题整改"

    def ready(self) -> None:
        from dixian.accounts.capabilities import Capability
        from dixian.common.due import due_register

        from .due import due_items

        due_register(
            name="rectification", order=10, capability=Capability.RECTIFICATION_VIEW.value, provider=due_items
        )
