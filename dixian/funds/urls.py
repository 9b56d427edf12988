from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from . import views_report

app_name = "funds"
urlpatterns: list[URLPattern | Any] = []

# --- report (the region's funds-and-projects page and its workbook; docs/domain.md §22 "Figures") ---
urlpatterns += [
    path("", views_report.report, name="report"),
    path("report.xlsx", views_report.report_xlsx, name="report_xlsx"),
]
