from __future__ import annotations

from django.apps import AppConfig


class RelocationConfig(AppConfig):
    name = "dixian.relocation"
    verbose_name = "易地搬迁后续扶持"
