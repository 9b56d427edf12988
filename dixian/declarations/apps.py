from django.apps import AppConfig


class DeclarationsConfig(AppConfig):
    name = "dixian.declarations"
    verbose_name = "农户自主申报"

    def ready(self) -> None:
        # Declarations sits above cases: it follows cases' alerts through a signal (docs/architecture.md).
        from dixian.cases.signals import alert_status_changed

        from .services import declarations_follow_alert

        alert_status_changed.connect(declarations_follow_alert, dispatch_uid="declarations_follow_alert")
