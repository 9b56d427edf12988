"""Who saw a household's personal data: its rows of the access log (docs/security.md §5).

The household is fetched through the scoped selector (404 outside the administrator's region). The page
lists the views of this household (pages, searches that found it) and the exports whose scope covered its
region: an export keeps one row with its filters, not one per household, so it is listed for every
household of the exported region ("可能包含本户").
"""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dixian.accounts.capabilities import Capability, capability_required
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.models import AccessLog
from dixian.common.paging import paginate
from dixian.common.views_access_log import AccessLogFilterForm, query_string
from dixian.regions.models import Region

from .selectors import household_get_for_user

PAGE_SIZE = 50


def covering_prefixes(code: str) -> list[str]:
    """The code prefixes of every region above (and at) a household's village: an export of any of them
    may include the household."""
    return sorted({code[:n] for n in Region.PREFIX_LENGTH.values() if n <= len(code)} | {code})


@capability_required(Capability.ACCESS_LOG_VIEW)
@require_GET
def household_access_log(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    household = household_get_for_user(request.user, pk)
    form = AccessLogFilterForm(request.GET)
    data, notices = form.filters()
    qs = AccessLog.objects.filter(
        Q(household_id=household.pk)
        | Q(
            household_id=None,
            action=AccessLog.Action.EXPORT,
            region_code__in=covering_prefixes(household.region_code),
        )
    )
    page = paginate(form.apply(qs, data).order_by("-at", "-id"), request.GET.get("page"), per_page=PAGE_SIZE)
    context = {
        "household": household,
        "form": form,
        "notices": notices,
        "page": page,
        "query": query_string(data),
    }
    return render(request, "registry/household_access_log.html", context)
