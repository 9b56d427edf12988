"""No URL of the project leaks a household outside the account's scope.

The test walks every URL pattern (django.urls.get_resolver(), recursively), so a page added later is
checked without anyone remembering to: a pattern with path parameters must have an entry in FILL saying
which record each parameter names, or the test fails and says so. For every persona it proves that

- no response body (HTML, or the cells of an Excel download) contains the household number, head name,
  or any member's ID number or phone of a household the persona may not see (a 帮扶干部 sees only the
  households assigned to it);
- a guessed primary key of a record out of scope answers 404, exactly like a key that exists nowhere
  (a 403 is accepted only when the account's role is refused the URL for every key alike);
- list and export URLs with their filters widened by hand (another county's code, the whole city, a name
  typed into the search) still return only in-scope rows;
- the anonymous visitor is sent to the login page from every URL that is not public.

Admin URLs are checked separately: they must send every non-staff account to the admin login.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from python_calamine import CalamineWorkbook

from dixian.accounts.capabilities import Capability, user_can
from dixian.accounts.models import User
from dixian.common.access import code_in_scope, scope_by_region
from dixian.common.jobs import worker_run_once
from dixian.common.models import Job
from dixian.common.testing import fake_id
from dixian.employment.tests.groups_world import employment_records_of
from dixian.feeds.services import api_token_create
from dixian.funds.tests.helpers_assets import funds_records_of
from dixian.registry import services
from dixian.registry.models import Household, ImportBatch
from dixian.registry.selectors import household_scope_for_user
from dixian.registry.testing import PERSONA_NAMES, World

pytestmark = pytest.mark.django_db

# URLs anyone may open without logging in.
PUBLIC = {
    "accounts:login",
    "accounts:logout",
    # The second step of signing in (a TOTP code): without a pending sign-in it sends to the login page.
    "accounts:login_verify",
    # The self-declaration page (dixian.declarations.views_public): region names and the applicant's own.
    *(f"declare:{n}" for n in ("form", "village", "done", "places", "captcha", "status")),
    # The push API's OpenAPI document and its HTML page (dixian.feeds.api): generated from the feed
    # catalogue, no data; a department's developers read them before their system has a token.
    "api:openapi",
    "api:docs",
    # /favicon.ico: the icon of the static files, for documents that link none.
    "favicon",
}

# The push API (dixian.feeds.api) answers to a token, never to the session: without one it answers
# 401 (a machine has no login page to be sent to). The walk calls it with a token of each persona's own.
TOKEN_ONLY = {
    "api:feed_list",
    "api:delivery_create",
    "api:delivery_get",
    # The monitoring case API (dixian.monitoring.api): the same tokens.
    *(f"cases_api:{n}" for n in ("case_get", "case_advance", "case_send_back", "case_refuse")),
}

# For each URL with path parameters: which record of the target set each parameter names (see Targets).
FILL: dict[str, dict[str, str]] = {
    "registry:household_detail": {"pk": "household"},
    "registry:household_history": {"pk": "household"},
    "registry:household_edit": {"pk": "household"},
    "registry:income_edit": {"pk": "household"},
    "registry:person_add": {"pk": "household"},
    "registry:person_edit": {"pk": "household", "person_pk": "person"},
    "registry:person_move": {"pk": "household", "person_pk": "person"},
    "registry:import_batch": {"pk": "batch"},
    "registry:import_report": {"pk": "batch"},
    "registry:import_findings": {"pk": "batch"},
    "jobs:detail": {"pk": "job"},
    "jobs:download": {"pk": "job"},
    "declarations:detail": {"pk": "declaration"},
    "declarations:status": {"pk": "declaration"},
    "declarations:register": {"pk": "declaration"},
    "declarations:village_qr_svg": {"code": "village"},
    "declarations:village_qr_png": {"code": "village"},
    "declarations:village_poster": {"code": "village"},
    "declare:village": {"code": "village"},  # public: any village answers, and shows only its name
    "visits:detail": {"pk": "visit"},
    "visits:photo": {"pk": "visit", "photo_pk": "photo"},
    "screening:run_detail": {"pk": "screening_run"},
    "links:decide": {"pk": "link_candidate"},  # dixian.feeds.views_linkage (POST only)
    "cases:alert_detail": {"pk": "alert"},
    "cases:alert_status": {"pk": "alert"},
    "cases:unmatched_close": {"pk": "unmatched"},
    "cases:delivery_rows": {"pk": "delivery"},
    "monitoring:unmatched_register": {"pk": "unmatched"},
    "rules:detail": {"rule_id": "rule"},
    "rules:edit": {"rule_id": "rule"},
    "feeds:delivery_detail": {"pk": "delivery"},
    "feeds:delivery_report": {"pk": "delivery"},
    "api:delivery_get": {"pk": "delivery"},
    "api:delivery_create": {"code": "feed"},  # a feed code names no record: every code answers alike
    # The monitoring case API (dixian.monitoring.api): the household's open case.
    "cases_api:case_get": {"pk": "case"},
    "cases_api:case_advance": {"pk": "case"},
    "cases_api:case_send_back": {"pk": "case"},
    "cases_api:case_refuse": {"pk": "case"},
    # The account pages (dixian.accounts.web): an account of the household's village.
    "accounts:account_edit": {"pk": "account"},
    "accounts:account_password": {"pk": "account"},
    "accounts:account_action": {"pk": "account"},
    "registry:household_access_log": {"pk": "household"},
    "access_log:account": {"pk": "account"},  # dixian.common.views_access_log: an account of the region
    # The case pages (dixian.monitoring.views): the household's open case, and its signed authorisation.
    "monitoring:case_detail": {"pk": "case"},
    "monitoring:case_advance": {"pk": "case"},
    "monitoring:case_send_back": {"pk": "case"},
    "monitoring:case_refuse": {"pk": "case"},
    "monitoring:case_reject_elimination": {"pk": "case"},
    "monitoring:case_home_check": {"pk": "case"},
    "monitoring:phone_reveal": {"pk": "case"},
    "monitoring:attachment": {"pk": "case", "attachment_pk": "attachment"},
    # Risk elimination and 回头看 (dixian.monitoring.views_elimination): an eliminated case of the household.
    "monitoring:elimination_propose": {"pk": "eliminated_case"},
    "monitoring:follow_up_record": {"pk": "follow_up"},
    # A case's assistance (dixian.monitoring.views_assist): the household's open case, a measure of it, and
    # a pairing of the household with a helper.
    "monitoring:case_plan": {"pk": "case"},
    "monitoring:helper_assign": {"pk": "case"},
    "monitoring:helper_end": {"pk": "case", "assignment_pk": "assignment"},
    "monitoring:measure_new": {"pk": "case"},
    "monitoring:measure_edit": {"pk": "case", "measure_pk": "measure"},
    "monitoring:measure_status": {"pk": "case", "measure_pk": "measure"},
    # The notices (dixian.monitoring.views_notices): the household's village and township, as page and .docx.
    "monitoring:notice_village": {"code": "village", "kind": "notice_kind"},
    "monitoring:notice_village_docx": {"code": "village", "kind": "notice_kind"},
    "monitoring:notice_township": {"code": "township"},
    "monitoring:notice_township_docx": {"code": "township"},
    # The figures (dixian.reports): an indicator code names no record (every code answers alike); the unit
    # is the query's `region=<code>`, tried out of scope by test_reports_answer_404_for_a_unit_out_of_scope.
    "reports:indicator": {"code": "indicator"},
    # Project assets and 联农带农 (dixian.funds.views_assets, views_links): an operating asset of a project in
    # the household's village, its income shared with the household, an entity and a base of the village.
    **dict.fromkeys(
        (
            "funds:asset_detail",
            "funds:maintenance_new",
            "funds:income_new",
            "funds:disposal_propose",
            "funds:disposal_decide",
        ),
        {"pk": "asset"},
    ),
    **dict.fromkeys(
        (
            "funds:distribution_list",
            "funds:distribution_new",
            "funds:distribution_print",
            "funds:distribution_xlsx",
        ),
        {"pk": "income"},
    ),
    "funds:entity_detail": {"pk": "entity"},
    "funds:base_detail": {"pk": "base"},
    # Allocations (dixian.funds.views_allocations): an allocation to the household's village; an import
    # batch of the finance office's workbook (only a missing key: batches name no household).
    "funds:allocation_detail": {"pk": "allocation"},
    "funds:arrangement_new": {"pk": "allocation"},
    # ...and its arrangement to a project of the village (withdrawn by the first account that may).
    "funds:arrangement_withdraw": {"pk": "arrangement"},
    "funds:import_report": {"pk": "funds_batch"},
    # A survey workbook import (dixian.employment.views_import): like a funds batch, only a missing key.
    "employment:import_report": {"pk": "funds_batch"},
    # The project bank (dixian.funds.views_projects, views_payments): a project in the household's village,
    # in the plan, with the household's head hired on it (以工代赈) and a payment.
    **dict.fromkeys(
        (
            "funds:project_detail",
            "funds:project_edit",
            "funds:project_move",
            "funds:project_progress",
            "funds:hire_new",
            "funds:payment_new",
        ),
        {"pk": "project"},
    ),
    # Key groups and 公益性岗位 (dixian.employment.views_groups, views_posts): the household head's key-group
    # membership, a post of the household's village and the head's holding of it.
    "employment:key_group_member": {"pk": "key_group_member"},
    "employment:follow_up_new": {"pk": "key_group_member"},
    **dict.fromkeys(
        ("employment:post_detail", "employment:post_edit", "employment:post_assign"), {"pk": "public_post"}
    ),
    **dict.fromkeys(("employment:holding_end", "employment:payment_new"), {"pk": "post_holding"}),
    # Relocation follow-up (dixian.relocation.views): a site in the household's village that houses it, with a
    # resolved problem whose evidence is stored, and a project of the village linked to it.
    **dict.fromkeys(
        (
            "relocation:site_detail",
            "relocation:site_edit",
            "relocation:household_link",
            "relocation:problem_new",
            "relocation:project_link",
        ),
        {"pk": "site"},
    ),
    "relocation:household_unlink": {"pk": "site", "link_pk": "site_household"},
    "relocation:problem_resolve": {"pk": "site", "problem_pk": "site_problem"},
    "relocation:problem_evidence": {"pk": "site", "problem_pk": "site_problem"},
    "relocation:project_unlink": {"pk": "site", "link_pk": "site_project"},
    # Organisation and supervision (dixian.supervision.views): the leader of the household's county, a unit and
    # a stationed cadre of its village, an expert of its county's pool, and a visit recorded in its village.
    "supervision:leader_edit": {"pk": "sup_leader"},
    "supervision:unit_edit": {"pk": "sup_unit"},
    "supervision:staff_edit": {"pk": "sup_staff"},
    "supervision:expert_edit": {"pk": "sup_expert"},
    **dict.fromkeys(
        ("supervision:visit_detail", "supervision:visit_edit", "supervision:visit_record"),
        {"pk": "sup_visit"},
    ),
    # Village governance (dixian.governance.views): a decision of the household's village with a step whose
    # attachment is stored, a points rule of the village (the household holds points by it), a village
    # document with its file, and the household's own points pages.
    **dict.fromkeys(
        (
            "governance:decision_detail",
            "governance:step_new",
            "governance:decision_implement",
            "governance:decision_close",
        ),
        {"pk": "decision"},
    ),
    "governance:step_attachment": {"pk": "decision", "step_pk": "decision_step"},
    "governance:rule_toggle": {"pk": "points_rule"},
    "governance:document_file": {"pk": "village_document"},
    **dict.fromkeys(
        ("governance:household_points", "governance:award_new", "governance:redeem_new"), {"pk": "household"}
    ),
    # The village's monthly survey and its 本月无变化 (dixian.employment.views_survey): the household's village;
    # a worker's form: the household's head (on the labour roll: 脱贫户, working age, 普通劳动力).
    # The rectification ledger (dixian.rectification.views): a finding in the household's village naming it,
    # with a task of the village whose evidence is a stored PDF.
    **dict.fromkeys(
        (
            "rectification:finding_detail",
            "rectification:task_new",
            "rectification:reviewers_add",
            "rectification:review",
            "rectification:finding_close",
            "rectification:same_check",
        ),
        {"pk": "finding"},
    ),
    **dict.fromkeys(
        ("rectification:evidence_upload", "rectification:task_close"),
        {"pk": "finding", "task_pk": "finding_task"},
    ),
    "rectification:evidence_file": {"pk": "finding", "evidence_pk": "finding_evidence"},
    "employment:survey_village": {"code": "village"},
    "employment:survey_carry": {"code": "village"},
    "employment:worker_form": {"pk": "person"},
    # The living environment (dixian.environment.views): the household's village (its year, its plan), its
    # township (the weekly form), and a project of the village tagged for the environment fund.
    "environment:village": {"code": "village"},
    "environment:plan_edit": {"code": "village"},
    "environment:weekly_form": {"code": "township"},
    "environment:project_untag": {"pk": "env_project"},
}

# Pages that take a unit by its code in the query string (?region=<code>): a unit out of the account's
# scope answers 404 exactly as a code that exists nowhere, and the page names no unit outside the scope.
# The monitoring map and its .xlsx (dixian.reports.views_map); the monthly bulletin and its .docx and .xlsx
# (dixian.reports.views_bulletin).
REGION_CODE_QUERY = {
    # The cross-check with 人社 of a unit and month (dixian.employment.views_mismatch).
    "employment:mismatches",
    "reports:map",
    "reports:map_xlsx",
    "reports:bulletin",
    "reports:bulletin_docx",
    "reports:bulletin_xlsx",
    # The funds-and-projects page of a unit and its .xlsx (dixian.funds.views_report).
    "funds:report",
    "funds:report_xlsx",
    # The employment figures page of a unit and its .xlsx (dixian.employment.views_figures).
    "employment:figures",
    "employment:figures_xlsx",
    # The dispatch page of a unit and week and its weekly summary (dixian.dispatch.views, docs/domain.md §29).
    "dispatch:week",
    "dispatch:summary_xlsx",
    # The living-environment ledger, its weekly dispatch and monthly 通报 (dixian.environment.views).
    "environment:ledger",
    "environment:dispatch",
    "environment:dispatch_xlsx",
    "environment:bulletin",
    "environment:bulletin_docx",
    "environment:bulletin_xlsx",
}

# Form data variants of an export, each tried by test_widened_export_returns_only_in_scope_rows.
EXTRA_POSTS: dict[str, list[dict[str, str] | None]] = {
    "registry:household_export": [None, {"sheets": "persons"}],  # household sheet; with the person sheet
}

# Query strings that try to widen a list or export beyond the account's scope.
WIDENING_KEYS = ("region", "region_code", "code", "county", "township", "village", "area")
SEARCH_KEYS = ("q", "search", "name", "head_name", "household_no", "id_number", "keyword")


@dataclass(frozen=True)
class Route:
    name: str
    params: tuple[str, ...]


def walk(
    resolver: URLResolver | None = None, namespace: str = "", params: tuple[str, ...] = ()
) -> Iterator[Route]:
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        own = tuple(pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern, ns, params + own)
        elif isinstance(pattern, URLPattern):
            if not pattern.name:
                if namespace.startswith("admin:"):
                    continue  # Django's own redirects and catch-all inside the admin
                raise AssertionError(
                    f"URL pattern {pattern.pattern} in {namespace or 'root'} has no name: name it"
                )
            yield Route(f"{namespace}{pattern.name}", params + own)


# Third-party public routes that carry no personal data: the offline captcha's image and audio.
THIRD_PARTY = ("captcha-",)


def project_routes() -> list[Route]:
    return [r for r in walk() if not r.name.startswith(("admin:", *THIRD_PARTY))]


def admin_routes() -> list[Route]:
    return [r for r in walk() if r.name.startswith("admin:")]


# --- what a response shows --------------------------------------------------------------------------


def body_text(response) -> str:
    # Never call response.close() here: it fires request_finished, which closes the test's DB connection
    # on PostgreSQL. Draining streaming_content closes the response the way the test client expects.
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK" and b"word/document.xml" in content:  # a .docx (a notice): its text and cells
        return docx_text(content)
    if content[:2] == b"PK":  # an .xlsx download: look at the cells, not the compressed bytes
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        return "\n".join(
            str(cell)
            for name in book.sheet_names
            for row in book.get_sheet_by_name(name).to_python()
            for cell in row
        )
    return content.decode("utf-8", errors="replace")


def docx_text(content: bytes) -> str:
    """Every paragraph and table cell of a Word document."""
    import docx

    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def secrets_of(households: list[Household]) -> dict[str, str]:
    """Strings that identify a household or its members, mapped to what they are."""
    found: dict[str, str] = {}
    for h in households:
        found[h.household_no] = f"household_no of {h.household_no}"
        found[h.head_name] = f"head name of {h.household_no}"
        if h.phone:
            found[h.phone] = f"phone of {h.household_no}"
        for m in h.members.all():
            found[m.id_number] = f"ID number of a member of {h.household_no}"
            found[m.name] = f"member name of {h.household_no}"
            if m.phone:
                found[m.phone] = f"member phone of {h.household_no}"
    return found


def without_echo(text: str, query: dict[str, str]) -> str:
    """The page may repeat what was typed into the search box; a leaked row still shows its other facts."""
    for value in set(query.values()):
        if value:
            text = text.replace(value, "")
    return text


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    return [what for secret, what in secrets.items() if secret and secret in text]


def follow_job(client, response):
    """An export that became a background job: run the worker, then fetch the result."""
    location = response.get("Location", "")
    match = resolve(urlsplit(location).path) if location.startswith("/") else None
    if match is None or match.view_name != "jobs:detail":
        return response
    while worker_run_once():
        pass
    return client.get(reverse("jobs:download", args=[match.kwargs["pk"]]))


# --- the world, seen by each persona ----------------------------------------------------------------


@dataclass
class Targets:
    household: int
    person: int
    job: int
    batch: int
    household_no: str
    id_number: str
    declaration: int = 10**9  # a self-declaration made in the household's village (dixian.declarations)
    village: str = "000000000000"  # the household's village code (by default a code that exists nowhere)
    township: str = "000000000000"  # the household's township code (the township's notice, 公告)
    notice_kind: str = (
        "identification"  # a village notice's kind (dixian.monitoring.notices): names no record
    )
    visit: int = 10**9  # a cadre's visit of the household, and one of its photos (dixian.visits)
    photo: int = 10**9
    screening_run: int = 10**9  # runs are city-wide records without personal data: only a missing key
    link_candidate: int = 10**9  # a pending probabilistic link of a feed record to the household's head
    alert: int = 10**9  # an open alert of the household (dixian.cases)
    unmatched: int = 10**9  # a 应纳未纳 record routed to the household's village
    rule: str = "R00"  # rules are not personal data and not region-scoped: only a missing rule id
    delivery: int = 10**9  # a rejected department delivery of the household's region, naming its head
    feed: str = "no_such_feed"  # a feed code (dixian.feeds push API): only an unknown one
    account: int = (
        10**9
    )  # an account of the household's village (account pages, the access log's per-account page)
    case: int = 10**9  # the household's open monitoring case (dixian.monitoring), at its home check
    attachment: int = 10**9  # the case's signed authorisation (a stored PDF)
    eliminated_case: int = 10**9  # a monitoring case of the household, eliminated, with a 回头看 due
    follow_up: int = 10**9
    measure: int = 10**9  # a measure of that case's plan
    assignment: int = 10**9  # a pairing of the household with a 帮扶干部 (registry.HelperAssignment)
    indicator: str = "no_such_indicator"  # an indicator code (dixian.reports): names no record
    # dixian.funds: an operating asset in the household's village, its income (shared with the household), and
    # a business entity and an industry base of the village that link the household.
    asset: int = 10**9
    income: int = 10**9
    entity: int = 10**9
    base: int = 10**9
    allocation: int = 10**9  # an allocation (资金下达) to the household's village (dixian.funds)
    arrangement: int = 10**9  # that allocation's arrangement to a project (dixian.funds)
    funds_batch: int = 10**9  # a funds import batch: only a missing key
    project: int = 10**9  # a project of the household's village (dixian.funds), hiring its head
    # dixian.employment: the head's key-group membership, a 公益性岗位 of the village and the head's holding.
    key_group_member: int = 10**9
    public_post: int = 10**9
    post_holding: int = 10**9
    # dixian.relocation: a site in the household's village housing it, its link, a problem and a project link.
    site: int = 10**9
    site_household: int = 10**9
    site_problem: int = 10**9
    site_project: int = 10**9
    # dixian.supervision: records of the household's county and village (supervision_of).
    sup_leader: int = 10**9
    sup_unit: int = 10**9
    sup_staff: int = 10**9
    sup_expert: int = 10**9
    sup_visit: int = 10**9
    # dixian.governance: a decision of the household's village and its step, a points rule, a document.
    decision: int = 10**9
    decision_step: int = 10**9
    points_rule: int = 10**9
    village_document: int = 10**9
    env_project: int = 10**9  # dixian.environment: a project of the household's village in the fund
    # dixian.rectification: a finding in the household's village, its task and the task's evidence.
    finding: int = 10**9
    finding_task: int = 10**9
    finding_evidence: int = 10**9


MISSING = 10**9  # a primary key that exists nowhere
# Targets that name nothing: every key missing, numbers no household or person has.
NOWHERE_TARGETS = Targets(
    household=MISSING,
    person=MISSING,
    job=MISSING,
    batch=MISSING,
    household_no="0" * 16,
    id_number="0" * 18,
)


def visit_of(h: Household) -> tuple[int, int]:
    """A visit of `h` with one stored photo (made once per household)."""
    from django.core.files.base import ContentFile

    from dixian.visits.models import Visit, VisitPhoto

    visit = Visit.objects.filter(household=h).first()
    if visit is None:
        cadre, _ = User.objects.get_or_create(username="visit_cadre", defaults={"region": h.region})
        visit = Visit.objects.create(
            household=h, region_code=h.region_code, visit_date=dt.date(2026, 1, 5), visitor=cadre, risks=[]
        )
        photo = VisitPhoto(visit=visit)
        photo.image.save(f"v{visit.pk}.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
    return visit.pk, visit.photos.get().pk


def link_candidate_of(h: Household) -> int:
    """A pending probabilistic link (dixian.feeds) of a 医保 record without ID number to the household's head."""
    from dixian.feeds.models import FeedDelivery, LinkCandidate

    head = h.members.order_by("pk").first()
    delivery, _ = FeedDelivery.objects.get_or_create(
        feed="medical",
        checksum=f"leak-{h.pk}",
        defaults={"period": "2026-10", "channel": "generated", "region": h.region, "status": "accepted"},
    )
    candidate, _ = LinkCandidate.objects.get_or_create(
        feed="medical",
        record_key=f"JS-{h.pk}",
        person=head,
        defaults={
            "delivery": delivery,
            "name": head.name,
            "region_code": head.region_code,
            "match_probability": 0.8,
            "status": "pending",
        },
    )
    return candidate.pk


