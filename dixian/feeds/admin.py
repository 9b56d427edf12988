from __future__ import annotations

from django.contrib import admin

from dixian.common.admin import ReadOnlyAdmin

from .models import ApiToken, FeedDelivery, LinkCandidate


@admin.register(FeedDelivery)
class FeedDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "feed",
        "period",
        "channel",
        "source",
        "region",
        "row_count",
        "status",
        "created_at",
    )
    list_filter = ("feed", "status", "channel")
    search_fields = ("file_name", "checksum")
    list_select_related = ("source", "region")


@admin.register(LinkCandidate)
class LinkCandidateAdmin(ReadOnlyAdmin):
    list_display = ("id", "feed", "record_key", "name", "match_probability", "status", "decided_by")
    list_filter = ("status", "feed")
    raw_id_fields = ("person", "delivery")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "key_prefix", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("user",)
