from __future__ import annotations

from django.urls import path

from . import views_entry

app_name = "monitoring"
urlpatterns = [
    # What feeds cases (monitoring/entry.py).
    path("propose/", views_entry.alerts_propose, name="alerts_propose"),
    # Minimal case page for the links above; the case-page work's monitoring:case_detail replaces it.
    path("<int:pk>/", views_entry.case_detail, name="case_detail"),
    path("unmatched/<int:pk>/register/", views_entry.unmatched_register, name="unmatched_register"),
]
