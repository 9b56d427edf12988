from __future__ import annotations

from django.urls import URLPattern, path

from . import views_map

app_name = "reports"
urlpatterns: list[URLPattern] = [
    path("map/", views_map.monitoring_map, name="map"),
    path("map/xlsx/", views_map.monitoring_map_xlsx, name="map_xlsx"),
]
