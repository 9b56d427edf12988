from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from . import views_survey

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

# ---- key groups, follow-up and 公益性岗位 (helper groups: views_groups.py, views_posts.py) ----

# ---- figures (helper figures: views_figures.py) ----
