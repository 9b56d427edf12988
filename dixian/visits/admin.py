from __future__ import annotations

from django.contrib import admin

from dixian.common.admin import ReadOnlyAdmin

from .models import Visit, VisitPhoto


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ("id", "household", "visit_date", "visitor", "method", "risks")
    list_filter = ("method",)
    raw_id_fields = ("household",)


@admin.register(VisitPhoto)
class VisitPhotoAdmin(ReadOnlyAdmin):
    list_display = ("id", "visit", "created_at")
    raw_id_fields = ("visit",)
