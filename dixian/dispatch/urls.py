from __future__ import annotations

from typing import Any

from django.urls import URLPattern

app_name = "dispatch"
urlpatterns: list[URLPattern | Any] = []
