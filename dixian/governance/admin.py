from __future__ import annotations

from django.contrib import admin

from dixian.common.admin import ReadOnlyAdmin

from . import models as m


@admin.register(m.Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ("title", "region_code", "category", "status", "steps_done", "missing", "next_due_on")
    list_filter = ("category", "status")
    raw_id_fields = ("region",)


@admin.register(m.DecisionStep)
class DecisionStepAdmin(ReadOnlyAdmin):
    list_display = ("decision", "step", "held_on", "attending", "votes_for")
    list_filter = ("step",)
    raw_id_fields = ("decision",)


@admin.register(m.PointsRule)
class PointsRuleAdmin(ReadOnlyAdmin):
    list_display = ("item", "region_code", "points", "active")
    list_filter = ("active",)
    raw_id_fields = ("region",)


@admin.register(m.PointsAward)
class PointsAwardAdmin(ReadOnlyAdmin):
    list_display = ("household", "region_code", "points", "reason", "awarded_on")
    raw_id_fields = ("household", "rule")


@admin.register(m.PointsRedemption)
class PointsRedemptionAdmin(ReadOnlyAdmin):
    list_display = ("household", "region_code", "item", "points", "redeemed_on")
    raw_id_fields = ("household",)


@admin.register(m.VillageDocument)
class VillageDocumentAdmin(ReadOnlyAdmin):
    list_display = ("title", "region_code", "kind", "adopted_on")
    list_filter = ("kind",)
    raw_id_fields = ("region",)
