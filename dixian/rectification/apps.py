from __future__ import annotations

from django.apps import AppConfig


class RectificationConfig(AppConfig):
    name = "dixian.rectification"
    verbose_name = "问题整改"
