"""Key-group pages (重点群体, docs/domain.md §23): the list by group (tabs) with each member's entry, last
follow-up and the overdue flag — `?state=overdue` is the finding 超期未跟进 —, a member's page with its
follow-ups, and the follow-up form.

Every read is scoped to the account's subtree (a member out of it answers 404); ID numbers and the first job's
employer are personal data, masked without the personal-data right (docs/security.md §1)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.common.access import may_view_pii, region_range_q, scope_by_region
from dixian.common.filters import dropped_notices, region_picker, resolve_region
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.masking import id_number_shown, text_shown, work_shown
from dixian.common.paging import paginate_exact
from dixian.domain import employment as e
from dixian.regions.models import Region

from .forms_groups import STATES, FollowUpForm, KeyGroupFilterForm
from .keygroups import follow_up_record, is_overdue, overdue_q
from .models import Employment, KeyGroupMember

PAGE_SIZE = 50


def _query(request: AuthenticatedHttpRequest, drop: tuple[str, ...] = ("page",)) -> str:
    return urlencode([(k, v) for k, vs in request.GET.lists() if k not in drop for v in vs if v])


def members_for_user(user: Any) -> Any:
    return scope_by_region(user, KeyGroupMember.objects.all())


def _village_names(codes: set[str]) -> dict[str, str]:
    return dict(Region.objects.filter(code__in={c[:12] for c in codes}).values_list("code", "name"))


def _first_jobs(rows: list[KeyGroupMember], pii: bool) -> dict[int, str]:
    """The first job of each 雨露计划 graduate of `rows` who found one: the record of the month it left the
    group (one query)."""
    wanted = {
        (m.person_id, m.until): m.pk for m in rows if m.group == e.YULU_GRADUATE and m.until is not None
    }
    if not wanted:
        return {}
    tiers, channels = dict(e.choices("place_tier")), dict(e.choices("channel"))
    found: dict[int, str] = {}
    records = Employment.objects.filter(
        person_id__in={p for p, _ in wanted}, month__in={m for _, m in wanted}, working=True
    ).values_list("person_id", "month", "place_tier", "channel", "employer")
    for person_id, month, tier, channel, employer in records:
        pk = wanted.get((person_id, month))
        if pk is not None:
            where = work_shown(employer, pii=pii)
            parts = [e.month_label(month), tiers.get(tier, ""), channels.get(channel, ""), where]
            found[pk] = " ".join(p for p in parts if p)
    return found


@capability_required(Capability.EMPLOYMENT_VIEW)
@require_GET
def key_groups(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = KeyGroupFilterForm(request.GET)
    notices = dropped_notices(form)
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    region = resolve_region(user, data.get("region") or [], notices)
    group = data.get("group") or ""
    state = data.get("state") or "open"
    today = timezone.localdate()
    scoped = members_for_user(user)
    if region is not None:
        scoped = scoped.filter(region_range_q(region.prefix))
    overdue = overdue_q(today)
    counts = {
        row["group"]: row
        for row in scoped.filter(until__isnull=True)
        .values("group")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=overdue))
        .order_by()
    }
    tabs = [
        {
            "code": code,
            "label": label,
            "open": counts.get(code, {}).get("open", 0),
            "overdue": counts.get(code, {}).get("overdue", 0),
        }
        for code, label in [("", "全部重点群体"), *e.KEY_GROUPS.items()]
    ]
    tabs[0]["open"] = sum(t["open"] for t in tabs[1:])
    tabs[0]["overdue"] = sum(t["overdue"] for t in tabs[1:])
    qs = scoped.filter(group=group) if group else scoped
    if state == "open":
        qs = qs.filter(until__isnull=True)
    elif state == "overdue":
        qs = qs.filter(overdue)
    elif state == "closed":
        qs = qs.filter(until__isnull=False)
    page = paginate_exact(
        qs.select_related("person").order_by("region_code", "person__name", "group", "-since", "pk"),
        request.GET.get("page"),
        per_page=PAGE_SIZE,
    )
    rows: list[KeyGroupMember] = list(page)
    pii = may_view_pii(user)
    villages = _village_names({m.region_code for m in rows})
    jobs = _first_jobs(rows, pii)
    items = [
        {
            "member": m,
            "id_number": id_number_shown(m.person.id_number, pii=pii),
            "village": villages.get(m.region_code[:12], ""),
            "overdue": is_overdue(m, today),
            "first_job": jobs.get(m.pk, ""),
        }
        for m in rows
    ]
    return render(
        request,
        "employment/key_groups.html",
        {
            "form": form,
            "notices": notices,
            "picker": region_picker(user, region),
            "page": page,
            "items": items,
            "tabs": tabs,
            "group": group,
            "state": state,
            "states": STATES,
            "query": _query(request),
            "tab_query": _query(request, ("page", "group")),
            "state_query": _query(request, ("page", "state")),
            "follow_up_days": e.FOLLOW_UP_DAYS,
            "show_first_job": group in ("", e.YULU_GRADUATE),
        },
    )


def _member(request: AuthenticatedHttpRequest, pk: int) -> KeyGroupMember:
    member = members_for_user(request.user).select_related("person", "household").filter(pk=pk).first()
    if member is None:
        raise Http404("没有找到该重点群体人员")
    return member


def _member_page(
    request: AuthenticatedHttpRequest,
    member: KeyGroupMember,
    form: FollowUpForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    pii = may_view_pii(user)
    jobs = _first_jobs([member], pii)
    follow_ups = list(member.follow_ups.select_related("recorded_by").order_by("-on", "-pk"))
    for f in follow_ups:  # a free text may quote ID or phone numbers (docs/security.md §1)
        f.detail_shown = text_shown(f.detail, pii=pii)  # type: ignore[attr-defined]  # shown, never saved
    return render(
        request,
        "employment/key_group_member.html",
        {
            "member": member,
            "id_number": id_number_shown(member.person.id_number, pii=pii),
            "village": _village_names({member.region_code}).get(member.region_code[:12], ""),
            "overdue": is_overdue(member),
            "first_job": jobs.get(member.pk, ""),
            "follow_ups": follow_ups,
            "can_follow_up": user_can(user, Capability.EMPLOYMENT_FOLLOW_UP) and member.until is None,
            "form": form or FollowUpForm(initial={"on": timezone.localdate()}),
            "follow_up_days": e.FOLLOW_UP_DAYS,
        },
        status=status,
    )


@capability_required(Capability.EMPLOYMENT_VIEW)
@require_GET
def key_group_member(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _member_page(request, _member(request, pk))


@capability_required(Capability.EMPLOYMENT_FOLLOW_UP)
@require_POST
def follow_up_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            follow_up_record(
                actor=request.user, member=member, kind=data["kind"], on=data["on"], detail=data["detail"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "跟踪帮扶已记录")
            return redirect("employment:key_group_member", pk=member.pk)
    return _member_page(request, member, form, status=400)


def overdue_count(user: Any) -> int:
    """Open members of the account's subtree with no follow-up for FOLLOW_UP_DAYS (a landing page's badge)."""
    return members_for_user(user).filter(overdue_q()).count()
