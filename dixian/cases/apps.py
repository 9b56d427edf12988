from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.utils import timezone

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.registry.models import Household


def household_alerts_panel(user: User, household: Household) -> dict[str, Any]:
    """预警线索 on the household page (issue 3): the household's alerts, open first, in one query."""
    from .models import Alert
    from .rows import alert_rows
    from .selectors import alerts_for_household, case_clock_of

    alerts = alerts_for_household(household)
    cases = case_clock_of([a.pk for a in alerts if a.status == Alert.Status.PROPOSED])
    return {"household_alerts": alert_rows(alerts, timezone.localdate(), cases=cases)}


class CasesConfig(AppConfig):
    name = "dixian.cases"
    verbose_name = "预警线索"

    def ready(self) -> None:
        # Registry's household page shows panels that apps above it register (docs/architecture.md).
        from dixian.registry.panels import household_panel_register
        from dixian.registry.signals import household_moved

        from .services import cases_follow_households

        # A household's move reaches the records that copy its code (docs/security.md §4).
        household_moved.connect(cases_follow_households, dispatch_uid="cases_follow_households")

        household_panel_register(
            name="alerts",
            order=10,
            template="cases/partials/_household_alerts.html",
            context=household_alerts_panel,
        )
