"""公益性岗位 pages (docs/domain.md §23): the post list, a post's page (its holders, the months paid, and the
forms to assign a holder, end a holding and record a month's pay), the post form, and the findings.

Reads are scoped to the account's subtree (a post or holding out of it answers 404); writes go through
posts.py, whose ValidationError is shown on the form. ID numbers are masked without the personal-data right."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.common.access import may_view_pii, region_range_q, scope_by_region
from dixian.common.filters import dropped_notices, region_picker, resolve_region
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.masking import id_number_shown
from dixian.common.paging import paginate_exact
from dixian.domain import employment as e
from dixian.regions.models import Region
from dixian.registry.models import Person

from . import posts as services
from .forms_groups import AssignForm, EndForm, PaymentForm, PostFilterForm, PostForm
from .models import KeyGroupMember, PostHolding, PostPayment, PublicPost
from .roll import roll

PAGE_SIZE = 50


def _query(request: AuthenticatedHttpRequest) -> str:
    return urlencode([(k, v) for k, vs in request.GET.lists() if k != "page" for v in vs if v])


def posts_for_user(user: Any) -> Any:
    return scope_by_region(user, PublicPost.objects.all())


def _post(request: AuthenticatedHttpRequest, pk: int) -> PublicPost:
    post = posts_for_user(request.user).select_related("region").filter(pk=pk).first()
    if post is None:
        raise Http404("没有找到该公益性岗位")
    return post


def _holding(request: AuthenticatedHttpRequest, pk: int) -> PostHolding:
    holding = (
        scope_by_region(request.user, PostHolding.objects.all())
        .select_related("post", "person")
        .filter(pk=pk)
        .first()
    )
    if holding is None:
        raise Http404("没有找到该聘用记录")
    return holding


# ---- the list ---------------------------------------------------------------------------------------------


@capability_required(Capability.EMPLOYMENT_VIEW)
@require_GET
def post_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = PostFilterForm(request.GET)
    notices = dropped_notices(form)
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    region = resolve_region(user, data.get("region") or [], notices)
    today = timezone.localdate()
    current = PostHolding.objects.filter(post_id=OuterRef("pk"), end__isnull=True)
    qs = posts_for_user(user).annotate(
        holder_name=Subquery(current.values("person__name")[:1]),
        holder_since=Subquery(current.values("start")[:1]),
        held=Exists(current),
    )
    if region is not None:
        qs = qs.filter(region_range_q(region.prefix))
    if data.get("post_type"):
        qs = qs.filter(post_type=data["post_type"])
    state = data.get("state") or ""
    if state == "held":
        qs = qs.filter(held=True)
    elif state == "vacant":
        qs = qs.filter(held=False, term_end__gte=today)
    elif state == "expired":
        qs = qs.filter(term_end__lt=today)
    page = paginate_exact(
        qs.select_related("region").order_by("region_code", "name", "pk"),
        request.GET.get("page"),
        per_page=PAGE_SIZE,
    )
    return render(
        request,
        "employment/posts_list.html",
        {
            "form": form,
            "notices": notices,
            "picker": region_picker(user, region),
            "page": page,
            "query": _query(request),
            "today": today,
            "can_edit": user_can(user, Capability.POSTS_EDIT),
        },
    )


# ---- a post's page ----------------------------------------------------------------------------------------


def _candidates(user: Any, post: PublicPost) -> list[tuple[int, str]]:
    """The workers of the post's village on this month's roll, 弱劳动力 candidates of the key group first
    (docs/domain.md §23), each named with a masked ID number unless the account has the right."""
    pii = may_view_pii(user)
    month = timezone.localdate().replace(day=1)
    weak = KeyGroupMember.objects.filter(person_id=OuterRef("pk"), group=e.WEAK_LABOUR, until__isnull=True)
    rows = (
        roll(month, prefix=post.region_code[:12])
        .annotate(candidate=Exists(weak))
        .order_by("-candidate", "name", "pk")
        .values_list("pk", "name", "id_number", "candidate")
    )
    return [
        (pk, f"{name}({id_number_shown(id_number, pii=pii)}){' · 弱劳动力岗位候选' if candidate else ''}")
        for pk, name, id_number, candidate in rows
    ]


def _detail(
    request: AuthenticatedHttpRequest, post: PublicPost, status: int = 200, **forms: Any
) -> HttpResponse:
    user = request.user
    pii = may_view_pii(user)
    can_edit = user_can(user, Capability.POSTS_EDIT)
    holdings = list(post.holdings.select_related("person").order_by("-start", "-pk"))
    payments: dict[int, list[PostPayment]] = {}
    for p in PostPayment.objects.filter(holding__post=post).order_by("-month"):
        payments.setdefault(p.holding_id, []).append(p)
    current = next((h for h in holdings if h.end is None), None)
    rows = [
        {
            "holding": h,
            "id_number": id_number_shown(h.person.id_number, pii=pii),
            "payments": payments.get(h.pk, []),
            "paid_total": sum((p.amount for p in payments.get(h.pk, [])), start=0),
        }
        for h in holdings
    ]
    today = timezone.localdate()
    context = {
        "post": post,
        "rows": rows,
        "current": current,
        "can_edit": can_edit,
        "assign_form": forms.get("assign_form")
        or (
            AssignForm(candidates=_candidates(user, post), initial={"start": today})
            if can_edit and not current
            else None
        ),
        "end_form": forms.get("end_form") or EndForm(initial={"end": today}),
        "payment_form": forms.get("payment_form")
        or PaymentForm(initial={"month": f"{today:%Y-%m}", "amount": post.monthly_pay, "paid_on": today}),
    }
    return render(request, "employment/post_detail.html", context, status=status)


@capability_required(Capability.EMPLOYMENT_VIEW)
@require_GET
def post_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _post(request, pk))


# ---- the post form ----------------------------------------------------------------------------------------


def _villages(user: Any) -> list[tuple[int, str]]:
    """The villages in use of the account's subtree, named with their township: "义宁镇 / 良塘村"."""
    villages = list(
        scope_by_region(user, Region.objects.in_use(), field="code")
        .filter(level=Region.Level.VILLAGE)
        .order_by("code")
        .values_list("pk", "code", "name")
    )
    townships = dict(
        Region.objects.filter(
            code__in={c[:9] + "000" for _, c, _ in villages}, level=Region.Level.TOWNSHIP
        ).values_list("code", "name")
    )
    return [
        (pk, f"{townships.get(code[:9] + '000', '')} / {name}".lstrip(" /")) for pk, code, name in villages
    ]


