from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from . import views

app_name = "rectification"
urlpatterns: list[URLPattern | Any] = [
    path("", views.finding_list, name="finding_list"),
    path("new/", views.finding_new, name="finding_new"),
    path("import/", views.finding_import, name="finding_import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("<int:pk>/", views.finding_detail, name="finding_detail"),
    path("<int:pk>/tasks/new/", views.task_new, name="task_new"),
    path("<int:pk>/tasks/<int:task_pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("<int:pk>/tasks/<int:task_pk>/close/", views.task_close, name="task_close"),
    path("<int:pk>/evidence/<int:evidence_pk>/", views.evidence_file, name="evidence_file"),
    path("<int:pk>/reviewers/", views.reviewers_add, name="reviewers_add"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/close/", views.finding_close, name="finding_close"),
    path("<int:pk>/same-check/", views.same_check, name="same_check"),
]
