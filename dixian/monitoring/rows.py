"""How a case reads on a page: its row in the queue, its step progress and its history as a timeline in
plain Chinese (docs/domain.md §20: no internal codes). Shared by the case pages and the household page's
监测帮扶 panel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone

from dixian.common.masking import text_shown
from dixian.domain import lifecycle as lc
from dixian.domain.risks import RISK_TYPES

from .models import CaseAttachment, CaseTransition, MonitoringCase

COLOUR_TEXT = {lc.GREEN: "", lc.ORANGE: "临期", lc.RED: "超期"}


def risk_names(codes: list[str]) -> list[str]:
    return [RISK_TYPES[c].name if c in RISK_TYPES else "未知风险类型" for c in codes or []]


def clock_running(case: MonitoringCase) -> bool:
    """The 15-day clock runs until the case is decided (approved, refused): docs/domain.md §5."""
    return case.state in lc.IDENTIFYING


@dataclass(frozen=True)
class Deadline:
    due: dt.date
    colour: str  # lc.GREEN / ORANGE / RED
    text: str  # 剩 3 天, 今天到期, 已超期 2 天; or what stopped the clock


def deadline_of(case: MonitoringCase, today: dt.date) -> Deadline:
    running = clock_running(case)
    colour = lc.deadline_colour(case.due_on, today, done=not running)
    if not running:
        if case.identified_on:
            late = (case.identified_on - case.due_on).days
            text = f"{case.identified_on:%Y-%m-%d} 认定纳入" + (f"(超期 {late} 天)" if late > 0 else "")
        elif case.decided_on:
            text = f"{case.decided_on:%Y-%m-%d} 作出认定"
        else:
            text = "—"
        return Deadline(case.due_on, colour, text)
    return Deadline(case.due_on, colour, lc.deadline_text(case.due_on, today))


@dataclass(frozen=True)
class CaseRow:
    case: MonitoringCase
    name: str
    household_no: str
    village: str
    category: str
    risks: list[str]
    step: str
    deadline: Deadline


def case_rows(cases: list[MonitoringCase], today: dt.date) -> list[CaseRow]:
    return [
        CaseRow(
            case=c,
            name=c.household.head_name or "(未填户主)",
            household_no=c.household.household_no,
            village=c.region.name,
            category=c.get_category_display() if c.category else "待认定",
            risks=risk_names(c.risk_codes),
            step=c.step.label,
            deadline=deadline_of(c, today),
        )
        for c in cases
    ]


@dataclass(frozen=True)
class StepView:
    label: str
    owner: str
    status: str  # done / current / ahead
    note: str = ""  # a due date, the notice's earliest close


def step_progress(case: MonitoringCase, today: dt.date) -> list[StepView]:
    """Every step of the case's procedure: done, current or still ahead, with the dates that bind it."""
    if case.state in lc.IDENTIFICATION_PATH or case.state == lc.REFUSED:
        path: tuple[str, ...] = lc.IDENTIFICATION_PATH
    else:
        path = lc.ELIMINATION_PATH
    current = case.state if case.state in path else None
    at = path.index(current) if current else len(path)
    steps = []
    for i, code in enumerate(path):
        step = lc.STEPS[code]
        status = "done" if i < at else "current" if i == at else "ahead"
        note = ""
        if code in lc.IDENTIFYING and status != "done" and case.state in lc.IDENTIFYING:
            note = f"认定期限 {case.due_on:%Y-%m-%d}"
        if step.notice and status == "current" and case.notice_posted_on:
            close = lc.notice_may_close_on(case.notice_posted_on)
            note = f"{case.notice_posted_on:%Y-%m-%d} 开始公示,{close:%Y-%m-%d} 起可结束"
        steps.append(StepView(step.label, lc.OWNERS.get(step.owner, ""), status, note))
    if case.state == lc.REFUSED:
        steps.append(StepView(lc.STEPS[lc.REFUSED].label, "", "current", f"{case.decided_on or ''}"))
    return steps


# --- the timeline ----------------------------------------------------------------------------------------

