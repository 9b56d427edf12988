from __future__ import annotations

from typing import Any

from django.urls import URLPattern

app_name = "supervision"
urlpatterns: list[URLPattern | Any] = []
