from django.apps import AppConfig


class DeclarationsConfig(AppConfig):
    name = "dixian.declarations"
    verbose_name = "农户自主申报"

    def ready(self) -> None:
        # Declarations sits above cases: it follows cases' alerts through a signal (docs/architecture.md).
        from dixian.cases.signals import alert_status_changed
        from dixian.registry.signals import household_moved

        from .services import declarations_follow_alert, declarations_follow_households

        alert_status_changed.connect(declarations_follow_alert, dispatch_uid="declarations_follow_alert")
        # Registry sits below declarations: a household's move reaches its declarations (docs/security.md §4).
        household_moved.connect(declarations_follow_households, dispatch_uid="declarations_follow_households")
