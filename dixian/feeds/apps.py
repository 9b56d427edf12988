from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "dixian.feeds"
    verbose_name = "部门数据"

    def ready(self) -> None:
        # Registry sits below feeds: a move reaches the link candidates through signals (docs/security.md §4).
        from dixian.registry.signals import household_moved, person_moved

        from .linkage_store import candidates_follow_households, candidates_follow_persons

        household_moved.connect(candidates_follow_households, dispatch_uid="candidates_follow_households")
        person_moved.connect(candidates_follow_persons, dispatch_uid="candidates_follow_persons")