ACTION_TEXT = {
    CaseTransition.Action.OPEN: "发起监测帮扶(拟纳入)",
    CaseTransition.Action.JOIN: "并入新的线索",
    CaseTransition.Action.SEND_BACK: "退回",
    CaseTransition.Action.REFUSE: "不予纳入",
    CaseTransition.Action.REJECT: "不同意风险消除",
    CaseTransition.Action.IMPORT: "从全国系统导入(已识别为监测对象)",
    CaseTransition.Action.FOLLOW_UP: "回头看",
}
CATEGORY_LABELS = dict(MonitoringCase._meta.get_field("category").choices or [])


@dataclass(frozen=True)
class AttachmentLink:
    label: str
    url: str


@dataclass(frozen=True)
class TimelineEntry:
    on: dt.date
    at: dt.datetime
    who: str
    what: str
    from_step: str
    to_step: str
    reason: str
    details: list[str] = field(default_factory=list)
    attachments: list[AttachmentLink] = field(default_factory=list)


def _details(t: CaseTransition) -> list[str]:
    """What the step recorded, in words (never a code)."""
    data = t.data or {}
    out = []
    if data.get("category"):
        out.append(f"监测对象类别:{CATEGORY_LABELS.get(data['category'], '其他')}")
    if data.get("risk_codes"):
        out.append("风险类型:" + "、".join(risk_names(list(data["risk_codes"]))))
    if data.get("method"):
        out.append(f"消除方式:{lc.ELIMINATION_METHODS.get(data['method'], '其他')}")
    notice = data.get("notice")
    if isinstance(notice, dict) and notice.get("posted_on"):
        out.append(f"公示期 {notice['posted_on']} 至 {notice.get('closed_on', '')}")
    if data.get("alerts"):
        out.append(f"预警线索 {len(data['alerts'])} 条")
    if t.action == CaseTransition.Action.OPEN and data.get("origin"):
        out.append(f"线索来源:{MonitoringCase.Origin(data['origin']).label}")
    return out


def attachment_url(attachment: CaseAttachment) -> str:
    return reverse("monitoring:attachment", args=[attachment.case_id, attachment.pk])


def attachment_label(a: CaseAttachment, *, pii: bool) -> str:
    # The original name may quote a person's ID or phone number (docs/security.md §1).
    return f"{a.get_kind_display()}({text_shown(a.original_name, pii=pii)})"


def timeline(
    transitions: list[CaseTransition], attachments: list[CaseAttachment], *, pii: bool
) -> list[TimelineEntry]:
    """A case's history, oldest first: who did what when, from which step to which, why, with what; each
    upload is an entry of its own (at the step the case was in)."""
    entries = []
    for t in transitions:
        from_step = lc.STEPS[t.from_state] if t.from_state else None
        if t.action == CaseTransition.Action.ADVANCE and from_step is not None:
            what = from_step.action or f"完成{from_step.label}"
        else:
            what = ACTION_TEXT.get(CaseTransition.Action(t.action), "办理")
        owner = lc.OWNERS.get(from_step.owner, "") if from_step is not None else ""
        entries.append(
            TimelineEntry(
                on=t.on,
                at=t.at,
                who=f"{t.actor_name}({owner})" if owner else t.actor_name,
                what=what,
                from_step=from_step.label if from_step is not None else "",
                to_step=lc.STEPS[t.to_state].label,
                reason=text_shown(t.reason, pii=pii),
                details=_details(t),
            )
        )
    for a in attachments:
        uploader = a.uploaded_by
        entries.append(
            TimelineEntry(
                on=timezone.localdate(a.uploaded_at),
                at=a.uploaded_at,
                who=(uploader.get_full_name() or uploader.username) if uploader is not None else "系统",
                what=f"上传{a.get_kind_display()}",
                from_step="",
                to_step="",
                reason="",
                attachments=[AttachmentLink(attachment_label(a, pii=pii), attachment_url(a))],
            )
        )
    return sorted(entries, key=lambda e: e.at)
