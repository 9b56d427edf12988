from __future__ import annotations

from django.urls import path

from . import (
    views,
    views_assist,
    views_consistency,
    views_deadlines,
    views_elimination,
    views_entry,
    views_notices,
)

app_name = "monitoring"
urlpatterns = [
    path("", views.case_queue, name="case_queue"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/advance/", views.case_advance, name="case_advance"),
    path("<int:pk>/send-back/", views.case_send_back, name="case_send_back"),
    path("<int:pk>/refuse/", views.case_refuse, name="case_refuse"),
    path("<int:pk>/reject-elimination/", views.case_reject_elimination, name="case_reject_elimination"),
    path("<int:pk>/home-check/", views.case_home_check, name="case_home_check"),
    path("<int:pk>/phone/", views.phone_reveal, name="phone_reveal"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment, name="attachment"),
    # What feeds cases (monitoring/entry.py).
    path("propose/", views_entry.alerts_propose, name="alerts_propose"),
    path("unmatched/<int:pk>/register/", views_entry.unmatched_register, name="unmatched_register"),
    # Risk elimination and 回头看 (docs/domain.md §7, §20).
    path("<int:pk>/elimination/", views_elimination.elimination_propose, name="elimination_propose"),
    path("follow-ups/", views_elimination.follow_ups, name="follow_ups"),
    path("follow-ups/<int:pk>/", views_elimination.follow_up_record_view, name="follow_up_record"),
    # Deadlines (docs/domain.md §5, §20).
    path("timeliness/", views_deadlines.timeliness, name="timeliness"),
    path("timeliness/export/", views_deadlines.timeliness_export, name="timeliness_export"),
    path("deadlines/", views_deadlines.deadline_policies, name="deadline_policies"),
    # 帮扶联系人 and 帮扶计划 of a case (一户一策, docs/domain.md §20).
    path("<int:pk>/plan/", views_assist.case_plan, name="case_plan"),
    path("<int:pk>/helpers/assign/", views_assist.helper_assign, name="helper_assign"),
    path("<int:pk>/helpers/<int:assignment_pk>/end/", views_assist.helper_end, name="helper_end"),
    path("<int:pk>/measures/new/", views_assist.measure_new, name="measure_new"),
    path("<int:pk>/measures/<int:measure_pk>/", views_assist.measure_edit, name="measure_edit"),
    path("<int:pk>/measures/<int:measure_pk>/status/", views_assist.measure_status, name="measure_status"),
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
    # 疑点核查 (docs/domain.md §20.1).
    path("consistency/", views_consistency.consistency_list, name="consistency"),
]
