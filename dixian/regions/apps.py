from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "dixian.regions"
    verbose_name = "行政区划"
