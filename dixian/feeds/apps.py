from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "dixian.feeds"
    verbose_name = "部门数据"
