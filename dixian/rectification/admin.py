from __future__ import annotations

from django.contrib import admin

from .models import Finding


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ("title", "source", "category", "region_code", "found_on", "status")
    list_filter = ("source", "status")
    search_fields = ("title", "region_code")
    raw_id_fields = ("region", "raised_by")