def alert_of(h: Household) -> int:
    """An open alert of the household, with a department evidence that names the head's ID number."""
    from dixian.cases.models import Alert
    from dixian.cases.services import alert_add_evidence

    alert = Alert.objects.filter(household=h).first()
    if alert is None:
        head = h.members.order_by("pk").first()
        evidence = alert_add_evidence(
            household=h,
            region=h.region,
            risk_code="01",
            channel="department",
            grade="红",
            reason=f"{head.name}医疗个人负担 23,400 元",
            dedup_parts=("leak",),
            id_number=head.id_number,
        )
        alert = evidence.alert
    return alert.pk


def unmatched_in(h: Household) -> int:
    """A 应纳未纳 record routed to the household's village."""
    from dixian.cases.models import UnmatchedRecord

    record, _ = UnmatchedRecord.objects.get_or_create(
        feed="medical",
        record_key=f"UN-{h.pk}",
        defaults={
            "name": f"未登记{h.pk}",
            "problem": "not_found",
            "reason": "证件号码在农户信息库中不存在",
            "region": h.region,
            "region_code": h.region_code,
        },
    )
    return record.pk


def follow_up_of(h: Household) -> tuple[int, int]:
    """An eliminated monitoring case of the household with one 回头看 pending (dixian.monitoring)."""
    from django.utils import timezone

    from dixian.monitoring.models import FollowUpCheck, MonitoringCase

    case = MonitoringCase.objects.filter(household=h, state="eliminated").first()
    if case is None:
        day = dt.date(2026, 1, 5)
        case = MonitoringCase.objects.create(
            household=h,
            region=h.region,
            region_code=h.region_code,
            state="eliminated",
            state_since=timezone.now(),
            origin="manual",
            origin_note=f"{h.head_name}户走访发现",
            category="edge",
            first_clue_on=day,
            due_on=day,
            decided_on=day,
            identified_on=day,
            eliminated_on=dt.date(2026, 8, 5),
            elimination_method="assisted",
        )
        FollowUpCheck.objects.create(case=case, due_on=dt.date(2026, 11, 5))
    return case.pk, case.follow_ups.get().pk


