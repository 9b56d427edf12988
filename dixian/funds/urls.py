from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from . import views_payments, views_projects

app_name = "funds"
urlpatterns: list[URLPattern | Any] = []

# ---- Projects, payments, the negative list and the county discipline (docs/domain.md §22) ----------------
urlpatterns += [
    path("projects/", views_projects.project_list, name="project_list"),
    path("projects/new/", views_projects.project_new, name="project_new"),
    path("projects/late/", views_projects.late_projects, name="late_projects"),
    path("projects/late/xlsx/", views_projects.late_projects_xlsx, name="late_projects_xlsx"),
    path("projects/<int:pk>/", views_projects.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", views_projects.project_edit, name="project_edit"),
    path("projects/<int:pk>/move/", views_projects.project_move, name="project_move"),
    path("projects/<int:pk>/progress/", views_projects.project_progress, name="project_progress"),
    path("projects/<int:pk>/hires/", views_projects.hire_new, name="hire_new"),
    path("projects/<int:pk>/payments/new/", views_payments.payment_new, name="payment_new"),
    path("payments/", views_payments.payment_list, name="payment_list"),
    path("negative-list/", views_payments.negative_list, name="negative_list"),
    path("negative-list/new/", views_payments.negative_list_new, name="negative_list_new"),
    path("policy/", views_payments.policy, name="policy"),
]
