"""联农带农 pages (docs/domain.md §22): business entities and industry bases (list, page, new), the households a
source links (one at a time or a workbook per source), and the list of links with its distinct household
counts. Reads through the scoped selectors (404 outside the subtree); writes through links.py."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.common.access import region_range_q, scope_by_region
from dixian.common.filters import dropped_notices, region_picker, resolve_region
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.paging import paginate_exact
from dixian.regions.models import Region

from . import links as services
from .forms_assets import BaseForm, EntityForm, LinkFilterForm, LinkForm, LinkImportForm, SourceFilterForm
from .models import BenefitLink, BusinessEntity, IndustryBase, Project
from .selectors_links import EX_POOR_OR_MONITORED, bases_for_user, entities_for_user

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _query(request: AuthenticatedHttpRequest) -> str:
    return urlencode([(k, v) for k, vs in request.GET.lists() if k != "page" for v in vs if v])


def _filtered_sources[M: BusinessEntity | IndustryBase](
    request: AuthenticatedHttpRequest, qs: QuerySet[M]
) -> tuple[SourceFilterForm, list[str], Region | None, QuerySet[M]]:
    form = SourceFilterForm(request.GET)
    notices = dropped_notices(form)
    data = getattr(form, "cleaned_data", {})
    region = resolve_region(request.user, data.get("region") or [], notices)
    if region is not None:
        qs = qs.filter(region_range_q(region.prefix))
    if data.get("kind") and qs.model is BusinessEntity:
        qs = qs.filter(kind=data["kind"])
    # Distinct households each source links (all years): computed, never typed.
    qs = qs.annotate(linked=Count("benefit_links__household", distinct=True)).select_related("region")
    return form, notices, region, qs.order_by("region_code", "name", "pk")


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def entity_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, notices, region, qs = _filtered_sources(request, entities_for_user(request.user))
    return render(
        request,
        "funds/links_entity_list.html",
        {
            "form": form,
            "notices": notices,
            "picker": region_picker(request.user, region),
            "page": paginate_exact(qs, request.GET.get("page"), per_page=PAGE_SIZE),
            "query": _query(request),
            "can_edit": user_can(request.user, Capability.PROJECTS_EDIT),
        },
    )


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def base_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, notices, region, qs = _filtered_sources(request, bases_for_user(request.user))
    return render(
        request,
        "funds/links_base_list.html",
        {
            "form": form,
            "notices": notices,
            "picker": region_picker(request.user, region),
            "page": paginate_exact(qs, request.GET.get("page"), per_page=PAGE_SIZE),
            "query": _query(request),
            "can_edit": user_can(request.user, Capability.PROJECTS_EDIT),
        },
    )


def _region_of(request: AuthenticatedHttpRequest, ids: list[int], form: Any) -> Region | None:
    notices: list[str] = []
    region = resolve_region(request.user, ids, notices)
    if region is None and not notices and request.user.region is not None and ids:
        region = request.user.region  # the account's own unit chosen
    if region is None:
        form.add_error("region", notices[0] if notices else "请选择所在地")
    return region


@capability_required(Capability.PROJECTS_EDIT)
@require_http_methods(["GET", "POST"])
def entity_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = EntityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region = _region_of(request, data["region"], form)
        if region is not None:
            try:
                entity = services.entity_create(
                    actor=request.user,
                    name=data["name"],
                    kind=data["kind"],
                    credit_code=data["credit_code"],
                    region=region,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"经营主体“{entity.name}”已登记")
                return redirect("funds:entity_detail", pk=entity.pk)
    return render(
        request,
        "funds/links_source_form.html",
        {"form": form, "title": "登记经营主体", "picker": region_picker(request.user, None)},
    )


@capability_required(Capability.PROJECTS_EDIT)
@require_http_methods(["GET", "POST"])
def base_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = BaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region = _region_of(request, data["region"], form)
        if region is not None:
            try:
                base = services.base_create(
                    actor=request.user,
                    name=data["name"],
                    industry=data["industry"],
                    area_mu=data["area_mu"],
                    region=region,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"产业基地“{base.name}”已登记")
                return redirect("funds:base_detail", pk=base.pk)
    return render(
        request,
        "funds/links_source_form.html",
        {"form": form, "title": "登记产业基地", "picker": region_picker(request.user, None)},
    )


def _source_get(request: AuthenticatedHttpRequest, kind: str, pk: int) -> services.Source:
    """The project, entity or base inside the account's subtree (404 otherwise)."""
    model: Any = {"project": Project, "entity": BusinessEntity, "base": IndustryBase}.get(kind)
    if model is None:
        raise Http404("未知的带动主体")
    found = scope_by_region(request.user, model.objects.all()).filter(pk=pk).first()
    if found is None:
        raise Http404("该项目、主体或基地不存在或不在您的管辖范围内")
    return found


def _source_url(source: services.Source) -> str:
    kind = services.source_kind(source)
    if kind == "entity":
        return reverse("funds:entity_detail", args=[source.pk])
    if kind == "base":
        return reverse("funds:base_detail", args=[source.pk])
    return reverse("funds:link_import") + f"?source=project&pk={source.pk}"


