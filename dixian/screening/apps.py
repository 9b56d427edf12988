from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "dixian.screening"
    verbose_name = "筛查规则与筛查"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from dixian.feeds.signals import delivery_changed

        from .registry_changes import registry_changes_connect
        from .services import rules_seed_defaults_on_migrate, screening_enqueue_on_delivery_changed

        post_migrate.connect(rules_seed_defaults_on_migrate, sender=self)
        # Screening sits above feeds: feeds signals a changed delivery instead of importing screening
        # (docs/architecture.md).
        delivery_changed.connect(screening_enqueue_on_delivery_changed, dispatch_uid="screening_on_delivery")
        # Registry edits queue an incremental screening of the households they touch (docs/scale.md §3).
        registry_changes_connect()
        from django.db.models.signals import post_delete

        from dixian.feeds.models import FeedDelivery

        from .scope import sidecar_remove

        # A deleted delivery's scope sidecar goes with it (docs/scale.md §3).
        post_delete.connect(sidecar_remove, sender=FeedDelivery, dispatch_uid="screening_sidecar_remove")
