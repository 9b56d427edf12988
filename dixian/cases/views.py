"""The alert queue (预警线索), an alert's page with its evidence and actions, and the 应纳未纳 list.

Every read goes through `selectors` (scoped to the account; out of scope answers 404), every write through
`services` (audited). The queue is built for a phone first: cards on narrow screens, a table on wide ones.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.common.access import may_view_pii
from dixian.common.access_log import Action, log_access
from dixian.common.filters import region_picker
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.masking import health_feed_hidden, id_number_shown, phone_shown, record_key_shown
from dixian.common.paging import paginate
from dixian.domain import catalogue
from dixian.feeds.labels import record_key_text

from . import exports, services
from .evidence_rows import EvidenceRows, evidence_rows
from .forms import AlertBulkForm, AlertFilterForm, AlertStatusForm, UnmatchedCloseForm, UnmatchedFilterForm
from .models import Alert, AlertEvidence, Channel, UnmatchedRecord
from .rows import CHANNEL_LABELS, GRADE_CSS, alert_rows, due_text
from .selectors import (
    CHANNEL_ORDER,
    alert_counts_for_user,
    alert_get_for_user,
    alert_queue_for_user,
    alert_scope_for_user,
    case_clock_of,
    evidences_of,
    unmatched_get_for_user,
    unmatched_scope_for_user,
)

if TYPE_CHECKING:
    pass

PAGE_SIZE = 30


def url_or_none(name: str, *args: object) -> str | None:
    """The URL of a page another app may not have built yet (then: no link)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


@capability_required(Capability.ALERTS_VIEW)
@require_GET
def alert_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = AlertFilterForm(request.GET, user=user)
    filters = form.filters()
    page = paginate(alert_queue_for_user(user, filters), request.GET.get("page"), per_page=PAGE_SIZE)
    account_full_name = (user.region.full_name or user.region.name) if user.region else ""
    query = urlencode(filters.params())
    cases = case_clock_of([a.pk for a in page.rows if a.status == Alert.Status.PROPOSED])
    context = {
        "form": form,
        "filters": filters,
        "notices": filters.notices,
        "page": page,
        "rows": alert_rows(page.rows, timezone.localdate(), account_full_name, cases),
        "can_bulk": user_can(user, Capability.ALERTS_HANDLE),
        "back": request.get_full_path(),
        "query": query,
        "picker": region_picker(user, filters.region),
        "counts": alert_counts_for_user(user),
    }
    return render(request, "cases/alert_queue.html", context)


def queue_back(request: AuthenticatedHttpRequest) -> str:
    """Where a queue action returns: the queue page it was posted from (its filters and page), else the queue."""
    back = request.POST.get("next", "")
    queue = reverse("cases:alert_queue")
    return back if back.startswith(queue) and "//" not in back else queue


@capability_required(Capability.ALERTS_HANDLE)
@require_POST
def alert_bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """开始核实 / 核实排除 for the ticked alerts of the queue, in one action (services.alerts_bulk_set_status)."""
    user = request.user
    form = AlertBulkForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect(queue_back(request))
    ids = set(form.cleaned_data["alert"])
    found = set(alert_scope_for_user(user).filter(pk__in=ids).values_list("pk", flat=True))
    if found != ids:
        messages.error(request, "所选预警线索有的不存在或不在您的管辖范围内,请刷新页面后重新勾选。")
        return redirect(queue_back(request))
    status = form.cleaned_data["status"]
    try:
        alerts = services.alerts_bulk_set_status(
            alert_ids=found, status=status, note=form.cleaned_data["note"], actor=user
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, f"已对 {len(alerts)} 条预警线索{services.BULK_STATUSES[Alert.Status(status)]}。"
        )
    return redirect(queue_back(request))


@capability_required(Capability.ALERTS_VIEW)
@require_GET
def alert_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    user = request.user
    filters = AlertFilterForm(request.GET, user=user).filters()
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after streaming
    count = exports.alert_export_write(target, user=user, filters=filters)
    if count > exports.MAX_ROWS:
        target.close()
        messages.warning(
            request,
            f"符合条件的预警线索超过 {exports.MAX_ROWS:,} 条,请先按区划、等级或状态缩小范围后再导出。",
        )
        return redirect(
            reverse("cases:alert_queue") + (f"?{urlencode(filters.params())}" if filters.params() else "")
        )
    target.seek(0)
    log_access(
        request,
        action=Action.EXPORT,
        count=count,
        scope=f"预警线索导出 {count:,} 条；"
        + (filters.region.full_name or filters.region.name if filters.region is not None else "本辖区全部"),
        region_code=filters.region.prefix if filters.region is not None else None,
        fields=("name", "id_number", "reason", "health"),
    )
    name = f"预警线索_{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(target, as_attachment=True, filename=name)


