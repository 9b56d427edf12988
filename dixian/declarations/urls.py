from __future__ import annotations

app_name = "declarations"
urlpatterns: list = []