ACCOUNT_PHONE = "1390000{:04d}"


def case_of(h: Household) -> tuple[int, int]:
    """The household's open monitoring case, opened by hand, with a stored signed authorisation."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from dixian.monitoring.models import MonitoringCase
    from dixian.monitoring.services import case_open
    from dixian.monitoring.testing import SMALL_PDF, authorisation_on_file

    case = MonitoringCase.objects.filter(household=h).exclude(state__in=["eliminated", "refused"]).first()
    if case is None:
        case = case_open(household=h, actor=None, origin="manual", reason=f"{h.head_name}家走访发现困难")
        attachment = authorisation_on_file(case)
        default_storage.save(attachment.path, ContentFile(SMALL_PDF))
    return case.pk, case.attachments.get().pk


def account_in(h: Household) -> User:
    """A village officer's account in the household's village, with a phone number (account pages)."""
    account, _ = User.objects.get_or_create(
        username=f"officer_of_{h.household_no}",
        defaults={"region": h.region, "roles": ["village_officer"], "phone": ACCOUNT_PHONE.format(h.pk)},
    )
    return account


def plan_of(h: Household, case_pk: int) -> tuple[int, int]:
    """One measure of the household's open case, and a pairing of the household with a helper (the case's
    assistance: dixian.monitoring.assistance)."""
    from dixian.monitoring.models import Measure
    from dixian.registry.models import HelperAssignment

    measure = Measure.objects.filter(case_id=case_pk).first() or Measure.objects.create(
        case_id=case_pk,
        category="health",
        item="医疗救助",
        start_on=dt.date(2026, 1, 5),
        deliverer="县医保局",
    )
    assignment = HelperAssignment.objects.filter(household=h).first()
    if assignment is None:
        cadre, _ = User.objects.get_or_create(username="pairing_cadre", defaults={"region": h.region})
        assignment = HelperAssignment.objects.create(
            household=h, helper=cadre, start_date=dt.date(2026, 1, 5)
        )
    return measure.pk, assignment.pk


def declaration_in(h: Household) -> int:
    """A self-declaration by the household's head, made in its village (with its name, ID and phone)."""
    from dixian.declarations.models import Declaration

    head = h.members.order_by("pk").first()
    declaration, _ = Declaration.objects.get_or_create(
        reference=f"SB2611-T{h.pk:05d}",
        defaults={
            "village": h.region,
            "region_code": h.region_code,
            "name": h.head_name,
            "id_number": head.id_number,
            "phone": h.phone,
            "difficulty": "illness",
            "description": "家里有人住院,花费很大。",
            "consent": True,
            "household": h,
        },
    )
    return declaration.pk


