"""Relocation follow-up pages (docs/domain.md §24): the site list with the unit's figures (and its .xlsx), a
site's page (facts, figures, households with their employment in the survey month, problems, projects,
findings), and the forms of RELOCATION_EDIT. The household page's panel 易地搬迁 is built here too.

Every read goes through selectors.py (404 outside the account's subtree), every write through services.py,
whose ValidationError is shown on the form. 点长电话 is personal data: masked without PII_VIEW, on the page
and in the workbook alike (docs/security.md §1).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.common.access import code_in_scope, may_view_pii, region_range_q, scope_by_region
from dixian.common.attachments import attachment_response
from dixian.common.filters import dropped_notices, region_picker, resolve_region
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.masking import phone_shown
from dixian.common.paging import paginate_exact
from dixian.common.spreadsheets import Sheet, export_workbook
from dixian.domain import employment as e

from . import figures, services
from .forms import LinkForm, ProblemForm, ProjectLinkForm, ResolveForm, SiteFilterForm, SiteForm
from .models import RelocationSite
from .selectors import (
    problem_get,
    site_get_for_user,
    site_household_get,
    site_households_for_user,
    site_of_household,
    site_project_get,
    sites_for_user,
)

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.regions.models import Region
    from dixian.registry.models import Household

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _query(request: AuthenticatedHttpRequest) -> str:
    return urlencode([(k, v) for k, vs in request.GET.lists() if k != "page" for v in vs if v])


def _filtered(
    request: AuthenticatedHttpRequest,
) -> tuple[QuerySet[RelocationSite], SiteFilterForm, list[str], Region | None]:
    user = request.user
    form = SiteFilterForm(request.GET)
    notices = dropped_notices(form)
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    region = resolve_region(user, data.get("region") or [], notices)
    qs = sites_for_user(user)
    if region is not None:
        qs = qs.filter(region_range_q(region.prefix))
    if data.get("q"):
        qs = qs.filter(name__contains=data["q"].strip())
    if data.get("kind"):
        qs = qs.filter(kind=data["kind"])
    return qs, form, notices, region


@capability_required(Capability.RELOCATION_VIEW)
@require_GET
def site_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The unit's sites: its figures (and by county when its sites lie in several) on top, then the sites."""
    user = request.user
    qs, form, notices, region = _filtered(request)
    report = figures.report(qs)
    by_site = {row.site.pk: row for row in report.rows}
    page = paginate_exact(
        qs.order_by("county__code", "name", "pk"), request.GET.get("page"), per_page=PAGE_SIZE
    )
    return render(
        request,
        "relocation/site_list.html",
        {
            "form": form,
            "notices": notices,
            "picker": region_picker(user, region),
            "page": page,
            "rows": [by_site[s.pk] for s in page.object_list],
            "report": report,
            "query": _query(request),
            "can_edit": user_can(user, Capability.RELOCATION_EDIT),
            "window_min": e.SERVICE_WINDOW_MIN_PERSONS,
        },
    )


XLSX_HEADERS = [
    ("县(市、区)", 12),
    ("安置点", 20),
    ("所在地", 20),
    ("安置方式", 10),
    ("建成年度", 8),
    ("建设规模(户)", 10),
    ("建设规模(人)", 10),
    ("点长", 10),
    ("点长电话", 14),
    ("一站式服务窗口", 10),
    ("搬迁户数", 10),
    ("安置人数", 10),
    ("有劳动力户数", 12),
    ("有人就业户数", 12),
    ("就业率(%)", 10),
    ("有劳动力但无人就业户数", 14),
    ("缺服务窗口", 10),
    ("问题数", 8),
    ("已整改", 8),
    ("超期未整改", 10),
    ("后续扶持项目数", 10),
    ("项目预算(元)", 14),
    ("已支付(元)", 14),
]


def _percent(rate: Any) -> float | None:
    return None if rate is None else float(rate * 100)


def _figure_cells(f: figures.Figures) -> list[object]:
    return [
        f.households,
        f.persons,
        f.labour,
        f.employed,
        _percent(f.employment_rate),
        f.idle,
        f.window_missing,
        f.problems,
        f.resolved,
        f.overdue,
        f.projects,
        f.budget,
        f.paid,
    ]


