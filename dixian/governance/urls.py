from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from . import views

app_name = "governance"
urlpatterns: list[URLPattern | Any] = [
    path("", views.decision_list, name="decision_list"),
    path("new/", views.decision_new, name="decision_new"),
    path("<int:pk>/", views.decision_detail, name="decision_detail"),
    path("<int:pk>/steps/new/", views.step_new, name="step_new"),
    path("<int:pk>/steps/<int:step_pk>/attachment/", views.step_attachment, name="step_attachment"),
    path("<int:pk>/implement/", views.decision_implement, name="decision_implement"),
    path("<int:pk>/close/", views.decision_close, name="decision_close"),
    path("points/", views.points, name="points"),
    path("points/rules/", views.rule_list, name="rule_list"),
    path("points/rules/new/", views.rule_new, name="rule_new"),
    path("points/rules/<int:pk>/toggle/", views.rule_toggle, name="rule_toggle"),
    path("points/households/<int:pk>/", views.household_points, name="household_points"),
    path("points/households/<int:pk>/award/", views.award_new, name="award_new"),
    path("points/households/<int:pk>/redeem/", views.redeem_new, name="redeem_new"),
    path("documents/", views.document_list, name="document_list"),
    path("documents/new/", views.document_new, name="document_new"),
    path("documents/<int:pk>/file/", views.document_file, name="document_file"),
    path("figures/", views.figures_page, name="figures"),
]
