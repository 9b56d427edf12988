"""The monitoring case API's URLs (dixian.monitoring.api), mounted under /api/ next to the push API's."""

from __future__ import annotations

from django.urls import path

from . import api

app_name = "cases_api"
urlpatterns = [
    path("v1/cases/<pk>", api.case_get_view, name="case_get"),
    path("v1/cases/<pk>/advance", api.case_advance_view, name="case_advance"),
    path("v1/cases/<pk>/send-back", api.case_send_back_view, name="case_send_back"),
    path("v1/cases/<pk>/refuse", api.case_refuse_view, name="case_refuse"),
]
