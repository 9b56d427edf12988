"""Writes to the rectification ledger (docs/domain.md §25). Every write is one transaction and leaves a
history entry (FindingEvent) in it; the pages, the workbook import and the other ledgers all come through here.

The rules: a task is closed only with evidence; a finding with every task done and its reviewers named goes to
joint review (联审中); a reviewer's send-back reopens it with the reason; it is closed (销号) only when every
named reviewer has signed. Refusals are ValidationError with a Chinese message saying what to do; a record
outside the actor's subtree is "not found" (docs/security.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import code_in_scope, user_prefix
from dixian.common.uploads import ATTACHMENT_MAX_BYTES, UploadRefused, attachment_clean
from dixian.registry.models import Household

from .checks import CHECKS
from .models import Finding, FindingEvent, FindingReviewer, FindingTask, TaskEvidence

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from dixian.accounts.models import User
    from dixian.funds.models import Project
    from dixian.regions.models import Region

NOT_FOUND = "该记录不存在或不在您的管辖范围内"
# docs/domain.md §12, §25: the check dimensions of the national and provincial assessments.
CATEGORIES = ("责任落实", "政策落实", "工作落实", "成效巩固")
EVIDENCE_PER_TASK = 20
Kind = FindingEvent.Kind


def _today() -> dt.date:
    return timezone.localdate()


def _need(actor: User, capability: Capability) -> None:
    if not user_can(actor, capability):
        raise PermissionDenied(f"您的账号没有“{capability.label}”的权限")


def _county_prefix(code: str) -> str:
    """The code prefix of the finding's county, or of the city for a city-level finding (§25: a task's owner unit
    lies in the finding's county or below)."""
    return code[:4] if code[4:6] == "00" else code[:6]


def _in_scope(actor: User, code: str) -> None:
    if not code_in_scope(actor, code):
        raise ValidationError(NOT_FOUND)


def event_add(finding: Finding, kind: str, summary: str, actor: User | None) -> FindingEvent:
    """A line of the finding's history, in the caller's transaction."""
    return FindingEvent.objects.create(finding=finding, kind=kind, summary=summary[:500], actor=actor)


def due_refresh(finding: Finding) -> None:
    """Keep `next_due`: the earliest of the finding's deadline and its open tasks', None once closed."""
    due: dt.date | None = None
    if finding.status != Finding.Status.CLOSED:
        dates = [finding.deadline] if finding.deadline else []
        first = (
            finding.tasks.filter(status=FindingTask.Status.OPEN)
            .order_by("deadline")
            .values_list("deadline", flat=True)
            .first()
        )
        if first is not None:
            dates.append(first)
        due = min(dates) if dates else None
    if due != finding.next_due:
        finding.next_due = due
        Finding.objects.filter(pk=finding.pk).update(next_due=due)


def _locked(finding: Finding) -> Finding:
    return Finding.objects.select_for_update().get(pk=finding.pk)


# ---- findings --------------------------------------------------------------------------------------------


@transaction.atomic
def finding_raise(
    *,
    actor: User | None,
    source: str,
    category: str,
    title: str,
    region: Region,
    found_on: dt.date,
    description: str = "",
    origin_key: str | None = None,
    deadline: dt.date | None = None,
    measures: str = "",
    plan_no: str = "",
    check_code: str = "",
    parent: Finding | None = None,
    households: Iterable[Household] = (),
    projects: Iterable[Project] = (),
    imported: bool = False,
) -> tuple[Finding, bool]:
    """File a finding (问题). With `origin_key`, a second call for the same origin returns the finding
    already filed and False instead of filing it again (a check that runs every night raises it once).
    The other ledgers call it with their own actor (or None for a scheduled check): it checks no right."""
    if origin_key:
        existing = Finding.objects.filter(origin_key=origin_key).first()
        if existing is not None:
            return existing, False
    finding = Finding.objects.create(
        source=source,
        category=category,
        title=title[:200],
        description=description,
        region=region,
        region_code=region.code,
        found_on=found_on,
        origin_key=origin_key or None,
        raised_by=actor,
        deadline=deadline,
        measures=measures,
        plan_no=plan_no[:20],
        check_code=check_code,
        parent=parent,
        next_due=deadline,
    )
    households = list(households)
    if households:
        finding.households.set(households)
    projects = list(projects)
    if projects:
        finding.projects.set(projects)
    where = region.full_name or region.name
    event_add(
        finding,
        Kind.IMPORTED if imported else Kind.RAISED,
        f"{'导入' if imported else '登记'}问题({finding.get_source_display()}·{category}):{title}({where})",
        actor,
    )
    return finding, True


