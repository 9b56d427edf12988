from __future__ import annotations

from django.urls import path

from . import views_api

app_name = "api"
urlpatterns = [
    path("v1/feeds", views_api.feed_list, name="feed_list"),
    path("v1/feeds/<str:code>/deliveries", views_api.delivery_create, name="delivery_create"),
    path("v1/deliveries/<int:pk>", views_api.delivery_get, name="delivery_get"),
    path("openapi.json", views_api.openapi_json, name="openapi"),
    path("docs", views_api.api_docs, name="docs"),
]
