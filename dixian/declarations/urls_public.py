from __future__ import annotations

app_name = "declare"
urlpatterns: list = []
