"""问题整改 (docs/domain.md §25): findings from assessments, inspections and the platform's own checks, their
tasks with owners, deadlines and evidence, and the joint review (联审销号) that closes them."""

from __future__ import annotations

from django.contrib import admin

from .models import Finding, FindingEvent, FindingReviewer, FindingTask, TaskEvidence


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ("title", "source", "category", "region_code", "found_on", "status")
    list_filter = ("source", "status")
    search_fields = ("title", "region_code")
    raw_id_fields = ("region", "raised_by", "parent", "households", "projects")


@admin.register(FindingTask)
class FindingTaskAdmin(admin.ModelAdmin):
    list_display = ("title", "owner_unit", "region_code", "deadline", "status")
    list_filter = ("status",)
    search_fields = ("title", "region_code")
    raw_id_fields = ("finding", "owner_region", "owner_user", "done_by")


@admin.register(TaskEvidence)
class TaskEvidenceAdmin(admin.ModelAdmin):
    list_display = ("name", "task", "content_type", "size", "uploaded_at")
    raw_id_fields = ("task", "uploaded_by")


@admin.register(FindingReviewer)
class FindingReviewerAdmin(admin.ModelAdmin):
    list_display = ("finding", "reviewer", "decision", "decided_at")
    list_filter = ("decision",)
    raw_id_fields = ("finding", "reviewer")


@admin.register(FindingEvent)
class FindingEventAdmin(admin.ModelAdmin):
    list_display = ("finding", "kind", "summary", "actor", "at")
    list_filter = ("kind",)
    raw_id_fields = ("finding", "actor")
