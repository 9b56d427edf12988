from __future__ import annotations

from django.urls import path

from . import views_rules

app_name = "rules"
urlpatterns = [
    path("", views_rules.rule_list, name="list"),
    path("<str:rule_id>/", views_rules.rule_detail, name="detail"),
    path("<str:rule_id>/edit/", views_rules.rule_edit, name="edit"),
]
