from __future__ import annotations

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "dixian.monitoring"
    verbose_name = "监测帮扶"

    def ready(self) -> None:
        # The case page's panels (monitoring/panels.py), one line per part of the lifecycle, in page order:
        # measures (order 20), elimination (30), follow-ups (40), notices (50), consistency findings (60).
        from .findings import case_findings_panel
        from .panels import case_panel_register

        case_panel_register(
            name="consistency",
            order=60,
            template="monitoring/partials/_case_findings.html",
            context=case_findings_panel,
        )
