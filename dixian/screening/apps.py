from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "dixian.screening"
    verbose_name = "筛查规则与筛查"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .services import rules_seed_defaults_on_migrate

        post_migrate.connect(rules_seed_defaults_on_migrate, sender=self)
