from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from . import views

app_name = "dispatch"
urlpatterns: list[URLPattern | Any] = [
    path("", views.week, name="week"),
    path("summary.xlsx", views.summary_xlsx, name="summary_xlsx"),
]
