"""The household page (农户画像) and its edit forms.

Reads go through the scoped selectors (an out-of-scope household answers 404), and writes through
services.py. Accounts without the right to change the registry (Capability.REGISTRY_EDIT: 领导, 帮扶干部)
get 403 on every edit URL, whatever the household. Edit forms are htmx partials that load into the page; without JavaScript the same URLs
serve a plain page, and a successful save redirects back to the household.

Personal information on this page — ID numbers, phones and health data (健康状况, 残疾类别/等级) — is shown
in full only to accounts with `may_view_pii`. Others see masked numbers and "已隐藏" for health data: a
village officer or reviewer can do the work (who is uninsured, who dropped out of school) without it, and
the 三保障 panel never needs a diagnosis to explain a red flag.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.common import access_log
from dixian.common.access import may_view_pii
from dixian.common.access_log import log_access
from dixian.common.forms import add_service_errors
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.masking import health_shown, id_number_shown, phone_shown, text_shown
from dixian.common.ratelimit import RateLimited
from dixian.domain import finding_rules, household_facts

from . import choices as c
from . import services
from .filters import full_number_missed, full_number_search_take
from .findings import open_findings_of
from .forms import HouseholdForm, IncomeForm, PersonForm, PersonMoveForm
from .history import history_entries, moved_household_refs
from .models import Finding, HelperAssignment, Household, HouseholdIncome, IncomeLine, Person
from .panels import household_panels_for
from .selectors import (
    household_get_for_user,
    household_history,
    household_scope_for_user,
    income_lines_for_code,
    person_get_for_household,
)

if TYPE_CHECKING:
    from dixian.accounts.models import User

HISTORY_PAGE = 20
RELATION_ORDER = {value: i for i, value in enumerate(c.Relation.values)}


@dataclass(frozen=True)
class MemberRow:
    person: Person
    age: int
    id_number: str
    phone: str
    health: str
    disability: str


@dataclass(frozen=True)
class Guarantee:
    label: str
    ok: bool | None  # None: not known yet
    status: str
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IncomeRow:
    income: HouseholdIncome
    line: IncomeLine | None
    below_line: bool


def member_rows(members: list[Person], *, pii: bool, today: dt.date) -> list[MemberRow]:
    rows = []
    for m in sorted(members, key=lambda p: (RELATION_ORDER.get(p.relation, 99), p.birth_date, p.pk)):
        if m.disability_category:
            disability = (
                f"{m.get_disability_category_display()} {m.get_disability_grade_display() or ''}".strip()
            )
        else:
            disability = "无"
        rows.append(
            MemberRow(
                person=m,
                age=household_facts.age_on(m.birth_date, today),
                id_number=id_number_shown(m.id_number, pii=pii),
                phone=phone_shown(m.phone, pii=pii),
                health=health_shown(m.get_health_status_display(), pii=pii),
                disability=health_shown(disability, pii=pii),
            )
        )
    return rows


def guarantees(household: Household, members: list[Person], *, today: dt.date) -> list[Guarantee]:
    """三保障 + 饮水 (docs/domain.md §8), each with the members or facts that make it red."""
    dropouts = [
        f"{m.name}({household_facts.age_on(m.birth_date, today)}岁)失学或辍学"
        for m in members
        if household_facts.dropout_of_school_age(m.student_status, m.birth_date, today)
    ]
    uninsured = [f"{m.name} 未参加基本医疗保险" for m in members if not m.medical_insurance]
    grade = household.housing_grade
    if not household_facts.housing_safe(grade):
        housing = Guarantee("住房安全", False, "住房不安全", [f"住房安全等级为{grade}级,需改造或不再居住"])
    elif grade:
        housing = Guarantee("住房安全", True, f"有保障({grade}级)")
    else:
        housing = Guarantee("住房安全", None, "未鉴定", ["住房安全等级尚未鉴定"])
    water = {
        True: Guarantee("饮水安全", True, "有保障"),
        False: Guarantee("饮水安全", False, "饮水不安全", ["未解决安全饮水"]),
        None: Guarantee("饮水安全", None, "未填写", ["是否解决安全饮水尚未填写"]),
    }[household.water_ok]
    return [
        Guarantee("义务教育", not dropouts, "有失学辍学" if dropouts else "有保障", dropouts),
        Guarantee("基本医疗", not uninsured, "有人未参保" if uninsured else "有保障", uninsured),
        housing,
        water,
    ]


def income_rows(incomes: list[HouseholdIncome], lines: dict[int, IncomeLine]) -> list[IncomeRow]:
    rows = []
    for income in sorted(incomes, key=lambda i: -i.year):
        line = lines.get(income.year)
        rows.append(IncomeRow(income, line, line is not None and income.net_income_per_capita < line.amount))
    return rows


@dataclass(frozen=True)
class FindingRow:
    label: str  # the rule's Chinese name
    who: str  # the member's name, or 本户
    message: str
    since: dt.datetime


def finding_rows(findings: list[Finding], *, pii: bool) -> list[FindingRow]:
    """The 疑点 panel: open findings, their message as the account may read it (health findings hidden
    without the right, like the member table; any number in a message masked: docs/security.md §1)."""
    rows = []
    for f in findings:
        health = f.code in finding_rules.HEALTH_CODES
        message = health_shown(f.message, pii=pii) if health else text_shown(f.message, pii=pii)
        label = finding_rules.LABELS.get(f.code, f.code)
        rows.append(
            FindingRow(
                label=health_shown(label, pii=pii) if health else label,
                who=f.person.name if f.person is not None else "本户",
                message=message,
                since=f.created_at,
            )
        )
    return rows


def _history_context(user: User, household: Household, offset: int) -> dict[str, Any]:
    rows, more = household_history(household, offset=offset, limit=HISTORY_PAGE)
    ids, numbers = moved_household_refs(rows)
    visible = (
        dict(
            household_scope_for_user(user)
            .filter(Q(pk__in=ids) | Q(household_no__in=numbers))
            .values_list("pk", "household_no")
        )
        if ids or numbers
        else {}
    )
    return {
        "history": history_entries(rows, user=user, visible_households=visible),
        "history_more": more,
        "history_next": offset + HISTORY_PAGE,
        "history_first": offset == 0,
    }


def profile_context(user: User, household: Household) -> dict[str, Any]:
    """Everything the household page shows, in a fixed number of queries whatever the household's size."""
    today = timezone.localdate()
    pii = may_view_pii(user)
    members = list(Person.objects.filter(household=household))
    incomes = list(HouseholdIncome.objects.filter(household=household))
    findings = open_findings_of(household)
    helpers = list(
        HelperAssignment.objects.filter(household=household)
        .select_related("helper")
        .order_by("-start_date", "-id")
    )
    return {
        "household": household,
        "pii": pii,
        "can_edit": user_can(user, Capability.REGISTRY_EDIT),
        "phone": phone_shown(household.phone, pii=pii),
        "members": member_rows(members, pii=pii, today=today),
        "guarantees": guarantees(household, members, today=today),
        "incomes": income_rows(incomes, income_lines_for_code(household.region_code)),
        "findings": finding_rows(findings, pii=pii),
        "helpers": [(a, phone_shown(a.helper.phone, pii=pii)) for a in helpers],
        # Panels of the apps above registry (预警线索, 走访记录), computed here so the view makes their queries.
        "panels": household_panels_for(user, household),
        **_history_context(user, household, 0),
    }


