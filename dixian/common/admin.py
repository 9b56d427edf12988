"""The change log and background jobs in the admin: read-only, because they are records of what happened."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AccessLog, ChangeLog, Job, RateLimitHit


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ChangeLog)
class ChangeLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_name", "source", "action", "entity", "entity_id", "household_id", "summary")
    list_filter = ("source", "action", "entity")
    search_fields = ("summary", "actor_name", "reference", "=household_id", "=entity_id")
    date_hierarchy = "at"
    ordering = ("-at", "-id")


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "status", "owner", "progress", "total", "created_at", "finished_at")
    list_filter = ("status", "kind")
    search_fields = ("kind", "message", "owner__username")
    list_select_related = ("owner",)
    ordering = ("-created_at",)


@admin.register(RateLimitHit)
class RateLimitHitAdmin(ReadOnlyAdmin):
    list_display = ("bucket", "at")
    list_filter = ("bucket",)


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    """Read-only like the change log: nobody, the superuser included, edits or deletes a row here
    (docs/security.md §5); the worker's retention job is the only deletion."""

    list_display = ("at", "account_name", "action", "household_id", "record_count", "masked", "path", "ip")
    list_filter = ("action", "masked")
    search_fields = ("account_name", "=household_id", "=region_code")
    date_hierarchy = "at"
    ordering = ("-at", "-id")
