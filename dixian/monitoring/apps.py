from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.utils import timezone

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.registry.models import Household


def household_case_panel(user: User, household: Household) -> dict[str, Any]:
    """监测帮扶 on the household page: the open case with its deadline's colour, and every episode's
    history as a timeline in plain Chinese (docs/domain.md §20), in a fixed number of queries."""
    from dixian.accounts.capabilities import Capability, user_can
    from dixian.common.access import may_view_pii

    from .rows import deadline_of, risk_names, timeline
    from .selectors import attachments_of, cases_of_household, transitions_of

    if not user_can(user, Capability.CASES_VIEW):
        return {"monitoring_cases": None}
    today = timezone.localdate()
    pii = may_view_pii(user)
    cases = cases_of_household(household)
    transitions = transitions_of(cases)
    attachments = attachments_of(cases)
    return {
        "monitoring_cases": [
            {
                "case": c,
                "deadline": deadline_of(c, today),
                "risks": risk_names(c.risk_codes),
                "timeline": timeline(transitions[c.pk], attachments[c.pk], pii=pii),
            }
            for c in cases
        ],
        "monitoring_open": next((c for c in cases if c.is_open), None),
    }


class MonitoringConfig(AppConfig):
    name = "dixian.monitoring"
    verbose_name = "监测帮扶"

    def ready(self) -> None:
        # A household's move reaches its cases and findings (docs/security.md §4).
        from dixian.registry.signals import household_moved

        from .services import monitoring_follow_households

        household_moved.connect(monitoring_follow_households, dispatch_uid="monitoring_follow_households")
        # The case API's operations on the API's documentation page and in /api/openapi.json (feeds/api.py).
        from dixian.feeds.api import EXTRA_DOCUMENTS

        from .api import openapi_document

        if openapi_document not in EXTRA_DOCUMENTS:
            EXTRA_DOCUMENTS.append(openapi_document)
        from dixian.registry.panels import household_panel_register

        # The household page's 监测帮扶 panel, with the case's deadline and its timeline (registry/panels.py).
        household_panel_register(
            name="monitoring",
            order=5,
            template="monitoring/partials/_household_cases.html",
            context=household_case_panel,
        )
        # Households imported as already monitored become cases (monitoring/entry.py, docs/architecture.md).
        from dixian.registry.signals import households_imported_monitored

        from .entry import cases_from_registry_import

        households_imported_monitored.connect(
            cases_from_registry_import, dispatch_uid="cases_from_registry_import"
        )
        # The case page's panels (monitoring/panels.py), one line per part of the lifecycle, in page order:
        # measures (order 20), elimination (30), follow-ups (40), notices (50), consistency findings (60).
        from .panels import case_panel_register
        from .views_elimination import elimination_panel, follow_up_panel

        case_panel_register(
            name="elimination",
            order=30,
            template="monitoring/partials/_elimination.html",
            context=elimination_panel,
        )
        case_panel_register(
            name="follow_ups",
            order=40,
            template="monitoring/partials/_follow_ups.html",
            context=follow_up_panel,
        )
        from .assistance import assistance_panel

        case_panel_register(
            name="assistance",
            order=20,
            template="monitoring/partials/_case_assistance.html",
            context=assistance_panel,
        )
        from .notices import case_notice_panel

        case_panel_register(
            name="notices", order=50, template="monitoring/panels/notices.html", context=case_notice_panel
        )
        from .findings import case_findings_panel

        case_panel_register(
            name="consistency",
            order=60,
            template="monitoring/partials/_case_findings.html",
            context=case_findings_panel,
        )
