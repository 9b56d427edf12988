from django.apps import AppConfig


class SyntheticConfig(AppConfig):
    name = "dixian.synthetic"
    verbose_name = "合成演示数据"