def finding_validate(
    *, source: str, category: str, found_on: dt.date, deadline: dt.date | None
) -> dict[str, str]:
    """The field errors of a finding's facts (the form and the import say the same)."""
    errors: dict[str, str] = {}
    if source not in Finding.Source.values:
        errors["source"] = "问题来源无法识别,可填:" + "、".join(Finding.Source.labels)
    if not category:
        errors["category"] = "请填写问题类别,如 " + "、".join(CATEGORIES)
    if found_on > _today():
        errors["found_on"] = "发现日期不能晚于今天,请核对"
    if deadline is not None and deadline < found_on:
        errors["deadline"] = f"整改时限不能早于发现日期({found_on:%Y-%m-%d}),请核对"
    return errors


def finding_create(
    *,
    actor: User,
    source: str,
    category: str,
    title: str,
    region: Region,
    found_on: dt.date,
    description: str = "",
    deadline: dt.date | None = None,
    measures: str = "",
    check_code: str = "",
    households: Iterable[Household] = (),
    projects: Iterable[Project] = (),
) -> Finding:
    """The new-finding form: RECTIFICATION_EDIT, a unit in the actor's subtree, the facts checked."""
    _need(actor, Capability.RECTIFICATION_EDIT)
    _in_scope(actor, region.code)
    errors = finding_validate(source=source, category=category, found_on=found_on, deadline=deadline)
    if not title.strip():
        errors["title"] = "请填写问题"
    if errors:
        raise ValidationError(errors)
    finding, _ = finding_raise(
        actor=actor,
        source=source,
        category=category,
        title=title.strip(),
        region=region,
        found_on=found_on,
        description=description,
        deadline=deadline,
        measures=measures,
        check_code=check_code,
        households=households,
        projects=projects,
    )
    return finding


# ---- tasks -----------------------------------------------------------------------------------------------


@transaction.atomic
def task_add(
    *,
    actor: User | None,
    finding: Finding,
    title: str,
    owner_region: Region,
    deadline: dt.date,
    owner_unit: str = "",
    owner_user: User | None = None,
    owner_name: str = "",
    evidence_required: str = "",
    check: bool = True,
) -> FindingTask:
    """任务清单: a task of a finding not yet closed, owned by a unit inside the actor's subtree."""
    if check:  # the workbook import checked its importer itself (a command may run without --user)
        if actor is None:
            raise PermissionDenied("请先登录")
        _need(actor, Capability.RECTIFICATION_EDIT)
        # The finding itself must lie in the actor's subtree: seeing it through one of its tasks' owner units
        # (docs/domain.md §25, Scope) is not enough to split it further.
        _in_scope(actor, finding.region_code)
        _in_scope(actor, owner_region.code)
    finding = _locked(finding)
    if finding.status == Finding.Status.CLOSED:
        raise ValidationError("该问题已销号,不能再分解任务")
    errors: dict[str, str] = {}
    if not owner_region.code.startswith(_county_prefix(finding.region_code)):
        errors["owner_region"] = "责任单位须在问题所在县(市、区)之内(市级问题可为全市任一单位),请核对"
    if not title.strip():
        errors["title"] = "请填写整改任务"
    if deadline < finding.found_on:
        errors["deadline"] = f"完成时限不能早于问题的发现日期({finding.found_on:%Y-%m-%d}),请核对"
    if owner_user is not None and not code_in_scope(owner_user, owner_region.code):
        errors["owner_user"] = "责任人账号的管辖范围不包含责任单位所在地,请另选账号或只填写责任人姓名"
    if errors:
        raise ValidationError(errors)
    task = FindingTask.objects.create(
        finding=finding,
        title=title.strip()[:200],
        owner_region=owner_region,
        region_code=owner_region.code,
        owner_unit=owner_unit.strip()[:100],
        owner_user=owner_user,
        owner_name=(owner_name.strip() or (owner_user.get_full_name() if owner_user else ""))[:50],
        deadline=deadline,
        evidence_required=evidence_required.strip()[:300],
    )
    who = task.owner_unit or owner_region.name
    event_add(
        finding, Kind.TASK_ADDED, f"分解任务:{task.title}(责任单位 {who},时限 {deadline:%Y-%m-%d})", actor
    )
    if finding.status == Finding.Status.REVIEW:
        # A new task while under review: the review waits for it.
        finding.status = Finding.Status.OPEN
        finding.save(update_fields=["status", "updated_at"])
        FindingReviewer.objects.filter(finding=finding).update(
            decision=FindingReviewer.Decision.PENDING, decided_at=None, reason=""
        )
    due_refresh(finding)
    return task


