from __future__ import annotations

from django.urls import path

from . import api

app_name = "api"
urlpatterns = [
    path("v1/feeds", api.feed_list_view, name="feed_list"),
    path("v1/feeds/<str:code>/deliveries", api.delivery_create, name="delivery_create"),
    path("v1/deliveries/<pk>", api.delivery_get_view, name="delivery_get"),
    path("openapi.json", api.openapi_json, name="openapi"),
    path("docs", api.api_docs, name="docs"),
]
