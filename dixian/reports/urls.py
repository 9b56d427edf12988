from __future__ import annotations

from django.urls import URLPattern, path

from . import views_bulletin

app_name = "reports"
urlpatterns: list[URLPattern] = [
    path("bulletin/", views_bulletin.bulletin, name="bulletin"),
    path("bulletin/docx/", views_bulletin.bulletin_docx_download, name="bulletin_docx"),
    path("bulletin/xlsx/", views_bulletin.bulletin_xlsx_download, name="bulletin_xlsx"),
]
