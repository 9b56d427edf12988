from __future__ import annotations

from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.alert_queue, name="alert_queue"),
    path("export/", views.alert_export, name="alert_export"),
    path("bulk/", views.alert_bulk, name="alert_bulk"),
    path("<int:pk>/", views.alert_detail, name="alert_detail"),
    path("<int:pk>/status/", views.alert_status, name="alert_status"),
    path("unmatched/", views.unmatched_list, name="unmatched_list"),
    path("deliveries/<int:pk>/", views.delivery_rows, name="delivery_rows"),
    path("unmatched/<int:pk>/close/", views.unmatched_close, name="unmatched_close"),
]
