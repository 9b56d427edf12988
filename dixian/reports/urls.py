from __future__ import annotations

from django.urls import URLPattern, path

from . import views_dashboard, views_map

app_name = "reports"
urlpatterns: list[URLPattern] = [
    path("", views_dashboard.dashboard, name="dashboard"),
    path("indicator/<str:code>/", views_dashboard.indicator, name="indicator"),
    path("map/", views_map.monitoring_map, name="map"),
    path("map/xlsx/", views_map.monitoring_map_xlsx, name="map_xlsx"),
]
