from __future__ import annotations

from django.contrib import admin

from dixian.common.admin import ReadOnlyAdmin

from . import models as m


@admin.register(m.FundsPolicy)
class FundsPolicyAdmin(ReadOnlyAdmin):
    list_display = ("year", "industry_share_min", "publicity_days", "updated_at")


@admin.register(m.Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ("doc_no", "year", "level", "region_code", "amount", "direct")
    list_filter = ("year", "level", "direct")


@admin.register(m.Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "year", "kind", "region_code", "state", "budget_total")
    list_filter = ("year", "kind", "state")


@admin.register(m.ProjectBudget)
class ProjectBudgetAdmin(ReadOnlyAdmin):
    list_display = ("project", "level", "amount")
    raw_id_fields = ("project",)


@admin.register(m.ProjectTransition)
class ProjectTransitionAdmin(ReadOnlyAdmin):
    list_display = ("project", "action", "from_state", "to_state", "actor_name", "at")
    raw_id_fields = ("project",)


@admin.register(m.Arrangement)
class ArrangementAdmin(ReadOnlyAdmin):
    list_display = ("allocation", "project", "amount", "arranged_on")
    raw_id_fields = ("allocation", "project")


@admin.register(m.NegativeListVersion)
class NegativeListVersionAdmin(ReadOnlyAdmin):
    list_display = ("number", "valid_from", "note", "created_at")


@admin.register(m.NegativeListItem)
class NegativeListItemAdmin(ReadOnlyAdmin):
    list_display = ("version", "use_category", "rule")


@admin.register(m.Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("project", "paid_on", "amount", "use_category", "payee_category")
    raw_id_fields = ("project",)


@admin.register(m.WorkReliefHire)
class WorkReliefHireAdmin(ReadOnlyAdmin):
    list_display = ("project", "person", "hired_on", "days", "wages_paid")
    raw_id_fields = ("project", "person", "household")


@admin.register(m.Asset)
class AssetAdmin(ReadOnlyAdmin):
    list_display = ("name", "asset_class", "value", "owner_unit", "state")
    list_filter = ("asset_class", "state")
    raw_id_fields = ("project", "household")


@admin.register(m.AssetMaintenance)
class AssetMaintenanceAdmin(ReadOnlyAdmin):
    list_display = ("asset", "done_on", "kind", "cost")
    raw_id_fields = ("asset",)


@admin.register(m.AssetIncome)
class AssetIncomeAdmin(ReadOnlyAdmin):
    list_display = ("asset", "year", "amount")
    raw_id_fields = ("asset",)


@admin.register(m.Distribution)
class DistributionAdmin(ReadOnlyAdmin):
    list_display = ("income", "household", "recipient_name", "period", "amount")
    raw_id_fields = ("income", "household", "person")


@admin.register(m.BusinessEntity)
class BusinessEntityAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "credit_code", "region_code")


@admin.register(m.IndustryBase)
class IndustryBaseAdmin(ReadOnlyAdmin):
    list_display = ("name", "industry", "region_code")


@admin.register(m.BenefitLink)
class BenefitLinkAdmin(ReadOnlyAdmin):
    list_display = ("household", "year", "form", "project", "entity", "base", "benefit")
    raw_id_fields = ("household", "project", "entity", "base")


@admin.register(m.AssetEvent)
class AssetEventAdmin(ReadOnlyAdmin):
    list_display = ("asset", "action", "actor_name", "at")
    raw_id_fields = ("asset",)


@admin.register(m.FundsImportBatch)
class FundsImportBatchAdmin(ReadOnlyAdmin):
    list_display = ("file_name", "region_code", "status", "uploaded_by", "created_at")
    list_filter = ("status",)
