from __future__ import annotations

app_name = "screening"
urlpatterns: list = []