def delivery_of(h: Household) -> int:
    """A rejected 医保 delivery of the household's village: its errors and report repeat the head's row."""
    from dixian.feeds.models import FeedDelivery
    from dixian.feeds.services import delivery_receive

    head = h.members.order_by("pk").first()
    row = {"结算单号": f"LEAK{h.pk}", "姓名": head.name, "证件号码": head.id_number, "就诊类别": "住院"}
    row |= {"结算日期": "2099-01-01", "医疗总费用": "100", "个人负担": "100", "联系电话": h.phone}
    delivery, _ = delivery_receive(
        feed="medical",
        period="2026-10",
        source=None,
        region=h.region,
        channel=FeedDelivery.Channel.API,
        rows=[row],
    )
    return delivery.pk


def consistency_finding_in(h: Household) -> int:
    """An open 疑点核查 finding of the household (the monitoring:consistency list shows it)."""
    from django.utils import timezone

    from dixian.monitoring.models import ConsistencyFinding

    finding, _ = ConsistencyFinding.objects.get_or_create(
        household=h,
        code="no_helper",
        resolved_at=None,
        defaults={
            "region_code": h.region_code,
            "message": "监测对象没有在岗的帮扶联系人,请落实结对帮扶",
            "first_seen_at": timezone.now(),
            "last_seen_at": timezone.now(),
        },
    )
    return finding.pk


