from __future__ import annotations

from typing import Any

from django.urls import URLPattern

app_name = "environment"
urlpatterns: list[URLPattern | Any] = []
