from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "dixian.registry"
    verbose_name = "农户信息库"