@dataclass
class EvidenceView:
    evidence: AlertEvidence
    id_number: str
    rule_url: str | None
    delivery_url: str | None
    declaration_url: str | None
    visit_url: str | None
    feed_label: str
    rows: EvidenceRows | None
    sources: list[tuple[str, str | None]] = field(default_factory=list)  # (label, URL of the rows page)


def _rule_url(evidence: AlertEvidence) -> str | None:
    if evidence.rule_version is None:
        return None
    url = url_or_none("rules:detail", evidence.rule_version.rule.rule_id)
    return f"{url}#v{evidence.rule_version.version}" if url else None


def _feed_label(code: str) -> str:
    if not code:
        return ""
    try:
        spec = catalogue.feed(code)
    except KeyError:
        return code  # a combined label ("medical+education") or the registry
    return f"{spec.department} · {spec.name}"


def source_labels(evidences: list[AlertEvidence], *, pii: bool) -> dict[int, list[tuple[str, str | None]]]:
    """Per evidence, where each of its records came from (docs/security.md §3): "来源:医保局 2026年11月
    报送 #12 第 37 行", with the link to that delivery's rows about the viewer's households."""
    from dixian.feeds.models import FeedDelivery

    wanted: set[int] = set()
    for e in evidences:
        wanted.update(
            int(s["delivery"]) for s in (e.sources or []) if isinstance(s, dict) and s.get("delivery")
        )
        if e.delivery_id is not None and not e.sources:
            wanted.add(e.delivery_id)
    deliveries = {d.pk: d for d in FeedDelivery.objects.filter(pk__in=wanted).select_related("region")}
    out: dict[int, list[tuple[str, str | None]]] = {}
    for e in evidences:
        sources = [s for s in (e.sources or []) if isinstance(s, dict)]
        if not sources and e.delivery_id:
            # Evidence stored before rows were named: the delivery and the record keys.
            sources = [{"delivery": e.delivery_id, "row": None, "key": k} for k in (e.record_keys or [])[:5]]
        labels = []
        for src in sources:
            d = deliveries.get(int(src.get("delivery") or 0))
            if d is None:
                continue
            where = (
                f"第 {src['row']} 行"
                if src.get("row")
                else f"记录号 {record_key_shown(d.feed, str(src.get('key', '')), pii=pii)}"
            )
            labels.append(
                (
                    f"来源:{d.region.name}{d.feed_spec.department} {d.period_label} 批次 #{d.pk} {where}",
                    url_or_none("cases:delivery_rows", d.pk),
                )
            )
        out[e.pk] = labels
    return out


def evidence_views(evidences: list[AlertEvidence], *, pii: bool) -> list[tuple[str, list[EvidenceView]]]:
    """The alert's evidence grouped by channel (department data, declaration, visit)."""
    groups: dict[str, list[EvidenceView]] = {}
    sources = source_labels([e for e in evidences if e.channel == Channel.DEPARTMENT], pii=pii)
    for e in evidences:
        rows = None
        if e.channel == Channel.DEPARTMENT and e.delivery_id:
            rows = evidence_rows(e.delivery, list(e.record_keys or []), pii=pii)
        groups.setdefault(e.channel, []).append(
            EvidenceView(
                evidence=e,
                id_number=id_number_shown(e.id_number, pii=pii),
                rule_url=_rule_url(e),
                delivery_url=url_or_none("feeds:delivery_detail", e.delivery_id) if e.delivery_id else None,
                declaration_url=url_or_none("declarations:detail", e.declaration_id)
                if e.declaration_id
                else None,
                visit_url=url_or_none("visits:detail", e.visit_id) if e.visit_id else None,
                feed_label=_feed_label(e.feed),
                rows=rows,
                sources=sources.get(e.pk, []),
            )
        )
    return [(CHANNEL_LABELS[c], groups[c]) for c in CHANNEL_ORDER if c in groups]


def _detail_context(
    request: AuthenticatedHttpRequest, alert: Alert, form: AlertStatusForm | None = None
) -> dict[str, Any]:
    user = request.user
    pii = may_view_pii(user)
    today = timezone.localdate()
    case_id, case_due = case_clock_of([alert.pk]).get(alert.pk, (None, None))
    due, due_css = due_text(alert, today, case_due)
    household = alert.household
    evidences = evidences_of(alert)
    return {
        "case_id": case_id,
        "case_due": case_due,
        # 拟纳入 (monitoring's page) opens or joins the household's case; a declarant not yet in the
        # registry is registered from the case (docs/domain.md §20).
        "can_propose": user_can(user, Capability.ALERTS_HANDLE) and alert.status in Alert.TO_VERIFY_STATUSES,
        "alert": alert,
        "household": household,
        "phone": phone_shown(household.phone, pii=pii) if household else "",
        "pii": pii,
        "grade_css": GRADE_CSS.get(alert.grade, ""),
        "channels": [CHANNEL_LABELS.get(c, c) for c in alert.channels],
        "due": due,
        "due_css": due_css,
        "groups": evidence_views(evidences, pii=pii),
        "health_hidden": any(health_feed_hidden(e.feed, pii=pii) for e in evidences),
        "can_act": user_can(user, Capability.ALERTS_HANDLE) and alert.status in Alert.TO_VERIFY_STATUSES,
        "can_start": alert.status == Alert.Status.OPEN,
        "form": form or AlertStatusForm(),
    }


