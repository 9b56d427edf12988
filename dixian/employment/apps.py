from __future__ import annotations

from django.apps import AppConfig


class EmploymentConfig(AppConfig):
    name = "dixian.employment"
    verbose_name = "就业监测"

    def ready(self) -> None:
        from . import signals
        from .keygroups import on_survey_changed

        # Key groups follow every survey write, in its transaction (docs/domain.md §23).
        signals.survey_changed.connect(on_survey_changed, dispatch_uid="employment_keygroups_refresh")
