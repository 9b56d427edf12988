from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "dixian.common"
    verbose_name = "公共"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the deployment checks (docs/security.md §7)
