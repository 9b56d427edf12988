from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from . import views_allocations, views_assets, views_links, views_payments, views_projects, views_report

app_name = "funds"
urlpatterns: list[URLPattern | Any] = []

# ---- assets, their income and its distribution; 联农带农 (helper C: views_assets.py, views_links.py) ----
urlpatterns += [
    path("assets/", views_assets.asset_list, name="asset_list"),
    path("assets/new/", views_assets.asset_new, name="asset_new"),
    path("assets/<int:pk>/", views_assets.asset_detail, name="asset_detail"),
    path("assets/<int:pk>/maintenance/", views_assets.maintenance_new, name="maintenance_new"),
    path("assets/<int:pk>/income/", views_assets.income_new, name="income_new"),
    path("assets/<int:pk>/disposal/", views_assets.disposal_propose, name="disposal_propose"),
    path("assets/<int:pk>/disposal/decide/", views_assets.disposal_decide, name="disposal_decide"),
    path("incomes/<int:pk>/", views_assets.distribution_list, name="distribution_list"),
    path("incomes/<int:pk>/new/", views_assets.distribution_new, name="distribution_new"),
    path("incomes/<int:pk>/print/", views_assets.distribution_print, name="distribution_print"),
    path("incomes/<int:pk>/xlsx/", views_assets.distribution_xlsx, name="distribution_xlsx"),
    path("distribution-findings/", views_assets.distribution_findings, name="distribution_findings"),
    path("entities/", views_links.entity_list, name="entity_list"),
    path("entities/new/", views_links.entity_new, name="entity_new"),
    path("entities/<int:pk>/", views_links.entity_detail, name="entity_detail"),
    path("bases/", views_links.base_list, name="base_list"),
    path("bases/new/", views_links.base_new, name="base_new"),
    path("bases/<int:pk>/", views_links.base_detail, name="base_detail"),
    path("links/", views_links.link_list, name="link_list"),
    path("links/new/", views_links.link_new, name="link_new"),
    path("links/import/", views_links.link_import, name="link_import"),
]

# ---- allocations, arrangements and the finance office's workbook (helper A) ------------------------------
urlpatterns += [
    path("allocations/", views_allocations.allocation_list, name="allocation_list"),
    path("allocations/new/", views_allocations.allocation_new, name="allocation_new"),
    path("allocations/<int:pk>/", views_allocations.allocation_detail, name="allocation_detail"),
    path("allocations/<int:pk>/arrange/", views_allocations.arrangement_new, name="arrangement_new"),
    path(
        "arrangements/<int:pk>/withdraw/",
        views_allocations.arrangement_withdraw_view,
        name="arrangement_withdraw",
    ),
    path("import/", views_allocations.import_page, name="import"),
    path("import/template/", views_allocations.import_template, name="import_template"),
    path("import/<int:pk>/report/", views_allocations.import_report, name="import_report"),
]

# --- report (the region's funds-and-projects page and its workbook; docs/domain.md §22 "Figures") ---
urlpatterns += [
    path("", views_report.report, name="report"),
    path("report.xlsx", views_report.report_xlsx, name="report_xlsx"),
]

# ---- Projects, payments, the negative list and the county discipline (docs/domain.md §22) ----------------
urlpatterns += [
    path("projects/", views_projects.project_list, name="project_list"),
    path("projects/new/", views_projects.project_new, name="project_new"),
    path("projects/late/", views_projects.late_projects, name="late_projects"),
    path("projects/late/xlsx/", views_projects.late_projects_xlsx, name="late_projects_xlsx"),
    path("projects/<int:pk>/", views_projects.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", views_projects.project_edit, name="project_edit"),
    path("projects/<int:pk>/move/", views_projects.project_move, name="project_move"),
    path("projects/<int:pk>/progress/", views_projects.project_progress, name="project_progress"),
    path("projects/<int:pk>/hires/", views_projects.hire_new, name="hire_new"),
    path("projects/<int:pk>/payments/new/", views_payments.payment_new, name="payment_new"),
    path("payments/", views_payments.payment_list, name="payment_list"),
    path("negative-list/", views_payments.negative_list, name="negative_list"),
    path("negative-list/new/", views_payments.negative_list_new, name="negative_list_new"),
    path("policy/", views_payments.policy, name="policy"),
]
