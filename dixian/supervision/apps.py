from __future__ import annotations

from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "dixian.supervision"
    verbose_name = "组织保障与督导"
