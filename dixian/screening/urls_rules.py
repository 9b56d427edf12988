from __future__ import annotations

app_name = "rules"
urlpatterns: list = []
