from __future__ import annotations

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "dixian.monitoring"
    verbose_name = "监测帮扶"

    def ready(self) -> None:
        # Households imported as already monitored become cases (monitoring/entry.py, docs/architecture.md).
        from dixian.registry.signals import households_imported_monitored

        from .entry import cases_from_registry_import

        households_imported_monitored.connect(
            cases_from_registry_import, dispatch_uid="cases_from_registry_import"
        )
        # The case page's panels (monitoring/panels.py), one line per part of the lifecycle, in page order:
        # measures (order 20), elimination (30), follow-ups (40), notices (50), consistency findings (60).
        pass
