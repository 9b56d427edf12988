"""The admin shows the monitoring history read-only: transitions and attachments are never edited or
deleted, by anyone (docs/domain.md §20)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import (
    CaseAttachment,
    CaseTransition,
    ConsistencyFinding,
    DeadlineDailyCount,
    DeadlinePolicy,
    FollowUpCheck,
    Measure,
    MonitoringCase,
    RiskElimination,
)


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


# Risk elimination, 回头看 and the deadline tables: read-only here too. The elimination and 回头看 are
# written by the lifecycle's services; the limits per region on their audited page
# (monitoring:deadline_policies); the daily counts by the worker (docs/domain.md §20).
@admin.register(RiskElimination)
class RiskEliminationAdmin(ReadOnlyAdmin):
    list_display = ("case", "method", "proposed_on", "approved_on")
    raw_id_fields = ("case",)


@admin.register(FollowUpCheck)
class FollowUpCheckAdmin(ReadOnlyAdmin):
    list_display = ("case", "due_on", "done_on", "result")
    raw_id_fields = ("case", "done_by")


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(ReadOnlyAdmin):
    list_display = ("region", "limit_days", "working_days")
    raw_id_fields = ("region",)


@admin.register(DeadlineDailyCount)
class DeadlineDailyCountAdmin(ReadOnlyAdmin):
    list_display = ("day", "region_code", "open_cases", "due_soon", "overdue")
    list_filter = ("day",)
    raw_id_fields = ("region",)


# Measures are written by the case's pages (monitoring/assistance.py), audited in the household's change
# log; the admin only reads them.
@admin.register(Measure)
class MeasureAdmin(ReadOnlyAdmin):
    list_display = ("case", "category", "item", "status", "start_on", "applied_on", "followed_up_on")
    list_filter = ("category", "status")
    raw_id_fields = ("case", "created_by")


@admin.register(ConsistencyFinding)
class ConsistencyFindingAdmin(ReadOnlyAdmin):
    """疑点核查 findings are written by the checks alone (docs/domain.md §20.1): they open, stay and resolve
    with the data, so the admin only shows them."""

    list_display = ("household", "code", "region_code", "first_seen_at", "last_seen_at", "resolved_at")
    list_filter = ("code",)
    raw_id_fields = ("household", "case")
