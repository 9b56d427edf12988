from __future__ import annotations

from django.contrib import admin

from dixian.common.admin import ReadOnlyAdmin

from .models import Declaration


@admin.register(Declaration)
class DeclarationAdmin(ReadOnlyAdmin):
    list_display = ("reference", "village", "difficulty", "status", "created_at")
    list_filter = ("status", "difficulty")
    raw_id_fields = ("village", "household")
