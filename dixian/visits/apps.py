from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "dixian.visits"
    verbose_name = "干部走访排查"