def may_do_task(user: User, task: FindingTask) -> bool:
    """The task right and the task's owner unit inside the account's subtree (or the account named)."""
    if not user_can(user, Capability.RECTIFICATION_TASK):
        return False
    return task.owner_user_id == user.pk or code_in_scope(user, task.region_code)


def _need_task(actor: User, task: FindingTask) -> None:
    if not may_do_task(actor, task):
        raise PermissionDenied("只有责任单位(或其上级)有“办理整改任务”权限的账号可以办理该任务")


def evidence_add(
    *, actor: User, task: FindingTask, upload: UploadedFile[bytes] | None, note: str = ""
) -> TaskEvidence:
    """佐证材料: a photo or a scanned PDF, checked by its content (dixian/common/uploads.py), stored under
    MEDIA_ROOT at rectification/tasks/<pk>/<sha256>.<ext> and served only to accounts that may open the
    finding (views.evidence_file)."""
    _need_task(actor, task)
    if task.finding.status == Finding.Status.CLOSED:
        raise ValidationError("该问题已销号,不能再上传佐证材料")
    if FindingTask.objects.filter(pk=task.pk, status=FindingTask.Status.DONE).exists():
        raise ValidationError("该任务已完成;联审退回后可补充佐证材料")
    if upload is None:
        raise ValidationError({"file": "请选择佐证材料文件(照片或扫描的PDF文件)"})
    name = (upload.name or "佐证材料").replace("/", "_").replace("\\", "_")[-200:]
    if upload.size is not None and upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError({"file": f"文件「{name}」超过 10 MB,请压缩后再上传"})
    try:
        clean = attachment_clean(upload.read(ATTACHMENT_MAX_BYTES + 1), name)
    except UploadRefused as exc:
        raise ValidationError({"file": exc.message}) from None
    if task.evidence.count() >= EVIDENCE_PER_TASK:
        raise ValidationError({"file": f"每个任务最多上传 {EVIDENCE_PER_TASK} 份佐证材料"})
    sha = hashlib.sha256(clean.content).hexdigest()
    path = f"rectification/tasks/{task.pk}/{sha}.{clean.extension}"
    written = False
    if not default_storage.exists(path):
        stored = default_storage.save(path, ContentFile(clean.content))
        if stored != path:  # the same file saved meanwhile by a second submission: keep one copy
            default_storage.delete(stored)
        written = stored == path
    try:
        with transaction.atomic():
            evidence = TaskEvidence.objects.create(
                task=task,
                file=path,
                name=name,
                content_type=clean.content_type,
                size=len(clean.content),
                note=note.strip()[:200],
                uploaded_by=actor,
            )
            event_add(task.finding, Kind.EVIDENCE, f"任务「{task.title}」上传佐证材料:{name}", actor)
    except BaseException:
        if written and not TaskEvidence.objects.filter(file=path).exists():
            default_storage.delete(path)
        raise
    return evidence


@transaction.atomic
def task_close(*, actor: User, task: FindingTask, done_on: dt.date, note: str = "") -> FindingTask:
    """Close a task: refused without evidence (docs/domain.md §25). When it was the finding's last open
    task and reviewers are named, the finding goes to joint review."""
    _need_task(actor, task)
    finding = _locked(task.finding)
    task = FindingTask.objects.select_for_update().get(pk=task.pk)
    if task.status == FindingTask.Status.DONE:
        raise ValidationError(f"该任务已于 {task.done_on:%Y-%m-%d} 完成,无需重复办理")
    if finding.status == Finding.Status.CLOSED:
        raise ValidationError("该问题已销号")
    errors: dict[str, str] = {}
    newest = task.evidence.order_by("-uploaded_at").values_list("uploaded_at", flat=True).first()
    sent_back = (
        finding.events.filter(kind=Kind.SENT_BACK).order_by("-at").values_list("at", flat=True).first()
    )
    if newest is None:
        errors["__all__"] = "该任务还没有佐证材料,不能完成。请先上传整改后的照片或扫描的PDF文件,再办结任务。"
    elif sent_back is not None and newest < sent_back:
        # A send-back says the work is not yet done (§25): the task closes again only on new evidence.
        errors["__all__"] = (
            "联审退回后还没有上传新的佐证材料,不能完成。请按退回理由整改并上传新材料,再办结任务。"
        )
    if done_on > _today():
        errors["done_on"] = "完成日期不能晚于今天,请核对"
    elif done_on < finding.found_on:
        errors["done_on"] = f"完成日期不能早于问题的发现日期({finding.found_on:%Y-%m-%d}),请核对"
    if errors:
        raise ValidationError(errors)
    task.status, task.done_on, task.done_note, task.done_by = (
        FindingTask.Status.DONE,
        done_on,
        note.strip()[:300],
        actor,
    )
    task.save(update_fields=["status", "done_on", "done_note", "done_by", "updated_at"])
    event_add(finding, Kind.TASK_DONE, f"完成任务:{task.title}({done_on:%Y-%m-%d})", actor)
    due_refresh(finding)
    _maybe_to_review(finding, actor)
    return task


