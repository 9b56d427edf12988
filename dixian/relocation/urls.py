from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from . import views

app_name = "relocation"
urlpatterns: list[URLPattern | Any] = [
    path("", views.site_list, name="site_list"),
    path("sites.xlsx", views.site_xlsx, name="site_xlsx"),
    path("new/", views.site_new, name="site_new"),
    path("<int:pk>/", views.site_detail, name="site_detail"),
    path("<int:pk>/edit/", views.site_edit, name="site_edit"),
    path("<int:pk>/households/", views.household_link, name="household_link"),
    path("<int:pk>/households/<int:link_pk>/unlink/", views.household_unlink, name="household_unlink"),
    path("<int:pk>/problems/new/", views.problem_new, name="problem_new"),
    path("<int:pk>/problems/<int:problem_pk>/resolve/", views.problem_resolve, name="problem_resolve"),
    path("<int:pk>/problems/<int:problem_pk>/evidence/", views.problem_evidence, name="problem_evidence"),
    path("<int:pk>/projects/", views.project_link, name="project_link"),
    path("<int:pk>/projects/<int:link_pk>/unlink/", views.project_unlink, name="project_unlink"),
]
