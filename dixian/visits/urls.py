from __future__ import annotations

app_name = "visits"
urlpatterns: list = []
