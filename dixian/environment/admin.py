from __future__ import annotations

from django.contrib import admin

from dixian.common.admin import ReadOnlyAdmin

from . import models as m


@admin.register(m.EnvironmentPlan)
class EnvironmentPlanAdmin(ReadOnlyAdmin):
    list_display = ("region_code", "year", "toilets_planned", "natural_villages", "works_planned")
    list_filter = ("year",)
    raw_id_fields = ("village",)


@admin.register(m.WeeklyReport)
class WeeklyReportAdmin(ReadOnlyAdmin):
    list_display = ("region_code", "week", "toilets_upgraded", "toilets_sanitary", "late", "filed_at")
    list_filter = ("year", "late")
    raw_id_fields = ("village",)


@admin.register(m.EnvironmentProject)
class EnvironmentProjectAdmin(ReadOnlyAdmin):
    list_display = ("project", "theme", "corridor", "region_code")
    list_filter = ("theme", "corridor")
    raw_id_fields = ("project",)


@admin.register(m.WeekSum)
class WeekSumAdmin(ReadOnlyAdmin):
    list_display = ("unit_code", "week", "reported", "late", "toilets_upgraded", "toilets_sanitary")
    list_filter = ("year",)
