from __future__ import annotations

from django.urls import path

from . import views_linkage as views

app_name = "links"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/decide/", views.decide, name="decide"),
]
