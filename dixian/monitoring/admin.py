"""The admin shows the monitoring history read-only: transitions and attachments are never edited or
deleted, by anyone (docs/domain.md §20)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import CaseAttachment, CaseTransition, ConsistencyFinding, MonitoringCase


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(MonitoringCase)
class MonitoringCaseAdmin(ReadOnlyAdmin):
    list_display = ("id", "household", "episode", "state", "category", "due_on", "identified_on")
    list_filter = ("state", "category")
    raw_id_fields = ("household", "region", "previous")


@admin.register(CaseTransition)
class CaseTransitionAdmin(ReadOnlyAdmin):
    list_display = ("case", "seq", "action", "from_state", "to_state", "on", "actor_name")
    raw_id_fields = ("case",)


@admin.register(CaseAttachment)
class CaseAttachmentAdmin(ReadOnlyAdmin):
    list_display = ("case", "kind", "original_name", "size", "uploaded_at")
    raw_id_fields = ("case", "transition")


@admin.register(ConsistencyFinding)
class ConsistencyFindingAdmin(ReadOnlyAdmin):
    """疑点核查 findings are written by the checks alone (docs/domain.md §20.1): they open, stay and resolve
    with the data, so the admin only shows them."""

    list_display = ("household", "code", "region_code", "first_seen_at", "last_seen_at", "resolved_at")
    list_filter = ("code",)
    raw_id_fields = ("household", "case")
