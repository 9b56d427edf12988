from __future__ import annotations

from django.urls import URLPattern, path

from . import views_bulletin, views_dashboard, views_map

app_name = "reports"
urlpatterns: list[URLPattern] = [
    path("", views_dashboard.dashboard, name="dashboard"),
    path("indicator/<str:code>/", views_dashboard.indicator, name="indicator"),
    path("map/", views_map.monitoring_map, name="map"),
    path("map/xlsx/", views_map.monitoring_map_xlsx, name="map_xlsx"),
    path("bulletin/", views_bulletin.bulletin, name="bulletin"),
    path("bulletin/docx/", views_bulletin.bulletin_docx_download, name="bulletin_docx"),
    path("bulletin/xlsx/", views_bulletin.bulletin_xlsx_download, name="bulletin_xlsx"),
]
