from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from . import views_allocations

app_name = "funds"
urlpatterns: list[URLPattern | Any] = []

# ---- allocations, arrangements and the finance office's workbook (helper A) ------------------------------
urlpatterns += [
    path("allocations/", views_allocations.allocation_list, name="allocation_list"),
    path("allocations/new/", views_allocations.allocation_new, name="allocation_new"),
    path("allocations/<int:pk>/", views_allocations.allocation_detail, name="allocation_detail"),
    path("allocations/<int:pk>/arrange/", views_allocations.arrangement_new, name="arrangement_new"),
    path("import/", views_allocations.import_page, name="import"),
    path("import/template/", views_allocations.import_template, name="import_template"),
    path("import/<int:pk>/report/", views_allocations.import_report, name="import_report"),
]