def allocation_in(h: Household) -> int:
    """An allocation (资金下达) to the household's village, arranged to a project there."""
    from decimal import Decimal

    from django.utils import timezone

    from dixian.funds.models import Allocation, Arrangement, Project

    allocation, created = Allocation.objects.get_or_create(
        doc_no=f"leak-{h.pk}",
        region_code=h.region.code,
        level="central",
        defaults={
            "year": 2026,
            "doc_date": dt.date(2026, 2, 1),
            "region": h.region,
            "amount": Decimal("100"),
        },
    )
    if created:
        project = Project.objects.create(
            code=f"LEAK-{h.pk}",
            name=f"{h.region.name}项目",
            year=2026,
            kind="industry",
            region=h.region,
            region_code=h.region.code,
            owner_unit="镇政府",
            state="in_plan",
            state_since=timezone.now(),
            budget_total=Decimal("100"),
        )
        Arrangement.objects.create(
            allocation=allocation,
            project=project,
            amount=Decimal("50"),
            arranged_on=dt.date(2026, 3, 1),
            region_code=h.region.code,
        )
    return allocation.pk


def arrangement_in(h: Household) -> int:
    """The arrangement of `allocation_in`'s allocation (MISSING once an account of the walk withdrew it)."""
    from dixian.funds.models import Arrangement

    found = Arrangement.objects.filter(allocation__doc_no=f"leak-{h.pk}").values_list("pk", flat=True).first()
    return found or MISSING


def project_of(h: Household) -> int:
    """A project in the plan in the household's village, its head hired on it (以工代赈), with a payment."""
    from dixian.funds.models import Payment, Project, WorkReliefHire
    from dixian.funds.testing import planned_project

    project = Project.objects.filter(code=f"LEAK{h.pk}").first()
    if project is None:
        project = planned_project(
            h.region, code=f"LEAK{h.pk}", name=f"{h.region.name}产业项目", started_on=dt.date(2026, 3, 1)
        )
        head = h.members.order_by("pk")[0]
        WorkReliefHire.objects.create(
            project=project, person=head, household=h, hired_on=dt.date(2026, 3, 5), region_code=h.region_code
        )
        Payment.objects.create(
            project=project,
            paid_on=dt.date(2026, 4, 1),
            amount=100,
            use_category="construction",
            payee_category="worker",
            payee=head.name,
            region_code=project.region_code,
        )
    return project.pk


def relocation_of(h: Household) -> tuple[int, int, int, int]:
    """A relocation site in the household's village that houses it, with a resolved problem (its evidence a
    stored PDF) and a project of the village linked (dixian.relocation). Made once per household."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from dixian.funds.testing import planned_project
    from dixian.monitoring.testing import SMALL_PDF
    from dixian.regions.models import Region
    from dixian.relocation.models import RelocationSite, SiteHousehold, SiteProblem, SiteProject

    site = RelocationSite.objects.filter(name=f"安置点{h.pk}").first()
    if site is None:
        county = Region.objects.get(code=h.region.code[:6] + "000000")
        site = RelocationSite.objects.create(
            name=f"安置点{h.pk}",
            county=county,
            region=h.region,
            region_code=h.region.code,
            kind="village",
            chief_name="点长",
            chief_phone=ACCOUNT_PHONE.format(h.pk),
        )
        SiteHousehold.objects.create(site=site, household=h, region_code=h.region_code)
        evidence = f"relocation/problems/leak{h.pk}.pdf"
        default_storage.save(evidence, ContentFile(SMALL_PDF))
        SiteProblem.objects.create(
            site=site,
            region_code=site.region_code,
            category="facilities",
            description=f"{h.head_name}家漏水",
            found_on=dt.date(2026, 3, 1),
            owner="镇政府",
            deadline=dt.date(2026, 4, 1),
            resolved_on=dt.date(2026, 3, 20),
            resolution="已修复",
            evidence=evidence,
        )
        project = planned_project(h.region, code=f"RELOC{h.pk}", name=f"{h.region.name}安置点配套")
        SiteProject.objects.create(site=site, project=project, region_code=site.region_code)
    return (
        site.pk,
        site.households.values_list("pk", flat=True).first() or MISSING,
        site.problems.get().pk,
        site.projects.values_list("pk", flat=True).first() or MISSING,
    )


def supervision_of(h: Household) -> dict[str, int]:
    """The household county's leader and expert, a unit and a stationed cadre of its village (the phone an
    account phone of the village), and a visit recorded there whose notes and finding name the head
    (dixian.supervision). Made once per household."""
    from dixian.rectification.services import finding_raise
    from dixian.regions.models import Region
    from dixian.supervision.models import (
        AssistUnit,
        CountyLeader,
        Expert,
        StationedStaff,
        SupervisionVisit,
        VisitFinding,
    )

    visit = SupervisionVisit.objects.filter(topic=f"督导{h.pk}").first()
    if visit is None:
        county = Region.objects.get(code=h.region.code[:6] + "000000")
        day = dt.date(2026, 3, 2)
        leader = CountyLeader.objects.create(
            name=f"领导{h.pk}", post="副市长", county=county, region_code=county.code, start_on=day
        )
        AssistUnit.objects.create(
            unit=f"单位{h.pk}", village=h.region, region_code=h.region_code, start_on=day
        )
        StationedStaff.objects.create(
            name=f"书记{h.pk}",
            phone=ACCOUNT_PHONE.format(h.pk),
            unit="市直单位",
            village=h.region,
            region_code=h.region_code,
            role="first_secretary",
            start_on=day,
        )
        Expert.objects.create(
            name=f"专家{h.pk}", field="health", unit="医院", region=county, region_code=county.code
        )
        visit = SupervisionVisit.objects.create(
            kind="monthly",
            region=h.region,
            region_code=h.region_code,
            topic=f"督导{h.pk}",
            planned_on=day,
            done_on=day,
            checked=f"入户走访{h.head_name}户",
            findings_count=1,
        )
        visit.leaders.add(leader)
        finding, _ = finding_raise(
            actor=None,
            source="supervision",
            category="工作落实",
            title=f"{h.head_name}户帮扶措施未落实",
            region=h.region,
            found_on=day,
            origin_key=f"supervision.visit:{visit.pk}:1",
        )
        VisitFinding.objects.create(visit=visit, seq=1, finding=finding, region_code=h.region_code)
    return {
        "sup_leader": CountyLeader.objects.get(name=f"领导{h.pk}").pk,
        "sup_unit": AssistUnit.objects.get(unit=f"单位{h.pk}").pk,
        "sup_staff": StationedStaff.objects.get(name=f"书记{h.pk}").pk,
        "sup_expert": Expert.objects.get(name=f"专家{h.pk}").pk,
        "sup_visit": visit.pk,
    }


def governance_of(h: Household) -> tuple[int, int, int, int]:
    """A 四议两公开 decision of the household's village (its proposal's minutes a stored PDF), a points rule of
    the village with points awarded to and redeemed by the household, and the village's 村规民约 with its file
    (dixian.governance). Made once per household."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from dixian.governance.models import (
        Decision,
        DecisionStep,
        PointsAward,
        PointsRedemption,
        PointsRule,
        VillageDocument,
    )
    from dixian.monitoring.testing import SMALL_PDF

    village = h.region_code[:12]
    decision = Decision.objects.filter(title=f"事项{h.pk}").first()
    if decision is None:
        decision = Decision.objects.create(
            region=h.region, region_code=village, title=f"事项{h.pk}", category="project"
        )
        path = f"governance/decisions/leak{h.pk}.pdf"
        default_storage.save(path, ContentFile(SMALL_PDF))
        DecisionStep.objects.create(
            decision=decision,
            region_code=village,
            step="proposal",
            held_on=dt.date(2026, 3, 1),
            attachment=path,
        )
        rule = PointsRule.objects.create(region=h.region, region_code=village, item=f"评比{h.pk}", points=10)
        PointsAward.objects.create(
            household=h,
            region_code=h.region_code,
            rule=rule,
            points=10,
            reason="评比",
            awarded_on=dt.date(2026, 3, 2),
        )
        PointsRedemption.objects.create(
            household=h, region_code=h.region_code, item="洗衣粉", points=4, redeemed_on=dt.date(2026, 3, 3)
        )
        document = f"governance/documents/leak{h.pk}.pdf"
        default_storage.save(document, ContentFile(SMALL_PDF))
        VillageDocument.objects.create(
            region=h.region,
            region_code=village,
            kind="rules",
            title=f"村规民约{h.pk}",
            adopted_on=dt.date(2026, 1, 1),
            file=document,
        )
    return (
        decision.pk,
        decision.steps.get().pk,
        PointsRule.objects.get(item=f"评比{h.pk}").pk,
        VillageDocument.objects.get(title=f"村规民约{h.pk}").pk,
    )


