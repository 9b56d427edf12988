from __future__ import annotations

from django.urls import path

from . import views_jobs

app_name = "jobs"
urlpatterns = [
    path("<int:pk>/", views_jobs.job_detail, name="detail"),
    path("<int:pk>/download/", views_jobs.job_download, name="download"),
]
