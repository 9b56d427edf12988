from __future__ import annotations

app_name = "links"
urlpatterns: list = []
