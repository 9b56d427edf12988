"""Writes for alerts: adding evidence from any line, and the village's verification outcome.

Bulk storage of a screening run's results lives in `screening.store` (it writes thousands of rows at
once); this module is the one-at-a-time path used by declarations, visits and people.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dixian.common.audit import change_record
from dixian.common.masking import record_key_shown
from dixian.common.models import ChangeLog
from dixian.domain.risks import GRADE_RANK, GRADES, RISK_TYPES, higher_grade
from dixian.feeds.labels import record_key_text
from dixian.registry.signals import moved_rows, moves_by_region, region_village

from .models import Alert, AlertEvidence, Channel, UnmatchedRecord
from .signals import alert_status_changed

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.regions.models import Region
    from dixian.registry.models import Household


# Rows of one model updated per statement when households move (an IN list both databases take).
FOLLOW_CHUNK = 500


def evidence_dedup_key(*parts: object) -> str:
    """The identity of one fact: the same parts give the same key, so adding it twice is a no-op."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()


def merged_reason(reasons: Iterable[str]) -> str:
    seen: list[str] = []
    for r in reasons:
        if r and r not in seen:
            seen.append(r)
    return ";".join(seen)


@transaction.atomic
def alert_add_evidence(
    *,
    household: Household | None,
    region: Region,
    risk_code: str,
    channel: str,
    grade: str,
    reason: str,
    dedup_parts: tuple[object, ...],
    subject_name: str = "",
    declaration: object | None = None,
    visit: object | None = None,
    at: dt.datetime | None = None,
    actor: User | None = None,
    monitored: bool | None = None,
    **department: object,
) -> AlertEvidence | None:
    """Add one piece of evidence to the open alert of (household, risk), opening the alert if needed.

    `monitored=True`: the household is already monitored for this risk, so the evidence is kept for its
    case (alert=None) and no alert is raised. None (visits, declarations): looked up, as a screening run
    does (`household_monitored_for`). Returns None when the same evidence exists already.
    `department` carries the department line's fields (rule_version, feed, delivery, record_keys, …).
    """
    if risk_code not in RISK_TYPES:
        raise ValidationError(f"未知的风险类型代码 {risk_code}")
    if grade not in GRADES:
        raise ValidationError("预警等级只能是 红 / 橙 / 黄")
    if channel not in Channel.values:
        raise ValidationError(f"未知的预警渠道 {channel}")
    at = at or timezone.now()
    key = evidence_dedup_key(
        household.pk if household else f"region:{region.code}:{subject_name}",
        risk_code,
        channel,
        *dedup_parts,
    )
    if AlertEvidence.objects.filter(dedup_key=key).exists():
        return None
    if monitored is None:
        monitored = household_monitored_for(household, risk_code)

    alert: Alert | None = None
    if not monitored:
        alert = _open_alert_for(household, region, risk_code, subject_name)
        created = False
        if alert is None:
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(
                        household=household,
                        region=region,
                        region_code=household.region_code if household else region.code,
                        subject_name=subject_name,
                        risk_code=risk_code,
                        grade=grade,
                        grade_rank=GRADE_RANK[grade],
                        reason=reason,
                        channels=[channel],
                        evidence_count=0,
                        raised_at=at,
                        due_date=Alert.due_for(grade, timezone.localdate(at)),
                        last_evidence_at=at,
                    )
                created = True
            except IntegrityError:  # the same household and risk was opened concurrently: merge into it
                alert = _open_alert_for(household, region, risk_code, subject_name)
                if alert is None:
                    raise
        if created:
            change_record(
                actor=actor,
                source=ChangeLog.Source.SYSTEM if actor is None else ChangeLog.Source.WEB,
                entity="alert",
                entity_id=alert.pk,
                household_id=household.pk if household else None,
                action=ChangeLog.Action.CREATE,
                summary=f"预警线索:{RISK_TYPES[risk_code].name} {grade}({Channel(channel).label})",
            )
        else:
            new_grade = higher_grade(alert.grade, grade)
            if new_grade != alert.grade:
                # A more urgent piece of evidence shortens the deadline, counted from the original alert.
                alert.due_date = min(alert.due_date, Alert.due_for(new_grade, timezone.localdate(at)))
            alert.grade, alert.grade_rank = new_grade, GRADE_RANK[new_grade]
            alert.reason = merged_reason([alert.reason, reason])
            if channel not in alert.channels:
                alert.channels = [*alert.channels, channel]
            alert.last_evidence_at = max(alert.last_evidence_at, at)

    try:
        with transaction.atomic():
            evidence = AlertEvidence.objects.create(  # type: ignore[misc]  # declaration/visit typed `object`: cases imports no app above it
                alert=alert,
                household=household,
                region_code=household.region_code if household else region.code,
                risk_code=risk_code,
                channel=channel,
                grade=grade,
                reason=reason,
                declaration=declaration,
                visit=visit,
                dedup_key=key,
                created_at=at,
                **department,
            )
    except IntegrityError:  # the same evidence was added concurrently
        return None
    if alert is not None:
        alert.evidence_count += 1
        alert.save()
    return evidence