def _maybe_to_review(finding: Finding, actor: User | None) -> None:
    """整改中 → 联审中 once every task is done and reviewers are named (in the caller's transaction)."""
    if finding.status != Finding.Status.OPEN:
        return
    tasks = finding.tasks.all()
    if not tasks.exists() or tasks.filter(status=FindingTask.Status.OPEN).exists():
        return
    if not finding.reviewers.exists():
        return
    finding.status = Finding.Status.REVIEW
    finding.save(update_fields=["status", "updated_at"])
    event_add(finding, Kind.TO_REVIEW, "整改任务全部完成,提交联审", actor)


# ---- joint review (联审销号) -------------------------------------------------------------------------------


@transaction.atomic
def reviewers_add(*, actor: User, finding: Finding, reviewers: Iterable[User], unit: str = "") -> int:
    """Name reviewers (联审人): accounts with RECTIFICATION_VIEW whose subtree holds the finding's unit."""
    _need(actor, Capability.RECTIFICATION_EDIT)
    _in_scope(actor, finding.region_code)
    finding = _locked(finding)
    if finding.status == Finding.Status.CLOSED:
        raise ValidationError("该问题已销号,不能再指定联审人")
    named = set(finding.reviewers.values_list("reviewer_id", flat=True))
    added = 0
    bad = []
    for user in reviewers:
        if user.pk in named:
            continue
        if not user_can(user, Capability.RECTIFICATION_VIEW) or not code_in_scope(user, finding.region_code):
            bad.append(user.get_full_name() or user.username)
            continue
        FindingReviewer.objects.create(finding=finding, reviewer=user, unit=unit.strip()[:100])
        event_add(finding, Kind.REVIEWER, f"指定联审人:{user.get_full_name() or user.username}", actor)
        named.add(user.pk)
        added += 1
    if bad:
        raise ValidationError(
            {
                "reviewers": f"以下账号不能审核该问题(没有查看问题整改的权限或管辖范围不含问题所在地):{'、'.join(bad)}"
            }
        )
    _maybe_to_review(finding, actor)
    return added


def _my_review(actor: User, finding: Finding) -> FindingReviewer:
    row = FindingReviewer.objects.select_for_update().filter(finding=finding, reviewer=actor).first()
    if row is None:
        raise PermissionDenied("您不是该问题的联审人")
    return row


@transaction.atomic
def review_sign(*, actor: User, finding: Finding) -> FindingReviewer:
    """A reviewer signs off (同意销号)."""
    finding = _locked(finding)
    row = _my_review(actor, finding)
    if finding.status != Finding.Status.REVIEW:
        raise ValidationError("该问题不在联审中:整改任务全部完成后才能联审")
    if row.decision == FindingReviewer.Decision.SIGNED:
        raise ValidationError("您已同意销号,无需重复签署")
    row.decision, row.reason, row.decided_at = FindingReviewer.Decision.SIGNED, "", timezone.now()
    row.save(update_fields=["decision", "reason", "decided_at"])
    event_add(finding, Kind.SIGNED, f"{actor.get_full_name() or actor.username} 联审同意销号", actor)
    return row


