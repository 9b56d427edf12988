from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.registry.models import Household


def household_visits_panel(user: User, household: Household) -> dict[str, Any]:
    """走访记录 on the household page: the latest visits, and whether this account may record one here."""
    from .selectors import visit_may_record, visits_for_household

    return {
        "visits": visits_for_household(household, limit=5),
        "can_record_visit": visit_may_record(user, household),
    }


class VisitsConfig(AppConfig):
    name = "dixian.visits"
    verbose_name = "干部走访排查"

    def ready(self) -> None:
        # Registry's household page shows panels that apps above it register (docs/architecture.md).
        from dixian.registry.panels import household_panel_register
        from dixian.registry.signals import household_moved

        from .services import visits_follow_households

        # A household's move reaches the records that copy its code (docs/security.md §4).
        household_moved.connect(visits_follow_households, dispatch_uid="visits_follow_households")

        household_panel_register(
            name="visits",
            order=20,
            template="visits/partials/_household_visits.html",
            context=household_visits_panel,
        )
