from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "dixian.common"
    verbose_name = "公共"
