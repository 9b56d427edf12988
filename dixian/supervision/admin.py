from __future__ import annotations

from django.contrib import admin

from dixian.common.admin import ReadOnlyAdmin

from . import models as m


@admin.register(m.CountyLeader)
class CountyLeaderAdmin(ReadOnlyAdmin):
    list_display = ("name", "post", "county", "start_on", "end_on")
    raw_id_fields = ("county",)


@admin.register(m.AssistUnit)
class AssistUnitAdmin(ReadOnlyAdmin):
    list_display = ("unit", "village", "start_on", "end_on")
    raw_id_fields = ("village",)


@admin.register(m.StationedStaff)
class StationedStaffAdmin(ReadOnlyAdmin):
    # The phone is left out: the admin's lists do not mask (docs/security.md §1).
    list_display = ("name", "role", "unit", "village", "start_on", "end_on")
    list_filter = ("role",)
    raw_id_fields = ("village",)
    exclude = ("phone",)


@admin.register(m.Expert)
class ExpertAdmin(ReadOnlyAdmin):
    list_display = ("name", "field", "unit", "region", "active")
    list_filter = ("field", "active")
    raw_id_fields = ("region",)


@admin.register(m.SupervisionVisit)
class SupervisionVisitAdmin(ReadOnlyAdmin):
    list_display = ("kind", "topic", "region_code", "planned_on", "done_on", "findings_count")
    list_filter = ("kind",)
    raw_id_fields = ("region", "leaders", "experts")


@admin.register(m.VisitFinding)
class VisitFindingAdmin(ReadOnlyAdmin):
    list_display = ("visit", "seq", "finding", "region_code")
    raw_id_fields = ("visit", "finding")