def env_project_of(h: Household) -> int:
    """A project of the household's village tagged for the environment fund (dixian.environment)."""
    from dixian.environment.models import EnvironmentProject
    from dixian.funds.testing import planned_project

    link = EnvironmentProject.objects.filter(project__code=f"ENV{h.pk}").first()
    if link is None:
        project = planned_project(h.region, code=f"ENV{h.pk}", name=f"{h.region.name}改厕项目")
        link = EnvironmentProject.objects.create(
            project=project, region_code=project.region_code, theme="toilet"
        )
    return link.pk


def rectification_of(h: Household) -> tuple[int, int, int]:
    """A finding in the household's village naming it, a task of the village and the task's evidence (a
    stored PDF) (dixian.rectification). Made once per household."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from dixian.monitoring.testing import SMALL_PDF
    from dixian.rectification.models import Finding, FindingTask, TaskEvidence

    finding = Finding.objects.filter(origin_key=f"leak:{h.pk}").first()
    if finding is None:
        finding = Finding.objects.create(
            source=Finding.Source.NATIONAL,
            category="政策落实",
            title=f"{h.head_name}户帮扶措施不到位",
            description=f"{h.head_name}户电话 {h.phone} 无人接听",
            region=h.region,
            region_code=h.region.code,
            found_on=dt.date(2026, 1, 10),
            origin_key=f"leak:{h.pk}",
        )
        finding.households.set([h])
        task = FindingTask.objects.create(
            finding=finding,
            title="逐户核实",
            owner_region=h.region,
            region_code=h.region.code,
            deadline=dt.date(2026, 6, 30),
        )
        path = f"rectification/tasks/leak{h.pk}.pdf"
        default_storage.save(path, ContentFile(SMALL_PDF))
        TaskEvidence.objects.create(
            task=task, file=path, name="照片.pdf", content_type="application/pdf", size=len(SMALL_PDF)
        )
    task = finding.tasks.get()
    return finding.pk, task.pk, task.evidence.get().pk


def targets_for(
    world: World, visible: set[int], job: Job, batch: ImportBatch | None = None, user: User | None = None
) -> tuple[Targets, Targets | None]:
    """(records the persona may not see, records it may see — None when it may see none).

    `job` belongs to nobody among the personas; `batch` is another county's import batch, out of reach of
    every account whose region does not cover that county.
    """
    outside = [h for h in (world.far, world.neighbour, world.home) if h.pk not in visible]
    inside = [h for h in (world.home, world.neighbour, world.far) if h.pk in visible]
    batch_hidden = batch is not None and (user is None or not code_in_scope(user, batch.region.code))
    hidden_batch = batch.pk if batch_hidden else MISSING

    def of(h: Household | None, batch_pk: int) -> Targets:
        if h is None:  # the persona sees everything: guess a key that does not exist
            return Targets(
                household=MISSING,
                person=MISSING,
                job=job.pk,
                batch=batch_pk,
                household_no="0" * 16,
                id_number="0" * 18,
            )
        member = h.members.order_by("pk").first()
        declaration, village = declarations[h.pk], h.region.code
        visit, photo = visit_of(h)
        link_candidate = link_candidate_of(h)
        # The eliminated episode first, then the open one (episode 2).
        eliminated_case, follow_up = follow_up_of(h)
        case, attachment = case_of(h)
        measure, assignment = plan_of(h, case)
        funds = funds_records_of(h)
        jobs = employment_records_of(h)
        site, site_household, site_problem, site_project = relocation_of(h)
        decision, decision_step, points_rule, village_document = governance_of(h)
        finding, finding_task, finding_evidence = rectification_of(h)
        sup = supervision_of(h)
        return Targets(
            sup_leader=sup["sup_leader"],
            sup_unit=sup["sup_unit"],
            sup_staff=sup["sup_staff"],
            sup_expert=sup["sup_expert"],
            sup_visit=sup["sup_visit"],
            decision=decision,
            decision_step=decision_step,
            points_rule=points_rule,
            village_document=village_document,
            env_project=env_project_of(h),
            finding=finding,
            finding_task=finding_task,
            finding_evidence=finding_evidence,
            key_group_member=jobs["key_group_member"],
            public_post=jobs["public_post"],
            post_holding=jobs["post_holding"],
            site=site,
            site_household=site_household,
            site_problem=site_problem,
            site_project=site_project,
            asset=funds["asset"],
            income=funds["income"],
            entity=funds["entity"],
            base=funds["base"],
            allocation=allocation_in(h),
            arrangement=arrangement_in(h),
            project=project_of(h),
            case=case,
            attachment=attachment,
            eliminated_case=eliminated_case,
            follow_up=follow_up,
            measure=measure,
            assignment=assignment,
            account=account_in(h).pk,
            alert=alert_of(h),
            delivery=delivery_of(h),
            unmatched=unmatched_in(h),
            link_candidate=link_candidate,
            declaration=declaration,
            village=village,
            township=village[:9] + "000",
            visit=visit,
            photo=photo,
            household=h.pk,
            person=member.pk,
            job=job.pk,
            batch=batch_pk,
            household_no=h.household_no,
            id_number=member.id_number,
        )

    declarations = {h.pk: declaration_in(h) for h in (world.far, world.neighbour, world.home)}
    # Every kind of record exists for all three households, whatever the persona: a walk meets a hidden
    # household's records in the persona's own township (the neighbour's) as much as in another county.
    made: dict[int, Targets] = {}
    for h in (world.far, world.neighbour, world.home):
        consistency_finding_in(h)
        made[h.pk] = of(h, MISSING)
    visible_batch = batch.pk if batch is not None and not batch_hidden else MISSING
    return (
        replace(made[outside[0].pk], batch=hidden_batch) if outside else of(None, hidden_batch),
        replace(made[inside[0].pk], batch=visible_batch) if inside else None,
    )


def url_for(route: Route, targets: Targets) -> str:
    fill = FILL[route.name]
    return reverse(route.name, kwargs={p: getattr(targets, fill[p]) for p in route.params})


def widened_queries(world: World) -> list[dict[str, str]]:
    """Filters typed by hand: another county's or village's region (`region` by pk, the other keys by
    code), the whole city, and searches for households out of scope (name, number, ID number)."""
    regions = (world.far_village, world.other_county, world.other_village, world.city)
    searches = (
        world.far.head_name,
        world.far.household_no,
        world.neighbour.head_name,
        world.far.members.first().id_number,
    )
    return [
        {},
        *({"region": str(r.pk), **dict.fromkeys(WIDENING_KEYS[1:], r.code)} for r in regions),
        dict.fromkeys(WIDENING_KEYS, world.city.code[:4]),
        dict.fromkeys(WIDENING_KEYS, ""),
        *(dict.fromkeys(SEARCH_KEYS, text) for text in searches),
    ]


def fetch(client, url: str, query: dict[str, str], post: dict[str, str] | None = None):
    """GET url?query; a POST-only URL (an export) is posted to with the same query string."""
    response = client.get(url, query)
    if response.status_code == 405:
        response = client.post(f"{url}?{urlencode(query)}" if query else url, {**query, **(post or {})})
    return follow_job(client, response)


def get_or_post(client, url: str):
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


# --- the tests --------------------------------------------------------------------------------------


def test_every_parameterised_url_is_known():
    unknown = sorted({r.name for r in project_routes() if r.params and r.name not in FILL})
    assert not unknown, (
        f"URL patterns with path parameters that test_no_leak cannot fill: {unknown}. Add each to FILL in "
        f"{__file__} with the kind of record its parameters name, so that its scoping is checked."
    )
    wrong = {n: set(FILL[n]) for n in FILL if n in {r.name for r in project_routes()}}
    for route in project_routes():
        if route.name in wrong:
            assert set(route.params) == wrong[route.name], (
                f"FILL[{route.name!r}] does not match {route.params}"
            )


def test_the_walk_takes_every_persona(people):
    assert tuple(people) == PERSONA_NAMES, "add the new persona to PERSONA_NAMES (registry/testing.py)"


# One test per persona, so that a parallel run (pytest-xdist, Makefile) shares the walk out between workers.
@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_no_url_leaks_a_household_outside_the_personas_scope(client, world, people, persona):
    job_owner = User.objects.create_user("job_owner", password="x", region=world.other_county)
    job = Job.objects.create(
        kind="household_export", owner=job_owner, status=Job.Status.DONE, result_file="nothing.xlsx"
    )
    batch = ImportBatch.objects.create(
        file_name="都昌.xlsx",
        checksum="f" * 64,
        region=world.other_county,
        uploaded_by=people["other_county_reviewer"],
    )
    # A person who moved between counties: each household's history mentions the other one.
    mover = services.person_create(
        actor=None,
        household=world.neighbour,
        data={
            "name": "周七",
            "relation": "other",
            "labour_skill": "ordinary",
            "id_number": fake_id("360424", dt.date(1990, 9, 9), 40),
        },
    )
    services.person_move(actor=None, person=mover, to_household=world.far)
    routes = project_routes()
    plain = [r for r in routes if not r.params]
    with_params = [r for r in routes if r.params and r.name in FILL]
    queries = widened_queries(world)
    problems: list[str] = []

    user = people[persona]
    client.force_login(user)
    client.defaults["HTTP_AUTHORIZATION"] = (
        f"Bearer {api_token_create(user=user, name='walk', actor=None)[1]}"
    )
    visible = set(household_scope_for_user(user).values_list("pk", flat=True))
    if user_can(user, Capability.FUNDS_VIEW):
        # The funds pages name the households of the account's subtree that money reached (a payee,
        # a hire, a link, a share), to finance and sector offices too (docs/security.md §3).
        visible |= set(scope_by_region(user, Household.objects.all()).values_list("pk", flat=True))
    hidden = [h for h in Household.objects.all() if h.pk not in visible]
    secrets = secrets_of(hidden)
    for h in hidden:  # the accounts of a village out of scope are out of scope too
        secrets[account_in(h).username] = f"account of {h.household_no}'s village"
        secrets[ACCOUNT_PHONE.format(h.pk)] = f"phone of an account of {h.household_no}'s village"
    if not code_in_scope(user, world.other_county.code):
        secrets["都昌.xlsx"] = "import batch of another county"
    outside, inside = targets_for(world, visible, job, batch, user)

    for route in plain:
        if route.name == "accounts:logout":
            continue  # would end the session under test
        url = reverse(route.name)
        baseline = client.get(url)
        # Pages that answer a GET with content are tried with every widened filter (redirects, like
        # the home page, need one look; only an account that cannot see everything has anything to
        # leak). POST-only URLs (exports) get one plain try here; the export's widened filters are
        # tried by test_widened_export_returns_only_in_scope_rows.
        for query in queries if baseline.status_code == 200 and secrets else [{}]:
            response = fetch(client, url, query)
            if response.status_code >= 500:
                problems.append(f"{persona}: {route.name}?{query} answered {response.status_code}")
            problems.extend(
                f"{persona}: {route.name}?{query} shows the {what}"
                for what in leaks(without_echo(body_text(response), query), secrets)
            )

    for route in with_params:
        url = url_for(route, outside)
        response = get_or_post(client, url)
        if response.status_code != 404 and route.name not in PUBLIC:
            # A refusal by role (403 for every key, existing or not) reveals nothing either.
            missing = get_or_post(client, url_for(route, NOWHERE_TARGETS))
            if not (response.status_code == missing.status_code == 403):
                problems.append(f"{persona}: {url} (out of scope) answered {response.status_code}, not 404")
        problems.extend(
            f"{persona}: {url} (out of scope) shows the {what}"
            for what in leaks(body_text(response), secrets)
        )
        if inside is not None:
            url = url_for(route, inside)
            response = client.get(url)
            if response.status_code >= 500:
                problems.append(f"{persona}: {url} answered {response.status_code}")
            problems.extend(
                f"{persona}: {url} (in scope) shows the {what}"
                for what in leaks(body_text(response), secrets)
            )
    assert not problems, "\n".join(problems)


def landing(client, response, limit: int = 5) -> str | None:
    """The path a chain of redirects ends at (None when the first answer is not a redirect)."""
    if response.status_code not in (301, 302, 303):
        return None
    for _ in range(limit):
        path = urlsplit(response["Location"]).path
        response = client.get(response["Location"])
        if response.status_code not in (301, 302, 303):
            return path
    return None


def test_anonymous_visitor_is_sent_to_login_from_every_non_public_url(client, world, people):
    login = reverse("accounts:login")
    job = Job.objects.create(kind="household_export", owner=people["city_admin"])
    targets, _ = targets_for(world, set(), job)
    secrets = secrets_of(list(Household.objects.all()))
    problems: list[str] = []
    checked = 0
    for route in project_routes():
        if route.name in PUBLIC or (route.params and route.name not in FILL):
            continue
        url = url_for(route, targets) if route.params else reverse(route.name)
        response = get_or_post(client, url)
        problems.extend(f"{url} shows the {what}" for what in leaks(body_text(response), secrets))
        if route.name in TOKEN_ONLY:
            if response.status_code != 401:
                problems.append(f"{url} answered {response.status_code} without a token, not 401")
            checked += 1
            continue
        final = landing(client, response)
        if final != login:
            problems.append(
                f"{url} answered {response.status_code} (ends at {final}), not a redirect to login"
            )
        checked += 1
    assert not problems, "\n".join(problems)
    assert checked >= 10
    assert client.get(login).status_code == 200


def test_a_region_code_out_of_scope_in_the_query_answers_404(client, world, people):
    routes = {r.name for r in project_routes()}
    units = (
        world.city,
        world.county,
        world.other_county,
        world.township,
        world.village,
        world.other_village,
        world.far_village,
    )
    problems: list[str] = []
    checked = 0
    for persona, user in people.items():
        client.force_login(user)
        for name in sorted(REGION_CODE_QUERY & routes):
            url = reverse(name)
            if client.get(url).status_code == 403:
                continue  # the role is refused the page for every unit alike
            for unit in units:
                expected = 200 if code_in_scope(user, unit.code) else 404
                response = client.get(url, {"region": unit.code})
                checked += 1
                if response.status_code != expected:
                    problems.append(f"{persona}: {name}?region={unit.code} answered {response.status_code}")
                if response.status_code == 200:
                    text = body_text(response)
                    problems.extend(
                        f"{persona}: {name}?region={unit.code} names {other.name}"
                        for other in units
                        if not code_in_scope(user, other.code) and other.name in text
                    )
            for code in ("360499000000", "3604", "x"):  # nowhere, a short code, not a code
                response = client.get(url, {"region": code})
                if response.status_code != 404 and not (
                    code == "3604" and code_in_scope(user, "360400000000")
                ):
                    problems.append(f"{persona}: {name}?region={code} answered {response.status_code}")
        client.logout()
    assert not problems, "\n".join(problems)
    assert checked >= len(REGION_CODE_QUERY & routes) * len(units) * 3


def test_widened_export_returns_only_in_scope_rows(client, world, people):
    if "registry:household_export" not in {r.name for r in project_routes()}:
        pytest.skip("no URL named registry:household_export yet: the list/export page has not been added")
    url = reverse("registry:household_export")
    for persona, expected in (
        ("village_officer", {world.home}),
        ("county_reviewer", {world.home, world.neighbour}),
        ("other_county_reviewer", {world.far}),
        ("helper", {world.home}),
    ):
        client.force_login(people[persona])
        # The widest variant (the person sheet comes on top of the household sheet) with every widened
        # filter; every variant without filters, where it must show all the persona's rows.
        tries = [(q, EXTRA_POSTS["registry:household_export"][-1]) for q in widened_queries(world)]
        tries += [({}, post) for post in EXTRA_POSTS["registry:household_export"][:-1]]
        for query, post in tries:
            response = fetch(client, url, query, post)
            assert response.status_code == 200, (persona, query, response.status_code)
            text = body_text(response)
            shown = {
                h
                for h in (world.home, world.neighbour, world.far)
                if h.members.first().id_number in without_echo(text, query)
                or h.household_no in without_echo(text, query)
            }
            assert shown <= expected, (
                f"{persona}: export {query} {post} shows {sorted(h.household_no for h in shown)}"
            )
            if not query:
                assert shown == expected, f"{persona}: the unfiltered export misses rows"
        client.logout()


def admin_kwargs(route: Route, world: World) -> dict[str, str]:
    values = {
        "object_id": str(world.far.pk),
        "app_label": "registry",
        "content_type_id": str(ContentType.objects.get_for_model(Household).pk),
        "id": str(world.far.pk),
        "pk": str(
            world.far.pk
        ),  # django-otp's TOTP device pages (a key that is no device: the gate comes first)
    }
    missing = [p for p in route.params if p not in values]
    assert not missing, f"admin URL {route.name} has parameters this test cannot fill: {missing}"
    return {p: values[p] for p in route.params}


def test_admin_sends_every_non_staff_account_to_the_admin_login(client, world, people):
    admin_login = reverse("admin:login")
    secrets = secrets_of(list(Household.objects.all()))
    problems = []
    # The admin's gate is the superuser flag (dixian/accounts/admin_site.py; no persona has it): the
    # broadest, a narrow and a read-only account stand for the rest (~70 admin URLs x accounts stay cheap).
    accounts = [None, people["city_admin"], people["village_officer"], people["leader"], people["helper"]]
    routes = [r for r in admin_routes() if r.name not in ("admin:login", "admin:logout")]
    assert any(r.name == "admin:registry_household_change" for r in routes)
    for user in accounts:
        client.logout()
        if user is not None:
            client.force_login(user)
        who = user.username if user else "anonymous"
        for route in routes:
            url = reverse(route.name, kwargs=admin_kwargs(route, world))
            response = client.get(url)
            location = response.get("Location", "")
            if (
                not (response.status_code == 302 and location.startswith(admin_login))
                and response.status_code != 403
            ):
                problems.append(f"{who}: {url} answered {response.status_code} {location}")
            problems.extend(f"{who}: {url} shows the {what}" for what in leaks(body_text(response), secrets))
    assert not problems, "\n".join(problems)


def test_staff_flag_alone_does_not_open_registry_admin(client, world, people):
    # A staff account without model permissions sees the admin index but no household.
    user = people["village_officer"]
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert client.get(reverse("admin:registry_household_change", args=[world.far.pk])).status_code in (
        302,
        403,
    )
    assert world.far.household_no not in body_text(client.get(reverse("admin:index")))


def test_guessing_keys_does_not_reveal_existence(client, world, people):
    # The answer for a record out of scope is exactly the answer for a record that does not exist.
    client.force_login(people["village_officer"])
    missing = client.get(reverse("registry:household_detail", args=[10**9]))
    hidden = client.get(reverse("registry:household_detail", args=[world.far.pk]))
    assert missing.status_code == hidden.status_code == 404
    token = re.compile(r"[A-Za-z0-9]{64}")  # CSRF tokens differ per response
    assert token.sub("", body_text(missing)) == token.sub("", body_text(hidden))


# Path parameters of the reports pages for the walk below: a real indicator, so that the page runs.
REPORT_PARAMS = {"code": "ex_poor_households"}


def test_reports_answer_404_for_a_unit_out_of_scope(client, world, people):
    """Every page of the figures takes its unit as `region=<12-digit code>` (docs/domain.md §21): a unit
    outside the account's subtree answers 404 (a village account asking for its county's dashboard, a
    county asking for another county's village), a unit inside it answers; an account refused the pages
    by role is refused alike for every unit."""
    routes = [
        r for r in project_routes() if r.name.startswith("reports:") and set(r.params) <= set(REPORT_PARAMS)
    ]
    assert {"reports:dashboard", "reports:indicator"} <= {r.name for r in routes}
    units = (
        world.city,
        world.county,
        world.other_county,
        world.township,
        world.village,
        world.other_village,
        world.far_village,
    )
    problems: list[str] = []
    for persona, user in people.items():
        client.force_login(user)
        for route in routes:
            url = reverse(route.name, kwargs={p: REPORT_PARAMS[p] for p in route.params})
            own = get_or_post(client, url).status_code
            for unit in units:
                status = get_or_post(client, f"{url}?region={unit.code}").status_code
                if own == 403:
                    ok = status == 403
                elif code_in_scope(user, unit.code):
                    ok = status < 400
                else:
                    ok = status == 404
                if not ok:
                    problems.append(
                        f"{persona}: {url}?region={unit.code} answered {status} (own unit: {own})"
                    )
    assert not problems, "\n".join(problems)
    client.force_login(people["village_officer"])
    assert client.get(reverse("reports:dashboard"), {"region": world.county.code}).status_code == 404


def test_world_has_something_to_leak(world, people):
    # Guards the tests above against passing on an empty world.
    assert Household.objects.count() == 3
    assert set(household_scope_for_user(people["helper"]).values_list("pk", flat=True)) == {world.home.pk}
    assert secrets_of([world.far])[world.far.members.first().id_number].startswith("ID number")