@capability_required(Capability.ALERTS_VIEW)
@require_GET
def alert_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert = alert_get_for_user(request.user, pk)
    log_access(
        request,
        household=alert.household_id,
        region_code=alert.region_code,
        fields=("name", "id_number", "phone", "reason", "evidence", "health"),
    )
    return render(request, "cases/alert_detail.html", _detail_context(request, alert))


@capability_required(Capability.ALERTS_HANDLE)
@require_POST
def alert_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    alert = alert_get_for_user(user, pk)  # 404 outside the account's scope
    form = AlertStatusForm(request.POST)
    if form.is_valid():
        status = form.cleaned_data["status"]
        try:
            services.alert_set_status(alert=alert, status=status, note=form.cleaned_data["note"], actor=user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"已{AlertStatusForm.ACTIONS[Alert.Status(status)]}。")
            return redirect("cases:alert_detail", pk=alert.pk)
        alert = alert_get_for_user(user, pk)
    return render(request, "cases/alert_detail.html", _detail_context(request, alert, form))


# --- 应纳未纳 -------------------------------------------------------------------------------------------


@dataclass
class UnmatchedRow:
    record: UnmatchedRecord
    id_number: str
    record_key: str


@capability_required(Capability.UNMATCHED_VIEW)
@require_GET
def unmatched_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = UnmatchedFilterForm(request.GET)
    data, notices = form.filters()
    qs = unmatched_scope_for_user(user).select_related("region")
    if data["feed"]:
        qs = qs.filter(feed=data["feed"])
    if data["problem"]:
        qs = qs.filter(problem=data["problem"])
    if data["status"] != "all":
        qs = qs.filter(status=data["status"])
    page = paginate(qs.order_by("status", "-created_at", "-id"), request.GET.get("page"), per_page=PAGE_SIZE)
    pii = may_view_pii(user)
    params = [(k, v) for k, v in data.items() if v and not (k == "status" and v == "open")]
    if page.rows:
        log_access(
            request,
            count=len(page.rows),
            scope=f"应纳未纳线索 第 {page.number} 页",
            fields=("name", "id_number", "record"),
        )
    return render(
        request,
        "cases/unmatched_list.html",
        {
            "form": form,
            "notices": notices,
            "page": page,
            "rows": [
                UnmatchedRow(
                    r,
                    id_number_shown(r.id_number, pii=pii),
                    record_key_text(r.feed, record_key_shown(r.feed, r.record_key, pii=pii)),
                )
                for r in page.rows
            ],
            "query": urlencode(params),
            "can_close": user_can(user, Capability.UNMATCHED_HANDLE),
            "close_form": UnmatchedCloseForm(),
            "pii": pii,
        },
    )


@capability_required(Capability.UNMATCHED_HANDLE)
@require_POST
def unmatched_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    record = unmatched_get_for_user(user, pk)
    form = UnmatchedCloseForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
    else:
        try:
            services.unmatched_close(record=record, note=form.cleaned_data["note"], actor=user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                f"已记录核查结论:{record.name or record_key_text(record.feed, record_key_shown(record.feed, record.record_key, pii=may_view_pii(request.user)))}。",
            )
    back = request.POST.get("next", "")
    if not back.startswith(reverse("cases:unmatched_list")):
        back = reverse("cases:unmatched_list")
    return redirect(back)


@capability_required(Capability.ALERTS_VIEW)
@require_GET
def delivery_rows(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A delivery's rows about the viewer's own households (docs/security.md §3): where a piece of
    evidence or a 外地记录 came from, and what else that delivery said about the viewer's households."""
    from dixian.feeds.models import FeedDelivery

    from .delivery_rows import MAX_ROWS, delivery_rows_for, delivery_visible

    delivery = FeedDelivery.objects.select_related("region").filter(pk=pk).first()
    if delivery is None or not delivery_visible(request.user, delivery):
        raise Http404("报送不存在或与您的辖区无关")
    pii = may_view_pii(request.user)
    rows = delivery_rows_for(request.user, delivery, pii=pii)
    for row in rows.rows:
        row["key"] = record_key_shown(delivery.feed, row["key"], pii=pii)
    return render(
        request,
        "cases/delivery_rows.html",
        {"delivery": delivery, "rows": rows, "pii": pii, "max_rows": MAX_ROWS},
    )