def household_monitored_for(household: Household | None, risk_code: str) -> bool:
    """Whether the household is monitored for this risk: a confirmed alert of it, or of the risk type it
    belongs to (02 covers 0201), as the screening engine reads it. One query even without a household
    (pk 0 matches nothing): the public declaration page takes the same steps whether or not an ID number
    is in the registry."""
    confirmed = Alert.objects.filter(
        household_id=household.pk if household is not None else 0, status=Alert.Status.CONFIRMED
    )
    return any(risk_code.startswith(code) for code in confirmed.values_list("risk_code", flat=True))


def _open_alert_for(
    household: Household | None, region: Region, risk_code: str, subject_name: str
) -> Alert | None:
    qs = Alert.objects.select_for_update().filter(risk_code=risk_code, status__in=Alert.OPEN_STATUSES)
    if household is not None:
        return qs.filter(household=household).first()
    return qs.filter(household=None, region=region, subject_name=subject_name).first()


# What the village decides on an alert itself. 拟纳入 opens or joins the household's monitoring case
# (`monitoring.services.case_open`), and 已纳入监测 is set only by the case's county approval
# (docs/domain.md §20): neither is a status a person sets here.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Alert.Status.OPEN: {Alert.Status.VERIFYING, Alert.Status.DISMISSED},
    Alert.Status.VERIFYING: {Alert.Status.DISMISSED},
}
BULK_STATUSES = {Alert.Status.VERIFYING: "开始核实", Alert.Status.DISMISSED: "核实排除"}
# Alerts one bulk action may handle: a village-wide incident, well inside one page of the queue.
BULK_MAX = 200


