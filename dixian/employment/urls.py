from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from . import (
    views_figures,
    views_groups,
    views_import,
    views_mismatch,
    views_posts,
    views_settings,
    views_survey,
)

app_name = "employment"
urlpatterns: list[URLPattern | Any] = []

# ---- the roll and the village's monthly survey (helper survey: views_survey.py) ----
urlpatterns += [
    path("", views_survey.home, name="home"),
    path("roll/", views_survey.roll_list, name="roll_list"),
    path("roll.xlsx", views_survey.roll_xlsx, name="roll_xlsx"),
    path("survey/", views_survey.survey_start, name="survey_start"),
    path("survey/<str:code>/", views_survey.survey_village, name="survey_village"),
    path("survey/<str:code>/carry/", views_survey.survey_carry, name="survey_carry"),
    path("workers/<int:pk>/", views_survey.worker_form, name="worker_form"),
]

# ---- workbook import and the cross-check with 人社 (helper imports: views_import.py, views_mismatch.py) ----
urlpatterns += [
    path("import/", views_import.import_page, name="import"),
    path("import/template/", views_import.import_template, name="import_template"),
    path("import/<int:pk>/report/", views_import.import_report, name="import_report"),
    path("mismatches/", views_mismatch.mismatch_list, name="mismatches"),
]

# ---- key groups, follow-up and 公益性岗位 (helper groups: views_groups.py, views_posts.py) ----
urlpatterns += [
    path("key-groups/", views_groups.key_groups, name="key_groups"),
    path("key-groups/<int:pk>/", views_groups.key_group_member, name="key_group_member"),
    path("key-groups/<int:pk>/follow-up/", views_groups.follow_up_new, name="follow_up_new"),
    path("posts/", views_posts.post_list, name="posts"),
    path("posts/new/", views_posts.post_new, name="post_new"),
    path("posts/findings/", views_posts.post_findings, name="post_findings"),
    path("posts/<int:pk>/", views_posts.post_detail, name="post_detail"),
    path("posts/<int:pk>/edit/", views_posts.post_edit, name="post_edit"),
    path("posts/<int:pk>/assign/", views_posts.post_assign, name="post_assign"),
    path("holdings/<int:pk>/end/", views_posts.holding_end, name="holding_end"),
    path("holdings/<int:pk>/payments/", views_posts.payment_new, name="payment_new"),
]

# ---- figures (helper figures: views_figures.py) ----
urlpatterns += [
    path("figures/", views_figures.figures, name="figures"),
    path("figures.xlsx", views_figures.figures_xlsx, name="figures_xlsx"),
]

# ---- the city's settings (base year, working age) ----
urlpatterns += [path("settings/", views_settings.settings_page, name="settings")]
