from __future__ import annotations

from django.contrib import admin

from dixian.common.admin import ReadOnlyAdmin

from .models import Rule, RuleVersion, ScreeningRun


# Rules are edited on the rules page (every edit makes a new version); the admin only shows them.
@admin.register(Rule)
class RuleAdmin(ReadOnlyAdmin):
    list_display = ("rule_id", "name", "logic", "is_active")


@admin.register(RuleVersion)
class RuleVersionAdmin(ReadOnlyAdmin):
    list_display = (
        "rule",
        "version",
        "region_prefix",
        "risk_code",
        "grade",
        "valid_from",
        "valid_to",
        "created_at",
    )
    list_filter = ("rule",)
    list_select_related = ("rule",)


@admin.register(ScreeningRun)
class ScreeningRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "period",
        "trigger",
        "mode",
        "status",
        "alerts_new",
        "evidence_new",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "trigger", "mode")
