from django.contrib import admin

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "full_name", "is_key_village")
    list_filter = ("level", "is_key_village")
    search_fields = ("code", "name", "full_name")
    raw_id_fields = ("parent",)
