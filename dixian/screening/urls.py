from __future__ import annotations

from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("start/", views.run_start, name="run_start"),
    path("<int:pk>/", views.run_detail, name="run_detail"),
]
