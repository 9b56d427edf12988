"""The county reviewer's queue of probabilistic links (概率匹配复核).

A feed record without a usable ID number that Splink placed between the two thresholds waits here, shown
next to the registry person it probably is. County reviewers and county/city administrators see the
candidates whose person lies in their region (Capability.LINKS_REVIEW; 403 for other accounts, 404 for a candidate out of scope);
ID numbers and phones are masked, and birth dates read as ages, unless the account may see personal data.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dixian.accounts.capabilities import Capability, capability_required
from dixian.common.access import may_view_pii
from dixian.common.access_log import log_access
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.masking import (
    birth_date_label,
    birth_date_shown,
    birth_dates_compared,
    id_number_shown,
    phone_shown,
    record_key_shown,
)
from dixian.common.paging import paginate_exact

from .labels import record_key_text
from .linkage_store import (
    link_candidate_decide,
    link_candidate_get_for_user,
    link_candidates_for_user,
)
from .models import LinkCandidate

PAGE_SIZE = 20


def _row(c: LinkCandidate, pii: bool) -> dict[str, Any]:
    """What the page shows of one candidate: the feed record next to the registry person. Without the
    right the birth dates read as ages, with how far apart they are (docs/security.md §1)."""
    person = c.person
    household = person.household
    today = timezone.localdate()
    return {
        "candidate": c,
        "record": {
            "feed": c.get_feed_display(),
            "period": c.delivery.period_label,
            "record_key": record_key_text(c.feed, record_key_shown(c.feed, c.record_key, pii=pii)),
            "name": c.name,
            "id_number": id_number_shown(c.id_number_raw, pii=pii),
            "sex": c.sex,
            "birth_date": birth_date_shown(c.birth_date, pii=pii, today=today),
            "village": c.village,
        },
        "person": {
            "name": person.name,
            "id_number": id_number_shown(person.id_number, pii=pii),
            "sex": person.get_sex_display(),
            "birth_date": birth_date_shown(person.birth_date, pii=pii, today=today),
            "village": household.region.full_name or household.region.name,
            "household_no": household.household_no,
            "household_pk": household.pk,
            "phone": phone_shown(person.phone, pii=pii),
        },
        "birth_label": birth_date_label(pii=pii),
        "birth_compared": birth_dates_compared(c.birth_date, person.birth_date, pii=pii),
        "percent": round(c.match_probability * 100, 1),
        "method": c.link_method.text,  # a namesake one edit away says which digit (docs/feeds.md §五)
    }


@capability_required(Capability.LINKS_REVIEW)
@require_GET
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    qs = link_candidates_for_user(request.user).order_by("-match_probability", "feed", "record_key", "pk")
    page = paginate_exact(qs, request.GET.get("page"), per_page=PAGE_SIZE)
    pii = may_view_pii(request.user)
    if page.object_list:
        log_access(
            request,
            count=len(page.object_list),
            scope="匹配复核队列",
            fields=("name", "id_number", "phone", "record"),
        )
    return render(
        request,
        "feeds/links/queue.html",
        {"page": page, "rows": [_row(c, pii) for c in page.object_list]},
    )


# htmx swaps only 2xx answers: a refused decision answers 200 with the card and the reason in it.
@capability_required(Capability.LINKS_REVIEW)
@require_POST
def decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    candidate = link_candidate_get_for_user(request.user, pk)
    decision = request.POST.get("decision")
    if decision not in ("accept", "reject"):
        message = "请选择“是同一人”或“不是同一人”后再提交"
        if request.htmx:
            return render(
                request,
                "feeds/links/partials/_candidate.html",
                {"row": _row(candidate, may_view_pii(request.user)), "error": message},
            )
        messages.error(request, message)
        return redirect("links:queue")
    try:
        link_candidate_decide(actor=request.user, candidate=candidate, accept=decision == "accept")
    except ValidationError as exc:
        text = "；".join(exc.messages)
        candidate.refresh_from_db()  # show the decision already taken
        if request.htmx:
            return render(
                request,
                "feeds/links/partials/_candidate.html",
                {"row": _row(candidate, may_view_pii(request.user)), "error": text},
            )
        messages.error(request, text)
        return redirect("links:queue")
    candidate.refresh_from_db()
    done = (
        "已确认为同一人,该条记录将重新筛查" if decision == "accept" else "已否决,该条记录将列入应纳未纳核查"
    )
    if request.htmx:
        return render(
            request,
            "feeds/links/partials/_candidate.html",
            {"row": _row(candidate, may_view_pii(request.user)), "done": done},
        )
    messages.success(
        request,
        f"{candidate.name}({candidate.get_feed_display()}记录 "
        f"{record_key_text(candidate.feed, record_key_shown(candidate.feed, candidate.record_key, pii=may_view_pii(request.user)))}):{done}",
    )
    return redirect("links:queue")
