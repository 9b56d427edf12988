from __future__ import annotations

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "dixian.reports"
    verbose_name = "统计分析"

    def ready(self) -> None:
        # The producers register themselves when their modules load (reports/producers.py).
        from . import producers  # noqa: F401

        # The apps below tell reports what changed through their signals (reports/triggers.py).
        from .triggers import triggers_connect

        triggers_connect()