@transaction.atomic
def review_send_back(*, actor: User, finding: Finding, reason: str) -> FindingReviewer:
    """A reviewer sends the finding back (退回整改) with a reason: it returns to 整改中, its tasks reopen and
    the signatures already given are cleared (the work will be looked at again)."""
    finding = _locked(finding)
    row = _my_review(actor, finding)
    if finding.status != Finding.Status.REVIEW:
        raise ValidationError("该问题不在联审中,不能退回")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写退回理由:哪里没有整改到位、还需要补充什么"})
    FindingReviewer.objects.filter(finding=finding).update(
        decision=FindingReviewer.Decision.PENDING, decided_at=None, reason=""
    )
    row.decision, row.reason, row.decided_at = (
        FindingReviewer.Decision.SENT_BACK,
        reason[:300],
        timezone.now(),
    )
    row.save(update_fields=["decision", "reason", "decided_at"])
    finding.tasks.update(status=FindingTask.Status.OPEN, done_on=None, updated_at=timezone.now())
    finding.status = Finding.Status.OPEN
    finding.save(update_fields=["status", "updated_at"])
    due_refresh(finding)
    event_add(finding, Kind.SENT_BACK, f"{actor.get_full_name() or actor.username} 退回整改:{reason}", actor)
    return row


@transaction.atomic
def finding_close(*, actor: User, finding: Finding, closed_on: dt.date | None = None) -> Finding:
    """销号: only when every named reviewer has signed (refused otherwise, naming who has not)."""
    _need(actor, Capability.RECTIFICATION_EDIT)
    _in_scope(actor, finding.region_code)
    finding = _locked(finding)
    if finding.status == Finding.Status.CLOSED:
        raise ValidationError(f"该问题已于 {finding.closed_on:%Y-%m-%d} 销号")
    if finding.tasks.filter(status=FindingTask.Status.OPEN).exists() or not finding.tasks.exists():
        raise ValidationError("整改任务尚未全部完成,不能销号")
    reviewers = list(finding.reviewers.select_related("reviewer"))
    if not reviewers:
        raise ValidationError("还没有指定联审人:联审销号须经联审人逐一签署同意")
    unsigned = [
        r.reviewer.get_full_name() or r.reviewer.username
        for r in reviewers
        if r.decision != FindingReviewer.Decision.SIGNED
    ]
    if unsigned or finding.status != Finding.Status.REVIEW:
        raise ValidationError(f"还有 {len(unsigned)} 位联审人未签署同意:{'、'.join(unsigned)},不能销号")
    finding.status = Finding.Status.CLOSED
    finding.closed_on = closed_on or _today()
    finding.save(update_fields=["status", "closed_on", "updated_at"])
    due_refresh(finding)
    event_add(finding, Kind.CLOSED, f"联审通过,销号({finding.closed_on:%Y-%m-%d})", actor)
    return finding


# ---- 举一反三 ---------------------------------------------------------------------------------------------


@dataclass
class SameCheckResult:
    hits: int = 0  # villages where the check holds
    filed: int = 0  # new findings
    existing: int = 0  # villages already filed by an earlier run
    own: bool = False  # the finding's own village was among the hits (not filed again)


def same_check_run(*, actor: User, finding: Finding, today: dt.date | None = None) -> SameCheckResult:
    """Run the finding's check over the actor's subtree; file each village hit other than the finding's own
    unit as a finding of its own, linked to the parent, with origin key rectification.same:<parent>:<code>
    so that a rerun files nothing twice (docs/domain.md §25)."""
    _need(actor, Capability.RECTIFICATION_EDIT)
    _in_scope(actor, finding.region_code)
    check = CHECKS.get(finding.check_code)
    if check is None:
        raise ValidationError("该问题没有指定举一反三的核查项,请在问题上选择核查项后再排查")
    prefix = user_prefix(actor) or "~"
    today = today or _today()
    result = SameCheckResult()
    hits = check.run(prefix)
    result.hits = len(hits)
    with transaction.atomic():
        for hit in hits:
            if hit.village.code == finding.region_code:
                result.own = True
                continue
            _, created = finding_raise(
                actor=actor,
                source=Finding.Source.PLATFORM,
                category=finding.category,
                title=f"举一反三:{check.label}",
                description=f"{hit.description}(由问题「{finding.title}」举一反三排查发现)",
                region=hit.village,
                found_on=today,
                origin_key=f"rectification.same:{finding.pk}:{hit.village.code}",
                deadline=finding.deadline if finding.deadline and finding.deadline >= today else None,
                check_code=finding.check_code,
                parent=finding,
                households=list(Household.objects.filter(pk__in=hit.household_ids[:500])),
            )
            if created:
                result.filed += 1
            else:
                result.existing += 1
        summary = f"举一反三「{check.label}」:{result.hits} 个村有同类问题,新登记 {result.filed} 个问题"
        if result.existing:
            summary += f",{result.existing} 个此前已登记"
        event_add(finding, Kind.SAME_CHECK, summary, actor)
    return result
