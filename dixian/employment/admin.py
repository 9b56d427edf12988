from __future__ import annotations

from django.contrib import admin

from dixian.common.admin import ReadOnlyAdmin

from . import models as m


@admin.register(m.EmploymentPolicy)
class EmploymentPolicyAdmin(ReadOnlyAdmin):
    list_display = ("valid_from", "base_year", "age_min", "age_max", "updated_at")


@admin.register(m.DepartmentFact)
class DepartmentFactAdmin(ReadOnlyAdmin):
    list_display = ("person", "kind", "on", "region_code", "delivery")
    list_filter = ("kind",)
    raw_id_fields = ("person", "delivery")


@admin.register(m.SurveyImport)
class SurveyImportAdmin(ReadOnlyAdmin):
    list_display = ("file_name", "region_code", "status", "rows_total", "created", "replaced", "created_at")
    list_filter = ("status",)


@admin.register(m.Employment)
class EmploymentAdmin(ReadOnlyAdmin):
    list_display = ("person", "month", "working", "place_tier", "channel", "region_code", "source")
    list_filter = ("working", "place_tier", "channel", "source")
    raw_id_fields = ("person", "household", "batch")


@admin.register(m.EmploymentCount)
class EmploymentCountAdmin(ReadOnlyAdmin):
    list_display = ("month", "region_code", "working", "place_tier", "channel", "n")
    list_filter = ("working", "place_tier", "channel")


@admin.register(m.KeyGroupMember)
class KeyGroupMemberAdmin(ReadOnlyAdmin):
    list_display = ("person", "group", "since", "until", "region_code", "last_follow_up")
    list_filter = ("group",)
    raw_id_fields = ("person", "household")


@admin.register(m.FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ("member", "kind", "on", "region_code")
    list_filter = ("kind",)
    raw_id_fields = ("member",)


@admin.register(m.PublicPost)
class PublicPostAdmin(ReadOnlyAdmin):
    list_display = ("name", "region_code", "post_type", "funding", "monthly_pay", "term_start", "term_end")
    list_filter = ("post_type", "funding")


@admin.register(m.PostHolding)
class PostHoldingAdmin(ReadOnlyAdmin):
    list_display = ("post", "person", "start", "end", "region_code")
    raw_id_fields = ("post", "person", "household")


@admin.register(m.PostPayment)
class PostPaymentAdmin(ReadOnlyAdmin):
    list_display = ("holding", "month", "amount", "paid_on", "region_code")
    raw_id_fields = ("holding",)
