from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import Fact, FactRefresh, StaleVillage


@admin.register(Fact)
class FactAdmin(admin.ModelAdmin):
    list_display = ["period", "region_code", "code", "dim", "value"]
    list_filter = ["period", "level"]
    search_fields = ["region_code", "code"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # facts are computed (reports/services.py), never edited


@admin.register(StaleVillage)
class StaleVillageAdmin(admin.ModelAdmin):
    list_display = ["region_code", "period", "marked_at"]


@admin.register(FactRefresh)
class FactRefreshAdmin(admin.ModelAdmin):
    list_display = ["finished_at", "scope", "periods", "villages", "rows", "seconds"]
