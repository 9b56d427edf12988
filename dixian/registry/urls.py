from __future__ import annotations

from django.urls import path

from . import views, views_access_log, views_detail, views_import, views_list, views_regions

app_name = "registry"
urlpatterns = [
    path("", views.home, name="home"),
    path("households/", views_list.household_list, name="household_list"),
    path("households/export/", views_list.household_export, name="household_export"),
    path("households/import/", views_import.import_page, name="import"),
    path("households/import/template.xlsx", views_import.import_template, name="import_template"),
    path("households/import/<int:pk>/", views_import.import_batch, name="import_batch"),
    path("households/import/<int:pk>/report.xlsx", views_import.import_report, name="import_report"),
    path("regions/import/", views_regions.regions_import_page, name="regions_import"),
    path("households/import/<int:pk>/findings.xlsx", views_import.import_findings, name="import_findings"),
    path("households/<int:pk>/", views_detail.household_detail, name="household_detail"),
    path(
        "households/<int:pk>/access-log/",
        views_access_log.household_access_log,
        name="household_access_log",
    ),
    path("households/<int:pk>/history/", views_detail.household_history_page, name="household_history"),
    path("households/<int:pk>/edit/", views_detail.household_edit, name="household_edit"),
    path("households/<int:pk>/income/", views_detail.income_edit, name="income_edit"),
    path("households/<int:pk>/members/add/", views_detail.person_add, name="person_add"),
    path("households/<int:pk>/members/<int:person_pk>/edit/", views_detail.person_edit, name="person_edit"),
    path("households/<int:pk>/members/<int:person_pk>/move/", views_detail.person_move, name="person_move"),
]
