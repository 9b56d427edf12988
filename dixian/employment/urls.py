from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from . import views_figures

app_name = "employment"
urlpatterns: list[URLPattern | Any] = []

# ---- the roll and the village's monthly survey (helper survey: views_survey.py) ----

# ---- workbook import and the cross-check with 人社 (helper imports: views_import.py, views_mismatch.py) ----

# ---- key groups, follow-up and 公益性岗位 (helper groups: views_groups.py, views_posts.py) ----

# ---- figures (helper figures: views_figures.py) ----
urlpatterns += [
    path("figures/", views_figures.figures, name="figures"),
    path("figures.xlsx", views_figures.figures_xlsx, name="figures_xlsx"),
]
