from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.registry.models import Household


def household_funds_panel(user: User, household: Household) -> dict[str, Any]:
    """项目资产与收益 on the household page (docs/domain.md §22): see selectors_assets.household_funds."""
    from .selectors_assets import household_funds

    return household_funds(user, household)


class FundsConfig(AppConfig):
    name = "dixian.funds"
    verbose_name = "衔接资金、项目和资产"

    def ready(self) -> None:
        # Registry's household page shows panels that apps above it register (docs/architecture.md).
        from dixian.registry.panels import household_panel_register
        from dixian.registry.signals import household_moved

        from .assets import assets_follow_households

        # A household's move reaches the funds rows that copy its code (docs/security.md §4).
        household_moved.connect(assets_follow_households, dispatch_uid="funds_follow_households")

        household_panel_register(
            name="funds",
            order=40,
            template="funds/assets_household_panel.html",
            context=household_funds_panel,
        )
