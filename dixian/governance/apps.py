from __future__ import annotations

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "dixian.governance"
    verbose_name = "乡村治理"
