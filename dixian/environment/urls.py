from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from . import views

app_name = "environment"
urlpatterns: list[URLPattern | Any] = [
    path("", views.ledger, name="ledger"),
    path("village/<str:code>/", views.village, name="village"),
    path("village/<str:code>/plan/", views.plan_edit, name="plan_edit"),
    path("weekly/", views.weekly_start, name="weekly_start"),
    path("weekly/<str:code>/", views.weekly_form, name="weekly_form"),
    path("dispatch/", views.dispatch, name="dispatch"),
    path("dispatch.xlsx", views.dispatch_xlsx, name="dispatch_xlsx"),
    path("bulletin/", views.bulletin, name="bulletin"),
    path("bulletin.docx", views.bulletin_docx, name="bulletin_docx"),
    path("bulletin.xlsx", views.bulletin_xlsx, name="bulletin_xlsx"),
    path("projects/", views.projects, name="projects"),
    path("projects/<int:pk>/untag/", views.project_untag, name="project_untag"),
]
