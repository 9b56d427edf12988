from __future__ import annotations

from django.apps import AppConfig


class EnvironmentConfig(AppConfig):
    name = "dixian.environment"
    verbose_name = "人居环境"
