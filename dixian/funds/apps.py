from __future__ import annotations

from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "dixian.funds"
    verbose_name = "衔接资金、项目和资产"
