from __future__ import annotations

from django.urls import path

from . import views_deadlines, views_elimination

app_name = "monitoring"

urlpatterns = [
    # Risk elimination and 回头看 (docs/domain.md §7, §20).
    path("<int:pk>/elimination/", views_elimination.elimination_propose, name="elimination_propose"),
    path("follow-ups/", views_elimination.follow_ups, name="follow_ups"),
    path("follow-ups/<int:pk>/", views_elimination.follow_up_record_view, name="follow_up_record"),
    # Deadlines (docs/domain.md §5, §20).
    path("timeliness/", views_deadlines.timeliness, name="timeliness"),
    path("timeliness/export/", views_deadlines.timeliness_export, name="timeliness_export"),
    path("deadlines/", views_deadlines.deadline_policies, name="deadline_policies"),
]
