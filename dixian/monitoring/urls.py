from __future__ import annotations

from django.urls import path

from . import views_consistency

app_name = "monitoring"

urlpatterns = [
    path("consistency/", views_consistency.consistency_list, name="consistency"),
]
