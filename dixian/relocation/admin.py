from __future__ import annotations

from django.contrib import admin

from dixian.common.admin import ReadOnlyAdmin

from . import models as m


@admin.register(m.RelocationSite)
class RelocationSiteAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "county",
        "region_code",
        "kind",
        "households_planned",
        "persons_planned",
        "service_window",
    )
    list_filter = ("kind", "service_window")


@admin.register(m.SiteHousehold)
class SiteHouseholdAdmin(ReadOnlyAdmin):
    list_display = ("site", "household", "region_code", "moved_in")
    raw_id_fields = ("site", "household")


@admin.register(m.SiteProblem)
class SiteProblemAdmin(ReadOnlyAdmin):
    list_display = ("site", "category", "found_on", "deadline", "resolved_on", "owner")
    list_filter = ("category",)
    raw_id_fields = ("site",)


@admin.register(m.SiteProject)
class SiteProjectAdmin(ReadOnlyAdmin):
    list_display = ("site", "project", "region_code")
    raw_id_fields = ("site", "project")
