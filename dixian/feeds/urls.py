from __future__ import annotations

from django.urls import path

from . import views

app_name = "feeds"
urlpatterns = [
    path("", views.delivery_list, name="delivery_list"),
    path("upload/", views.upload, name="upload"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery_detail"),
    path("deliveries/<int:pk>/report.xlsx", views.delivery_report, name="delivery_report"),
    path("catalogue/", views.catalogue_page, name="catalogue"),
    path("template.xlsx", views.template_download, name="template"),
    path("tokens/", views.tokens, name="tokens"),
]
