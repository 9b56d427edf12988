from __future__ import annotations

from django.contrib import admin

from dixian.common.admin import ReadOnlyAdmin

from .models import Alert, AlertEvidence, UnmatchedRecord


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("id", "household", "region_code", "risk_code", "grade", "status", "raised_at", "due_date")
    list_filter = ("status", "grade", "risk_code")
    raw_id_fields = ("household", "region")


@admin.register(AlertEvidence)
class AlertEvidenceAdmin(ReadOnlyAdmin):
    list_display = ("id", "alert", "channel", "risk_code", "grade", "feed", "created_at")
    list_filter = ("channel", "feed")
    raw_id_fields = ("alert", "household", "delivery", "declaration", "visit", "run", "rule_version")


@admin.register(UnmatchedRecord)
class UnmatchedRecordAdmin(ReadOnlyAdmin):
    list_display = ("id", "feed", "record_key", "problem", "region_code", "status", "created_at")
    list_filter = ("feed", "problem", "status")
    raw_id_fields = ("delivery", "region", "run")
