from __future__ import annotations

from django.urls import path

from . import views_dashboard

app_name = "reports"
urlpatterns = [
    path("", views_dashboard.dashboard, name="dashboard"),
    path("indicator/<str:code>/", views_dashboard.indicator, name="indicator"),
]
