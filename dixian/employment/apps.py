from __future__ import annotations

from django.apps import AppConfig


class EmploymentConfig(AppConfig):
    name = "dixian.employment"
    verbose_name = "就业监测"
