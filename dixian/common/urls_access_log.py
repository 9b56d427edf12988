from __future__ import annotations

from django.urls import path

from . import views_access_log

app_name = "access_log"
urlpatterns = [
    path("", views_access_log.access_log_list, name="list"),
    path("accounts/<int:pk>/", views_access_log.access_log_account, name="account"),
]
