"""乡村治理 (docs/domain.md §28): 四议两公开 decision records, the points scheme (积分制) with its shop, and
the village rules and councils' documents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.registry.models import Household


def household_governance_panel(user: User, household: Household) -> dict[str, Any]:
    """积分制 on the household page (docs/domain.md §28): the balance and the latest points."""
    from .views import household_panel

    return household_panel(user, household)


class GovernanceConfig(AppConfig):
    name = "dixian.governance"
    verbose_name = "乡村治理"

    def ready(self) -> None:
        from dixian.accounts.capabilities import Capability
        from dixian.common.due import due_register
        from dixian.registry.panels import household_panel_register
        from dixian.registry.signals import household_moved

        from .due import governance_due
        from .services import governance_follow_households

        household_moved.connect(governance_follow_households, dispatch_uid="governance_follow_households")
        household_panel_register(
            name="governance",
            order=50,
            template="governance/household_panel.html",
            context=household_governance_panel,
        )
        due_register(
            name="governance",
            order=40,
            capability=Capability.GOVERNANCE_VIEW.value,
            provider=governance_due,
        )
