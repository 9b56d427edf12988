from __future__ import annotations

from django.urls import path

from . import views_notices

app_name = "monitoring"

urlpatterns = [
    # Notices (docs/domain.md §20): the village's 公示 (kind: identification / elimination), the township's 公告.
    path("notices/village/<str:code>/<str:kind>/", views_notices.notice_village, name="notice_village"),
    path(
        "notices/village/<str:code>/<str:kind>/docx/",
        views_notices.notice_village_docx,
        name="notice_village_docx",
    ),
    path("notices/township/<str:code>/", views_notices.notice_township, name="notice_township"),
    path(
        "notices/township/<str:code>/docx/", views_notices.notice_township_docx, name="notice_township_docx"
    ),
]