@transaction.atomic
def alert_set_status(*, alert: Alert, status: str, note: str, actor: User) -> Alert:
    """The village's verification outcome. Dismissing needs a reason (a refusal must give reasons)."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == Alert.Status.PROPOSED:
        raise ValidationError("该预警线索已拟纳入监测,由监测帮扶档案办理(不予纳入请在档案中办理)")
    if status not in ALLOWED_TRANSITIONS.get(alert.status, set()):
        raise ValidationError(
            f"预警当前状态为“{alert.get_status_display()}”,不能改为“{Alert.Status(status).label}”"
        )
    note = note.strip()
    if status == Alert.Status.DISMISSED and not note:
        raise ValidationError("核实排除必须填写理由")
    old = alert.status
    alert.status = status
    if status in (Alert.Status.CONFIRMED, Alert.Status.DISMISSED):
        alert.closed_at = timezone.now()
        alert.closed_by = actor
    alert.close_note = note[:500]
    alert.save()
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="alert",
        entity_id=alert.pk,
        household_id=alert.household_id,
        action=ChangeLog.Action.UPDATE,
        changes={"status": [old, status]},
        summary=f"预警线索 {RISK_TYPES[alert.risk_code].name}:{Alert.Status(old).label} → {alert.get_status_display()}",
    )
    # The declarations behind the alert follow it (declarations connects to this; docs/architecture.md).
    alert_status_changed.send(sender=Alert, alert=alert, note=alert.close_note, actor=actor)
    return alert


def _names(alerts: Iterable[Alert], limit: int = 5) -> str:
    shown = [
        f"{a.household.head_name if a.household else a.subject_name or '未登记'}({RISK_TYPES[a.risk_code].name})"
        for a in alerts
    ]
    return "、".join(shown[:limit]) + (f" 等 {len(shown)} 条" if len(shown) > limit else "")


@transaction.atomic
def alerts_bulk_set_status(*, alert_ids: Iterable[int], status: str, note: str, actor: User) -> list[Alert]:
    """One verification outcome for several alerts of one event (a village-wide 水利 incident, one
    household's several pieces of evidence): 开始核实, or 核实排除 with the same reason for each. All or
    nothing: one alert that may not take the step refuses the whole selection, naming it. Each alert is
    audited and its declarations follow it, as on the alert's own page; the writes are one statement per
    table, so the queries grow only by the declarations' look-up per alert.

    `alert_ids` must already be the account's scope (the view selects them through `alert_scope_for_user`).
    """
    ids = sorted({int(pk) for pk in alert_ids})
    if status not in BULK_STATUSES:
        raise ValidationError("批量处理只能“开始核实”或“核实排除”;拟纳入请用“拟纳入”按钮")
    if not ids:
        raise ValidationError("请先勾选要处理的预警线索")
    if len(ids) > BULK_MAX:
        raise ValidationError(f"一次最多批量处理 {BULK_MAX} 条预警线索(本次勾选了 {len(ids)} 条)")
    note = note.strip()
    if status == Alert.Status.DISMISSED and not note:
        raise ValidationError("核实排除必须填写理由(同一理由适用于所选的每条线索)")
    if len(note) > 500:
        raise ValidationError(f"核实情况最多 500 字(现在 {len(note)} 字)")
    alerts = list(
        Alert.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("household")
        .order_by("pk")
    )
    if len(alerts) != len(ids):
        raise ValidationError("所选预警线索有的已不存在,请刷新页面后重新勾选")
    closed = [a for a in alerts if not a.is_open]
    if closed:
        raise ValidationError(
            f"所选预警线索中有 {len(closed)} 条已办结,不能再处理:{_names(closed)}。请取消勾选后再提交"
        )
    proposed = [a for a in alerts if a.status == Alert.Status.PROPOSED]
    if proposed:
        raise ValidationError(
            f"所选预警线索中有 {len(proposed)} 条已拟纳入监测,由监测帮扶档案办理:{_names(proposed)}。请取消勾选后再提交"
        )
    # 开始核实 on an alert already being verified changes nothing: it is left as it is.
    changing = [a for a in alerts if a.status != status]
    now = timezone.now()
    old = {a.pk: a.status for a in changing}
    for a in changing:
        a.status = status
        a.close_note = note[:500]
        a.updated_at = now
        if status == Alert.Status.DISMISSED:
            a.closed_at, a.closed_by = now, actor
    Alert.objects.bulk_update(changing, ["status", "close_note", "updated_at", "closed_at", "closed_by"])
    who = (actor.get_full_name() or actor.username) if actor.is_authenticated else "系统"
    ChangeLog.objects.bulk_create(
        ChangeLog(
            at=now,
            actor=actor if actor.is_authenticated else None,
            actor_name=who,
            source=ChangeLog.Source.WEB,
            entity="alert",
            entity_id=a.pk,
            household_id=a.household_id,
            action=ChangeLog.Action.UPDATE,
            changes={"status": [old[a.pk], status]},
            summary=(
                f"预警线索 {RISK_TYPES[a.risk_code].name}:{Alert.Status(old[a.pk]).label} → "
                f"{a.get_status_display()}(批量处理 {len(ids)} 条)"
            )[:200],
        )
        for a in changing
    )
    for a in changing:
        alert_status_changed.send(sender=Alert, alert=a, note=a.close_note, actor=actor)
    return alerts


@transaction.atomic
def unmatched_close(*, record: UnmatchedRecord, note: str, actor: User) -> UnmatchedRecord:
    """Close a 应纳未纳 record after review, with the reviewer's conclusion (audited)."""
    record = UnmatchedRecord.objects.select_for_update().get(pk=record.pk)
    if record.status != UnmatchedRecord.Status.OPEN:
        raise ValidationError("该记录已核查完毕,无需再次处理")
    note = note.strip()
    if not note:
        raise ValidationError("请填写核查结论")
    record.status = UnmatchedRecord.Status.CLOSED
    record.closed_by = actor
    record.close_note = note[:500]
    record.save(update_fields=["status", "closed_by", "close_note", "updated_at"])
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="unmatched",
        entity_id=record.pk,
        household_id=None,
        action=ChangeLog.Action.UPDATE,
        changes={"status": [UnmatchedRecord.Status.OPEN.value, UnmatchedRecord.Status.CLOSED.value]},
        summary=f"应纳未纳核查:{record.get_feed_display()} {record_key_text(record.feed, record_key_shown(record.feed, record.record_key, pii=False))}"[
            :200
        ],
    )
    return record


def cases_follow_households(*, moves: Mapping[int, Region], **_: object) -> dict[int, dict[str, list[int]]]:
    """A moved household's alerts (open or closed) and evidence (its alerts' and its case's) take its new
    code, and its alerts the new village, so that they are scoped by where the household lives now
    (docs/security.md §4). Connected to registry's `household_moved` (apps.py): runs in the move's
    transaction, so a failure leaves every row where it was."""
    moved: dict[int, dict[str, list[int]]] = {}

    def note(rows: list[tuple[int, int | None]], label: str) -> None:
        for owner, found in moved_rows(rows, label).items():
            moved.setdefault(owner, {}).update(found)

    for region, pks in moves_by_region(moves):
        village = region_village(region)
        for i in range(0, len(pks), FOLLOW_CHUNK):
            chunk = pks[i : i + FOLLOW_CHUNK]
            alerts = Alert.objects.filter(household_id__in=chunk)
            note(list(alerts.order_by().values_list("pk", "household_id")), str(Alert._meta.verbose_name))
            alerts.update(region=village, region_code=region.code)
            evidence = AlertEvidence.objects.filter(household_id__in=chunk)
            note(
                list(evidence.order_by().values_list("pk", "household_id")),
                str(AlertEvidence._meta.verbose_name),
            )
            evidence.update(region_code=region.code)
    return moved
