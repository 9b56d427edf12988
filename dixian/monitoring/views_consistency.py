"""疑点核查: the open findings of the account's scope, per village, each with the link to fix it
(docs/domain.md §20.1)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dixian.accounts.capabilities import Capability, capability_required
from dixian.common.access import region_range_q
from dixian.common.filters import region_picker
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.paging import paginate

from .consistency import RULES
from .findings import finding_rows, finding_scope_for_user
from .forms_consistency import FindingFilterForm

PAGE_SIZE = 50


@capability_required(Capability.CASES_VIEW)
@require_GET
def consistency_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = FindingFilterForm(request.GET, user=user)
    filters = form.filters()
    qs = finding_scope_for_user(user).select_related("household")
    if filters.rule:
        qs = qs.filter(code=filters.rule)
    if filters.region is not None:
        qs = qs.filter(region_range_q(filters.region.prefix))
    page = paginate(
        qs.order_by("region_code", "household_id", "code"), request.GET.get("page"), per_page=PAGE_SIZE
    )
    return render(
        request,
        "monitoring/consistency_list.html",
        {
            "form": form,
            "notices": filters.notices,
            "page": page,
            "groups": finding_rows(page.rows),
            "query": urlencode(filters.params()),
            "picker": region_picker(user, filters.region),
            "rules": RULES,
        },
    )
