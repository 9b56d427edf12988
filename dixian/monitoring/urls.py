from __future__ import annotations

from django.urls import path

from . import views_assist

app_name = "monitoring"
urlpatterns = [
    # 帮扶联系人 and 帮扶计划 of a case (一户一策, docs/domain.md §20).
    path("<int:pk>/plan/", views_assist.case_plan, name="case_plan"),
    path("<int:pk>/helpers/assign/", views_assist.helper_assign, name="helper_assign"),
    path("<int:pk>/helpers/<int:assignment_pk>/end/", views_assist.helper_end, name="helper_end"),
    path("<int:pk>/measures/new/", views_assist.measure_new, name="measure_new"),
    path("<int:pk>/measures/<int:measure_pk>/", views_assist.measure_edit, name="measure_edit"),
    path("<int:pk>/measures/<int:measure_pk>/status/", views_assist.measure_status, name="measure_status"),
]
