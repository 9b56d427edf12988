from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from . import views

app_name = "supervision"
urlpatterns: list[URLPattern | Any] = [
    path("", views.visit_list, name="visit_list"),
    path("calendar/", views.visit_calendar, name="calendar"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/edit/", views.visit_edit, name="visit_edit"),
    path("visits/<int:pk>/record/", views.visit_record, name="visit_record"),
    path("leaders/", views.leader_list, name="leader_list"),
    path("leaders/new/", views.leader_new, name="leader_new"),
    path("leaders/<int:pk>/edit/", views.leader_edit, name="leader_edit"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/new/", views.unit_new, name="unit_new"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff.xlsx", views.staff_xlsx, name="staff_xlsx"),
    path("staff/new/", views.staff_new, name="staff_new"),
    path("staff/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("experts/", views.expert_list, name="expert_list"),
    path("experts/new/", views.expert_new, name="expert_new"),
    path("experts/<int:pk>/edit/", views.expert_edit, name="expert_edit"),
]
