from django.apps import AppConfig


class DeclarationsConfig(AppConfig):
    name = "dixian.declarations"
    verbose_name = "农户自主申报"