def _source_page(
    request: AuthenticatedHttpRequest,
    source: services.Source,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    user = request.user
    kind = services.source_kind(source)
    links = scope_by_region(user, BenefitLink.objects.filter(**{kind: source}))
    counts = links.aggregate(
        households=Count("household", distinct=True),
        weak=Count("household", distinct=True, filter=EX_POOR_OR_MONITORED),
    )
    initial = {"source": kind, "source_pk": source.pk}
    context = {
        "source": source,
        "kind": kind,
        "kind_label": services.SOURCE_KINDS[kind],
        "page": paginate_exact(
            links.select_related("household").order_by("-year", "household__household_no", "form"),
            request.GET.get("page"),
            per_page=PAGE_SIZE,
        ),
        "query": _query(request),
        "counts": counts,
        "can_edit": user_can(user, Capability.PROJECTS_EDIT),
        "link_form": extra.get("link_form") or LinkForm(initial=initial),
        "import_form": extra.get("import_form") or LinkImportForm(initial=initial),
        "refused": extra.get("refused"),
        "report_b64": extra.get("report_b64", ""),
    }
    return render(request, "funds/links_source_detail.html", context, status=status)


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def entity_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _source_page(request, _source_get(request, "entity", pk))


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def base_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _source_page(request, _source_get(request, "base", pk))


def _pk(raw: str | None) -> int:
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        raise Http404("未知的带动主体") from None
    if not 0 < value < 2**63:
        raise Http404("未知的带动主体")
    return value


@capability_required(Capability.PROJECTS_EDIT)
@require_POST
def link_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    source = _source_get(request, request.POST.get("source", ""), _pk(request.POST.get("source_pk")))
    form = LinkForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            link = services.link_record(
                actor=request.user,
                source=source,
                household_no=data["household_no"],
                year=data["year"],
                form=data["form"],
                benefit=data["benefit"] or services.Decimal("0"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"已登记:{link.household.head_name}户 {link.year}年 {link.get_form_display()}"
            )
            return redirect(_source_url(source))
    return _source_page(request, source, 400, link_form=form)


@capability_required(Capability.PROJECTS_EDIT)
@require_http_methods(["GET", "POST"])
def link_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET ?source=project|entity|base&pk=N: the source's links with the entry and import forms; POST: import."""
    if request.method == "GET":
        return _source_page(
            request, _source_get(request, request.GET.get("source", ""), _pk(request.GET.get("pk")))
        )
    source = _source_get(request, request.POST.get("source", ""), _pk(request.POST.get("source_pk")))
    form = LinkImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _source_page(request, source, 400, import_form=form)
    upload = form.cleaned_data["file"]
    if upload.size > services.MAX_BYTES:
        form.add_error("file", f"文件超过 {services.MAX_BYTES // 1024 // 1024} MB,请拆分后上传")
        return _source_page(request, source, 400, import_form=form)
    try:
        result = services.links_import(
            actor=request.user, source=source, year=form.cleaned_data["year"], content=upload.read()
        )
    except services.LinksRefused as refused:
        return _source_page(
            request,
            source,
            400,
            import_form=form,
            refused=refused,
            report_b64=base64.b64encode(refused.report).decode() if refused.report else "",
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _source_page(request, source, 400, import_form=form)
    messages.success(
        request, f"导入完成:新增 {result.created} 户,更新 {result.updated} 户,未变 {result.unchanged} 户"
    )
    return redirect(_source_url(source))


@capability_required(Capability.FUNDS_VIEW)
@require_GET
def link_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = LinkFilterForm(request.GET)
    notices = dropped_notices(form)
    data = getattr(form, "cleaned_data", {})
    region = resolve_region(user, data.get("region") or [], notices)
    qs = scope_by_region(user, BenefitLink.objects.all())
    if region is not None:
        qs = qs.filter(region_range_q(region.prefix))
    if data.get("year"):
        qs = qs.filter(year=data["year"])
    if data.get("source"):
        qs = qs.filter(**{f"{data['source']}__isnull": False})
    if data.get("kind") == "ex_poor_or_monitored":
        qs = qs.filter(EX_POOR_OR_MONITORED)
    counts = qs.aggregate(
        households=Count("household", distinct=True),
        weak=Count("household", distinct=True, filter=EX_POOR_OR_MONITORED),
        links=Count("pk"),
    )
    page = paginate_exact(
        qs.select_related("household", "project", "entity", "base").order_by("-year", "region_code", "pk"),
        request.GET.get("page"),
        per_page=PAGE_SIZE,
    )
    villages = dict(
        Region.objects.filter(code__in={link.household.region_code[:12] for link in page.rows}).values_list(
            "code", "name"
        )
    )
    for link in page.rows:
        link.village = villages.get(link.household.region_code[:12], "")
    return render(
        request,
        "funds/links_list.html",
        {
            "form": form,
            "notices": notices,
            "picker": region_picker(user, region),
            "page": page,
            "query": _query(request),
            "counts": counts,
        },
    )
