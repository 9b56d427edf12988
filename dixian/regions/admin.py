from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "full_name", "is_key_village", "urban_rural_code", "retired_on")
    list_filter = ("level", "is_key_village", "urban_rural_code", ("retired_on", admin.EmptyFieldListFilter))
    search_fields = ("code", "name", "full_name")
    raw_id_fields = ("parent",)
    readonly_fields = ("prefix",)
    list_select_related = ("parent",)
    ordering = ("code",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Households and accounts carry the code (region_code, scoping prefixes): it never changes in place.
        return ("prefix", "code", "level") if obj is not None else ("prefix",)