@capability_required(Capability.RELOCATION_VIEW)
@require_GET
def site_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The site list with its figures as a workbook (the same filters; phones masked without PII_VIEW)."""
    qs, _form, _notices, _region = _filtered(request)
    report = figures.report(qs)
    pii = may_view_pii(request.user)
    out = io.BytesIO()
    book, formats = export_workbook(out)
    sheet = Sheet(book, "安置点", XLSX_HEADERS, formats)
    for row in report.rows:
        s = row.site
        sheet.write(
            [
                s.county.name,
                s.name,
                s.region.full_name or s.region.name,
                s.get_kind_display(),
                s.built_year,
                s.households_planned,
                s.persons_planned,
                s.chief_name,
                phone_shown(s.chief_phone, pii=pii),
                s.service_window,
                *_figure_cells(row.figures),
            ]
        )
    sheet.write(["合计", f"{report.total.sites}个安置点", *[""] * 8, *_figure_cells(report.total)])
    sheet.finish()
    month = e.month_label(report.month) if report.month else "尚无摸排"
    notes = book.add_worksheet("说明")
    notes.write_string(
        0, 0, f"就业情况按 {month} 的就业信息摸排计算(劳动力名册与务工记录,见 docs/domain.md §23、§24)。"
    )
    book.close()
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote('易地搬迁安置点.xlsx')}"
    return response


# ---- a site's page -------------------------------------------------------------------------------------


def _detail(request: AuthenticatedHttpRequest, site: RelocationSite) -> HttpResponse:
    user = request.user
    report = figures.report(RelocationSite.objects.filter(pk=site.pk))
    row = report.rows[0]
    links = site_households_for_user(user, site)
    page = paginate_exact(
        links.select_related("household").order_by("household__household_no"),
        request.GET.get("page"),
        per_page=PAGE_SIZE,
    )
    states = figures.household_states([link.household_id for link in page.object_list], report.month)
    idle = list(
        figures.idle_households(links, report.month)
        .select_related("household")
        .order_by("household__household_no")[:200]
    )
    visible = page.paginator.count
    # Projects of the viewer's subtree only; the rest are counted, as the households are.
    projects = list(
        scope_by_region(user, site.projects.all(), field="project__region_code")
        .select_related("project")
        .order_by("project__year", "project__code")
    )
    return render(
        request,
        "relocation/site_detail.html",
        {
            "site": site,
            "row": row,
            "f": row.figures,
            "month": report.month,
            "chief_phone": phone_shown(site.chief_phone, pii=may_view_pii(user)),
            "facilities": [line.strip() for line in site.facilities.splitlines() if line.strip()],
            "page": page,
            "households": [(link, states.get(link.household_id)) for link in page.object_list],
            "hidden_households": row.figures.households - visible,
            "idle": idle,
            "problems": list(site.problems.order_by("resolved_on", "deadline", "pk")),
            "projects": projects,
            "hidden_projects": site.projects.count() - len(projects),
            "today": figures.current_month(),
            "can_edit": user_can(user, Capability.RELOCATION_EDIT),
            "window_min": e.SERVICE_WINDOW_MIN_PERSONS,
        },
    )


@capability_required(Capability.RELOCATION_VIEW)
@require_GET
def site_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _detail(request, site_get_for_user(request.user, pk))


def _site_data(user: User, data: dict[str, Any], site: RelocationSite | None) -> dict[str, Any]:
    # Without PII_VIEW the phone is never shown, so the form starts blank: left blank, it is kept.
    if site is not None and not may_view_pii(user) and not data.get("chief_phone"):
        data["chief_phone"] = site.chief_phone
    return data


def _site_form(request: AuthenticatedHttpRequest, site: RelocationSite | None) -> HttpResponse:
    user = request.user
    pii = may_view_pii(user)
    if request.method == "POST":
        form = SiteForm(request.POST, user=user)
        if form.is_valid():
            data = _site_data(user, dict(form.cleaned_data), site)
            region = data.pop("region")
            try:
                saved = services.site_save(actor=user, data=data, region=region, site=site)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"安置点“{saved.name}”已保存")
                return redirect("relocation:site_detail", pk=saved.pk)
    elif site is not None:
        initial = {name: getattr(site, name) for name in services.SITE_FIELDS}
        initial["region"] = site.region_id
        if not pii:
            initial["chief_phone"] = ""
        form = SiteForm(initial=initial, user=user)
    else:
        form = SiteForm(user=user)
    if site is not None and not pii and site.chief_phone:
        form.fields[
            "chief_phone"
        ].help_text = f"已登记 {phone_shown(site.chief_phone, pii=False)};留空则不修改,填写则替换"
    return render(
        request,
        "relocation/site_form.html",
        {"form": form, "site": site},
        status=400 if request.method == "POST" else 200,
    )


@capability_required(Capability.RELOCATION_EDIT)
@require_http_methods(["GET", "POST"])
def site_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _site_form(request, None)


@capability_required(Capability.RELOCATION_EDIT)
@require_http_methods(["GET", "POST"])
def site_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _site_form(request, site_get_for_user(request.user, pk))


def _small_form(
    request: AuthenticatedHttpRequest,
    site: RelocationSite,
    form: Any,
    title: str,
    button: str,
    *,
    upload: bool = False,
) -> HttpResponse:
    return render(
        request,
        "relocation/small_form.html",
        {"site": site, "form": form, "title": title, "button": button, "upload": upload},
        status=400 if request.method == "POST" else 200,
    )


@capability_required(Capability.RELOCATION_EDIT)
@require_http_methods(["GET", "POST"])
def household_link(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    site = site_get_for_user(request.user, pk)
    form = LinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.households_link(
                actor=request.user,
                site=site,
                numbers=form.cleaned_data["household_nos"],
                moved_in=form.cleaned_data["moved_in"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已登记 {len(made)} 户搬迁户")
            return redirect("relocation:site_detail", pk=site.pk)
    return _small_form(request, site, form, "登记搬迁户", "登记")


@capability_required(Capability.RELOCATION_EDIT)
@require_POST
def household_unlink(request: AuthenticatedHttpRequest, pk: int, link_pk: int) -> HttpResponse:
    site = site_get_for_user(request.user, pk)
    link = site_household_get(request.user, site, link_pk)
    try:
        services.household_unlink(actor=request.user, link=link)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"已取消 {link.household.head_name}户 的搬迁户登记")
    return redirect("relocation:site_detail", pk=site.pk)


@capability_required(Capability.RELOCATION_EDIT)
@require_http_methods(["GET", "POST"])
def problem_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    site = site_get_for_user(request.user, pk)
    form = ProblemForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.problem_add(actor=request.user, site=site, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "问题已登记")
            return redirect("relocation:site_detail", pk=site.pk)
    return _small_form(request, site, form, "登记安置点问题", "登记")


@capability_required(Capability.RELOCATION_EDIT)
@require_http_methods(["GET", "POST"])
def problem_resolve(request: AuthenticatedHttpRequest, pk: int, problem_pk: int) -> HttpResponse:
    site = site_get_for_user(request.user, pk)
    problem = problem_get(site, problem_pk)
    # Bound on every POST, an empty one too, so that it is refused with each field's message.
    posted = request.method == "POST"
    form = ResolveForm(request.POST if posted else None, request.FILES if posted else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.problem_resolve(
                actor=request.user,
                problem=problem,
                resolution=form.cleaned_data["resolution"],
                resolved_on=form.cleaned_data["resolved_on"],
                evidence=form.cleaned_data["evidence"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "问题已整改销号")
            return redirect("relocation:site_detail", pk=site.pk)
    return _small_form(request, site, form, f"整改销号:{problem.description}", "销号", upload=True)


@capability_required(Capability.RELOCATION_VIEW)
@require_GET
def problem_evidence(request: AuthenticatedHttpRequest, pk: int, problem_pk: int) -> FileResponse:
    """A resolved problem's evidence, to accounts that see the site (404 otherwise). Never cached, never
    sniffed; a PDF is a download, an image shown inline."""
    site = site_get_for_user(request.user, pk)
    problem = problem_get(site, problem_pk)
    if not problem.evidence:
        raise Http404("该问题没有佐证材料")
    return attachment_response(
        problem.evidence, name=f"site-{site.pk}-problem-{problem.pk}", missing="佐证材料文件不存在"
    )


@capability_required(Capability.RELOCATION_EDIT)
@require_http_methods(["GET", "POST"])
def project_link(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    site = site_get_for_user(request.user, pk)
    form = ProjectLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            link = services.project_link(
                actor=request.user, site=site, code=form.cleaned_data["project_code"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已关联项目:{link.project.name}")
            return redirect("relocation:site_detail", pk=site.pk)
    return _small_form(request, site, form, "关联后续扶持项目", "关联")


@capability_required(Capability.RELOCATION_EDIT)
@require_POST
def project_unlink(request: AuthenticatedHttpRequest, pk: int, link_pk: int) -> HttpResponse:
    site = site_get_for_user(request.user, pk)
    link = site_project_get(site, link_pk)
    try:
        services.project_unlink(actor=request.user, link=link)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"已取消关联项目:{link.project.name}")
    return redirect("relocation:site_detail", pk=site.pk)


# ---- the household page's panel ---------------------------------------------------------------------------


def household_panel(user: User, household: Household) -> dict[str, Any]:
    """易地搬迁 on the household page: the site it was relocated to, linked when the account may open it."""
    link = site_of_household(household.pk)
    if link is None:
        return {"relocation_link": None}
    return {
        "relocation_link": link,
        "relocation_site_open": user_can(user, Capability.RELOCATION_VIEW)
        and code_in_scope(user, link.site.region_code),
    }