def _profile_logged(request: AuthenticatedHttpRequest, household: Household) -> dict[str, Any]:
    """The page's context, and its showing recorded in the access log (docs/security.md §5)."""
    context = profile_context(request.user, household)
    log_access(
        request,
        household=household,
        persons=[row.person for row in context["members"]],
        fields=access_log.HOUSEHOLD_FIELDS,
    )
    return context


@login_required
@require_GET
def household_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    household = household_get_for_user(request.user, pk)
    return render(request, "registry/household_detail.html", _profile_logged(request, household))


@login_required
@require_GET
def household_history_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    household = household_get_for_user(request.user, pk)
    try:
        # Clamped: a huge offset would overflow the database's integer type instead of paging.
        offset = min(max(int(request.GET.get("offset", "0")), 0), 10**6)
    except ValueError:
        offset = 0
    context = {"household": household, **_history_context(request.user, household, offset)}
    log_access(request, household=household, fields=("history",))
    template = "registry/partials/_history_rows.html" if request.htmx else "registry/household_history.html"
    return render(request, template, context)


# --- edits ----------------------------------------------------------------------------------------------


def _posted(request: AuthenticatedHttpRequest) -> Any:
    """The submitted data on POST (even when every input is empty), None on GET: the form stays unbound."""
    return request.POST if request.method == "POST" else None


