from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from dixian.common.views import favicon

admin.site.site_header = "底线 · 乡村振兴监测预警平台 后台"
admin.site.site_title = "底线后台"

urlpatterns = [
    path("", include("dixian.registry.urls")),
    path("accounts/", include("dixian.accounts.web.urls")),
    path("jobs/", include("dixian.common.urls")),
    path("access-log/", include("dixian.common.urls_access_log")),
    path("alerts/", include("dixian.cases.urls")),
    path("monitoring/", include("dixian.monitoring.urls")),
    path("visits/", include("dixian.visits.urls")),
    path("declarations/", include("dixian.declarations.urls")),
    path("declare/", include("dixian.declarations.urls_public")),
    path("feeds/", include("dixian.feeds.urls")),
    path("feeds/links/", include("dixian.feeds.urls_linkage")),
    path("api/", include("dixian.feeds.urls_api")),
    path("api/", include("dixian.monitoring.urls_api")),
    path("screening/", include("dixian.screening.urls")),
    path("rules/", include("dixian.screening.urls_rules")),
    path("reports/", include("dixian.reports.urls")),
    path("funds/", include("dixian.funds.urls")),
    path("employment/", include("dixian.employment.urls")),
    path("relocation/", include("dixian.relocation.urls")),
    path("rectification/", include("dixian.rectification.urls")),
    path("environment/", include("dixian.environment.urls")),
    path("supervision/", include("dixian.supervision.urls")),
    path("governance/", include("dixian.governance.urls")),
    path("dispatch/", include("dixian.dispatch.urls")),
    path("captcha/", include("dixian.declarations.urls_captcha")),
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon, name="favicon"),
]

handler400 = "dixian.common.views.bad_request"
handler404 = "dixian.common.views.page_not_found"
handler403 = "dixian.common.views.permission_denied"
handler500 = "dixian.common.views.server_error"
