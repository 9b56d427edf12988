from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from . import views_import, views_mismatch

app_name = "employment"
urlpatterns: list[URLPattern | Any] = []

# ---- the roll and the village's monthly survey (helper survey: views_survey.py) ----

# ---- workbook import and the cross-check with 人社 (helper imports: views_import.py, views_mismatch.py) ----
urlpatterns += [
    path("import/", views_import.import_page, name="import"),
    path("import/template/", views_import.import_template, name="import_template"),
    path("import/<int:pk>/report/", views_import.import_report, name="import_report"),
    path("mismatches/", views_mismatch.mismatch_list, name="mismatches"),
]

# ---- key groups, follow-up and 公益性岗位 (helper groups: views_groups.py, views_posts.py) ----

# ---- figures (helper figures: views_figures.py) ----
