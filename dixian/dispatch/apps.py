from __future__ import annotations

from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dixian.dispatch"
    verbose_name = "工作调度"
