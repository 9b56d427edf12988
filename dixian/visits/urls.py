from __future__ import annotations

from django.urls import path

from . import views

app_name = "visits"
urlpatterns = [
    path("", views.visit_list, name="list"),
    path("new/", views.visit_new, name="new"),
    path("new/households/", views.household_search, name="household_search"),
    path("new/measures/", views.household_measures, name="household_measures"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/export.xlsx", views.coverage_export, name="coverage_export"),
    path("<int:pk>/", views.visit_detail, name="detail"),
    path("<int:pk>/photos/<int:photo_pk>/", views.visit_photo, name="photo"),
]
