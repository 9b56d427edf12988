from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.registry.models import Household


def household_relocation_panel(user: User, household: Household) -> dict[str, Any]:
    """易地搬迁 on the household page (docs/domain.md §24): the site the household was relocated to."""
    from .views import household_panel

    return household_panel(user, household)


class RelocationConfig(AppConfig):
    name = "dixian.relocation"
    verbose_name = "易地搬迁后续扶持"

    def ready(self) -> None:
        from dixian.registry.panels import household_panel_register
        from dixian.registry.signals import household_moved

        from .services import relocation_follow_households

        # A household's move reaches its link to the site, scoped by where it lives (docs/security.md §4).
        household_moved.connect(relocation_follow_households, dispatch_uid="relocation_follow_households")
        household_panel_register(
            name="relocation",
            order=45,
            template="relocation/household_panel.html",
            context=household_relocation_panel,
        )
