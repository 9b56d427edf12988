from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "dixian.cases"
    verbose_name = "预警线索"