def _save(request: AuthenticatedHttpRequest, form: PostForm, post: PublicPost | None) -> PublicPost | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    village = None
    if post is None:
        village = (
            scope_by_region(request.user, Region.objects.all(), field="code")
            .filter(pk=data["village"])
            .first()
        )
    try:
        return services.post_save(
            actor=request.user,
            post=post,
            village=village,
            name=data["name"],
            post_type=data["post_type"],
            funding=data["funding"],
            monthly_pay=data["monthly_pay"],
            term_start=data["term_start"],
            term_end=data["term_end"],
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None


@capability_required(Capability.POSTS_EDIT)
@require_http_methods(["GET", "POST"])
def post_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    villages = _villages(request.user)
    form = PostForm(request.POST or None, villages=villages)
    if request.method == "POST":
        post = _save(request, form, None)
        if post is not None:
            messages.success(request, f"公益性岗位“{post.name}”已登记")
            return redirect("employment:post_detail", pk=post.pk)
    return render(
        request, "employment/post_form.html", {"form": form, "post": None}, status=400 if form.errors else 200
    )


@capability_required(Capability.POSTS_EDIT)
@require_http_methods(["GET", "POST"])
def post_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    initial = {
        "name": post.name,
        "post_type": post.post_type,
        "funding": post.funding,
        "monthly_pay": post.monthly_pay,
        "term_start": post.term_start,
        "term_end": post.term_end,
    }
    form = PostForm(request.POST or None, initial=initial)
    if request.method == "POST":
        saved = _save(request, form, post)
        if saved is not None:
            messages.success(request, "岗位信息已修改")
            return redirect("employment:post_detail", pk=saved.pk)
    return render(
        request, "employment/post_form.html", {"form": form, "post": post}, status=400 if form.errors else 200
    )


# ---- holdings and payments --------------------------------------------------------------------------------


@capability_required(Capability.POSTS_EDIT)
@require_POST
def post_assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    form = AssignForm(request.POST, candidates=_candidates(request.user, post))
    if form.is_valid():
        # The list offers this month's roll of the village; the service checks the start month's roll.
        person = (
            scope_by_region(request.user, Person.objects.all())
            .filter(Q(pk=form.cleaned_data["person"]))
            .select_related("household")
            .first()
        )
        try:
            if person is None:
                raise ValidationError({"person": "请选择本村劳动力名册中的人员"})
            services.holding_assign(
                actor=request.user, post=post, person=person, start=form.cleaned_data["start"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已聘用{person.name}")
            return redirect("employment:post_detail", pk=post.pk)
    return _detail(request, post, 400, assign_form=form)


@capability_required(Capability.POSTS_EDIT)
@require_POST
def holding_end(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    holding = _holding(request, pk)
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            services.holding_end(
                actor=request.user,
                holding=holding,
                end=form.cleaned_data["end"],
                reason=form.cleaned_data["end_reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{holding.person.name}已办理离岗")
            return redirect("employment:post_detail", pk=holding.post_id)
    return _detail(request, holding.post, 400, end_form=form)


@capability_required(Capability.POSTS_EDIT)
@require_POST
def payment_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    holding = _holding(request, pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.payment_record(
                actor=request.user,
                holding=holding,
                month=data["month"],
                amount=data["amount"],
                paid_on=data["paid_on"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{e.month_label(payment.month)}补贴发放已登记")
            return redirect("employment:post_detail", pk=holding.post_id)
    return _detail(request, holding.post, 400, payment_form=form)


# ---- findings ---------------------------------------------------------------------------------------------


@capability_required(Capability.EMPLOYMENT_VIEW)
@require_GET
def post_findings(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = PostFilterForm(request.GET)
    notices = dropped_notices(form)
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    region = resolve_region(user, data.get("region") or [], notices)
    pii = may_view_pii(user)
    found = services.post_findings(user, prefix=region.prefix if region is not None else "")
    villages = dict(
        Region.objects.filter(code__in={f.holding.region_code for f in found}).values_list("code", "name")
    )
    rows = [
        {
            "finding": f,
            "label": services.FINDING_KINDS[f.kind],
            "id_number": id_number_shown(f.holding.person.id_number, pii=pii),
            "village": villages.get(f.holding.region_code, ""),
        }
        for f in found
    ]
    return render(
        request,
        "employment/post_findings.html",
        {"form": form, "notices": notices, "picker": region_picker(user, region), "rows": rows},
    )