def _editable(request: AuthenticatedHttpRequest, pk: int) -> Household:
    return household_get_for_user(request.user, pk)  # 404 outside the account's scope


def _saved(request: AuthenticatedHttpRequest, household: Household, notice: str) -> HttpResponse:
    """After a save: htmx swaps the refreshed profile in place; a plain form post goes back to the page."""
    if request.htmx:
        household = household_get_for_user(request.user, household.pk)  # derived fields may have changed
        context = {**_profile_logged(request, household), "notice": notice}
        response = render(request, "registry/household_detail.html", context)
        response["HX-Retarget"] = "#profile"
        response["HX-Reswap"] = "outerHTML"
        response["HX-Reselect"] = "#profile"
        return response
    messages.success(request, notice)
    return redirect("registry:household_detail", pk=household.pk)


def _form_response(
    request: AuthenticatedHttpRequest, household: Household, template: str, context: dict[str, Any]
) -> HttpResponse:
    context = {"household": household, **context}
    if request.htmx:
        return render(request, template, context)
    return render(request, "registry/household_edit_page.html", {**context, "form_template": template})


@capability_required(Capability.REGISTRY_EDIT)
@require_http_methods(["GET", "POST"])
def household_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    household = _editable(request, pk)
    pii = may_view_pii(request.user)
    form = HouseholdForm(_posted(request), instance=household, may_view_pii=pii)
    if request.method == "GET":
        log_access(request, household=household, fields=("phone", "address"))
    if request.method == "POST" and form.is_valid():
        try:
            household = services.household_update(
                actor=request.user, household=household, data=form.changes()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _saved(request, household, "农户信息已保存。")
    return _form_response(
        request,
        household,
        "registry/partials/_household_form.html",
        {"form": form, "title": "修改农户信息", "action": reverse("registry:household_edit", args=[pk])},
    )


def _id_number_check_allowed(request: AuthenticatedHttpRequest, form: PersonForm, current: str) -> bool:
    """Whether the member form may check a typed ID number against the registry (docs/security.md §1).

    "该证件号码已在系统中登记" tells whether a number exists: with the masked number and the age, an editor
    without the personal-data right could try the ~33 candidates one by one. Such an editor's form checks
    of a new number count as full-number searches (the same hourly and daily limits); a refused check is
    an error on the field and nothing is saved."""
    typed = form.cleaned_data.get("id_number") or ""
    unlimited = may_view_pii(request.user)  # sees every number whole: nothing to guess
    if unlimited or not typed or typed == current:
        return True
    try:
        full_number_search_take(request.user, pii=False)
    except RateLimited as exc:
        until = timezone.localtime(exc.retry_at).strftime("%H:%M")
        form.add_error(
            "id_number",
            f"本账号核对身份证号的次数已达上限,请于 {until} 后再保存;如需立即办理,请联系有“查看完整个人信息”权限的同事。",
        )
        return False
    return True


def _id_number_guess_missed(request: AuthenticatedHttpRequest, form: PersonForm, current: str) -> None:
    """A form that was not saved and did not say the typed number exists: one of the day's misses for an
    editor without the right (a saved member is no guess: it is in the history under the editor's name)."""
    typed = form.cleaned_data.get("id_number") or ""
    unlimited = may_view_pii(request.user)
    if unlimited or not typed or typed == current or "id_number" in form.errors:
        return
    full_number_missed(request.user)


@capability_required(Capability.REGISTRY_EDIT)
@require_http_methods(["GET", "POST"])
def person_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    household = _editable(request, pk)
    form = PersonForm(
        _posted(request), instance=Person(household=household), may_view_pii=may_view_pii(request.user)
    )
    if request.method == "POST" and form.is_valid() and _id_number_check_allowed(request, form, ""):
        try:
            person = services.person_create(actor=request.user, household=household, data=form.changes())
        except ValidationError as exc:
            add_service_errors(form, exc)
            _id_number_guess_missed(request, form, "")
        else:
            return _saved(request, household, f"已新增成员 {person.name}。")
    return _form_response(
        request,
        household,
        "registry/partials/_person_form.html",
        {"form": form, "title": "新增成员", "action": reverse("registry:person_add", args=[pk])},
    )


@capability_required(Capability.REGISTRY_EDIT)
@require_http_methods(["GET", "POST"])
def person_edit(request: AuthenticatedHttpRequest, pk: int, person_pk: int) -> HttpResponse:
    household = _editable(request, pk)
    person = person_get_for_household(household, person_pk)
    form = PersonForm(_posted(request), instance=person, may_view_pii=may_view_pii(request.user))
    if request.method == "GET":  # the form shows the member's data: a person page
        log_access(request, household=household, persons=[person], fields=access_log.PERSON_FIELDS)
    current = person.id_number
    if request.method == "POST" and form.is_valid() and _id_number_check_allowed(request, form, current):
        try:
            person = services.person_update(actor=request.user, person=person, data=form.changes())
        except ValidationError as exc:
            add_service_errors(form, exc)
            _id_number_guess_missed(request, form, current)
        else:
            return _saved(request, household, f"成员 {person.name} 的信息已保存。")
    return _form_response(
        request,
        household,
        "registry/partials/_person_form.html",
        {
            "form": form,
            "person": person,
            "title": f"修改成员 {person.name}",
            "action": reverse("registry:person_edit", args=[pk, person.pk]),
        },
    )


@capability_required(Capability.REGISTRY_EDIT)
@require_http_methods(["GET", "POST"])
def person_move(request: AuthenticatedHttpRequest, pk: int, person_pk: int) -> HttpResponse:
    household = _editable(request, pk)
    person = person_get_for_household(household, person_pk)
    form = PersonMoveForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        target = (
            household_scope_for_user(request.user)
            .filter(household_no=form.cleaned_data["household_no"])
            .first()
        )
        if target is None:
            form.add_error("household_no", "未找到该户编号,或该户不在您的管辖范围内。")
        else:
            try:
                services.person_move(
                    actor=request.user,
                    person=person,
                    to_household=target,
                    relation=form.cleaned_data["relation"] or None,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _saved(request, household, f"成员 {person.name} 已迁至 {target.household_no}。")
    return _form_response(
        request,
        household,
        "registry/partials/_move_form.html",
        {
            "form": form,
            "person": person,
            "title": f"迁移成员 {person.name}",
            "action": reverse("registry:person_move", args=[pk, person.pk]),
        },
    )


@capability_required(Capability.REGISTRY_EDIT)
@require_http_methods(["GET", "POST"])
def income_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    household = _editable(request, pk)
    initial: dict[str, Any] = {"year": timezone.localdate().year - 1}
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = None
    existing = HouseholdIncome.objects.filter(household=household, year=year).first() if year else None
    if existing is not None:
        initial = {
            "year": existing.year,
            "members": existing.members,
            **{name: getattr(existing, name) for name in services.INCOME_COMPONENTS},
        }
    form = IncomeForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            income = services.income_upsert(
                actor=request.user,
                household=household,
                year=form.cleaned_data["year"],
                members=form.cleaned_data["members"],
                **form.amounts(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _saved(
                request,
                household,
                f"{income.year}年收入已保存,人均纯收入 {income.net_income_per_capita} 元。",
            )
    return _form_response(
        request,
        household,
        "registry/partials/_income_form.html",
        {
            "form": form,
            "title": "录入年度收入",
            "action": reverse("registry:income_edit", args=[pk]),
            "declared": existing if existing is not None and existing.declared else None,
        },
    )
