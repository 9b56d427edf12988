from __future__ import annotations

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "dixian.monitoring"
    verbose_name = "监测帮扶"
