from __future__ import annotations

from django.urls import path

from . import views

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
]
