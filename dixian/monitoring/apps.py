from __future__ import annotations

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "dixian.monitoring"
    verbose_name = "监测帮扶"

    def ready(self) -> None:
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
