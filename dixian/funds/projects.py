"""Writes of the project bank (项目库) and the year's implementation plan (docs/domain.md §22).

A village proposes a project; the township passes, returns or rejects it; the county approves (the publicity
starts), returns or rejects it; the county closes the publicity after the year's publicity period and the
project enters the plan. Every move is by the level that owns it (`dixian.domain.funds.PROJECT_MOVES`, the
owner's capability from OWNER_CAPABILITY) and is kept as an append-only ProjectTransition in the same
transaction. A form carries the project's `seq`: a second submission of the same form finds the project
moved on and writes nothing.

Once in the plan a sector office records progress (started, completed, accepted) and the 以工代赈 hires.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import code_in_scope
from dixian.common.audit import change_record, diff_fields
from dixian.common.models import ChangeLog
from dixian.domain import funds as fd
from dixian.regions.models import Region
from dixian.registry.models import Household, Person

from .models import (
    Arrangement,
    Asset,
    FundsPolicy,
    Payment,
    Project,
    ProjectBudget,
    ProjectTransition,
    WorkReliefHire,
)

if TYPE_CHECKING:
    from dixian.accounts.models import User

# Who may make the moves an owner owns (docs/domain.md §22: the village proposes, the township reviews, the
# county decides and closes the publicity).
OWNER_CAPABILITY: dict[str, Capability] = {
    "village": Capability.PROJECTS_PROPOSE,
    "township": Capability.PROJECTS_REVIEW,
    "county": Capability.PROJECTS_DECIDE,
}
OWNER_LABEL: dict[str, str] = {"village": "村级", "township": "乡镇", "county": "县级"}
# A form drawn from the project before its last move (two tabs, two clicks).
STALE = "该项目已经办理过这一步(可能是重复提交或他人已处理),请刷新页面查看最新状态。"
PROJECT_LEVELS = (Region.Level.VILLAGE, Region.Level.TOWNSHIP)
EDITABLE_STATES = (fd.PROPOSED, fd.RETURNED)
# Moves that take a project out of the arrangeable states (docs/domain.md §22): money arranged to it would
# stay counted in the figures, so the finance office withdraws the arrangements first.
LEAVING_MONEY_MOVES = ("publicity_objection", "county_reject", "county_return")
CODE_PATTERN = re.compile(r"^[0-9A-Za-z\-_]{1,40}$")
# The project's own fields the village writes (and the change log compares).
PROJECT_FIELDS = (
    "name",
    "kind",
    "region_code",
    "owner_unit",
    "content",
    "planned_start",
    "planned_completion",
    "work_relief_plan",
    "benefit_plan",
    "income_plan",
)
PROGRESS_FIELDS = ("planned_start", "planned_completion", "started_on", "completed_on", "accepted_on")


def publicity_days_for(year: int) -> int:
    """The year's publicity period (FundsPolicy), else the default of 10 full days."""
    days = FundsPolicy.objects.filter(year=year).values_list("publicity_days", flat=True).first()
    return days if days is not None else fd.DEFAULT_PUBLICITY_DAYS


def _actor_name(actor: User | None) -> str:
    if actor is None or not actor.is_authenticated:
        return "系统"
    return actor.get_full_name() or actor.username


def _audit(actor: User | None, project: Project, action: str, summary: str, changes: dict[str, Any]) -> None:
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity="project",
        entity_id=project.pk,
        household_id=None,
        action=action,
        changes=changes,
        summary=summary,
    )


# ---- who may move a project ----------------------------------------------------------------------------


def may_move(user: User, project: Project, move: fd.ProjectMove) -> bool:
    capability = OWNER_CAPABILITY.get(move.owner)
    return (
        move.source == project.state
        and capability is not None
        and user_can(user, capability)
        and code_in_scope(user, project.region_code)
    )


def moves_for(user: User, project: Project) -> list[fd.ProjectMove]:
    """The moves of the project's current state that `user` may make."""
    return [m for m in fd.moves_from(project.state) if may_move(user, project, m)]


def why_not(user: User, project: Project) -> str:
    """Why `user` has no move on the project now, in plain Chinese (empty when it has one)."""
    if moves_for(user, project):
        return ""
    owner = fd.PROJECT_OWNERS.get(project.state, "")
    if not owner:
        return f"项目{fd.PROJECT_STATES[project.state]},项目库流程已结束。"
    return f"项目{fd.PROJECT_STATES[project.state]},下一步由{OWNER_LABEL[owner]}办理,您的账号不能办理这一步。"


def _lock(project: Project, seq: int | None) -> Project:
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if seq is not None and locked.seq != seq:
        raise ValidationError(STALE, code="stale")
    return locked


# ---- proposal ------------------------------------------------------------------------------------------


def _check_region(actor: User, region: Region) -> None:
    if region.level not in PROJECT_LEVELS:
        raise ValidationError({"region": "项目地点应为一个行政村或乡镇"})
    if not code_in_scope(actor, region.code):
        raise ValidationError({"region": "项目地点不在您的管辖范围内,请选择本辖区的村或乡镇"})


def _clean_budgets(budgets: Mapping[str, Decimal | None]) -> dict[str, Decimal]:
    clean: dict[str, Decimal] = {}
    for level, amount in budgets.items():
        if level not in fd.FUND_LEVELS:
            raise ValidationError({"budgets": f"资金来源“{level}”不在目录中"})
        if amount is None or amount == 0:
            continue
        if amount < 0 or amount != amount.quantize(fd.FEN):
            raise ValidationError(
                {"budgets": f"{fd.FUND_LEVELS[level]}资金 {amount} 应为不小于0、精确到分的金额"}
            )
        clean[level] = amount
    if not clean:
        raise ValidationError({"budgets": "请至少填写一个资金来源的预算金额"})
    return clean


def _write_budgets(project: Project, budgets: dict[str, Decimal]) -> None:
    """Replace the project's budget rows and keep budget_total equal to their sum."""
    ProjectBudget.objects.filter(project=project).delete()
    ProjectBudget.objects.bulk_create(
        ProjectBudget(project=project, level=level, amount=amount) for level, amount in budgets.items()
    )
    project.budget_total = sum(budgets.values(), Decimal("0.00"))


def _next_code(year: int, region: Region) -> str:
    prefix = f"XM{year}{region.code[:9]}"
    taken = Project.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    numbers = [int(c[len(prefix) :]) for c in taken if c[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def _check_fields(data: Mapping[str, Any]) -> None:
    if not str(data.get("name") or "").strip():
        raise ValidationError({"name": "请填写项目名称"})
    if data.get("kind") not in fd.PROJECT_TYPES:
        raise ValidationError({"kind": "请从目录中选择项目类型"})
    if not str(data.get("owner_unit") or "").strip():
        raise ValidationError({"owner_unit": "请填写项目实施单位"})
    start, end = data.get("planned_start"), data.get("planned_completion")
    if start and end and end < start:
        raise ValidationError({"planned_completion": "计划完工日期不能早于计划开工日期"})


@transaction.atomic
def project_propose(
    *,
    actor: User,
    region: Region,
    year: int,
    data: Mapping[str, Any],
    budgets: Mapping[str, Decimal | None],
    code: str = "",
) -> Project:
    """A village's proposal of a project into the bank: budget by fund source, code generated if not given."""
    if not user_can(actor, Capability.PROJECTS_PROPOSE):
        raise PermissionDenied("只有村级账号可以申报项目")
    _check_region(actor, region)
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": "计划年度应为四位年份,如 2026"})
    _check_fields(data)
    clean = _clean_budgets(budgets)
    code = (code or "").strip()
    if code and not CODE_PATTERN.match(code):
        raise ValidationError({"code": "项目编号只能由字母、数字、横线和下划线组成,最长40位"})
    if code and Project.objects.filter(code=code).exists():
        raise ValidationError({"code": f"项目编号 {code} 已被使用,请换一个或留空由系统生成"})
    now = timezone.now()
    project = Project(
        year=year,
        region=region,
        region_code=region.code,
        state=fd.PROPOSED,
        state_since=now,
        publicity_days=publicity_days_for(year),
        created_by=actor if actor.is_authenticated else None,
        **{
            f: data.get(f) or ("" if f not in ("planned_start", "planned_completion") else None)
            for f in PROJECT_FIELDS
            if f != "region_code"
        },
    )
    project.name = project.name.strip()
    for attempt in range(5):
        project.code = code or _next_code(year, region)
        try:
            with transaction.atomic():
                project.save()
            break
        except IntegrityError:
            if code or attempt == 4:
                raise ValidationError({"code": f"项目编号 {project.code} 已被使用,请重试"}) from None
            project.pk = None
    _write_budgets(project, clean)
    project.save(update_fields=["budget_total"])
    ProjectTransition.objects.create(
        project=project,
        action="propose",
        from_state="",
        to_state=fd.PROPOSED,
        actor=actor if actor.is_authenticated else None,
        actor_name=_actor_name(actor),
        at=now,
    )
    _audit(actor, project, ChangeLog.Action.CREATE, f"申报项目 {project.code} {project.name}", {})
    return project


@transaction.atomic
def project_update(
    *,
    actor: User,
    project: Project,
    region: Region,
    data: Mapping[str, Any],
    budgets: Mapping[str, Decimal | None],
) -> Project:
    """The village changes its proposal while the township has not passed it (proposed or returned)."""
    project = _lock(project, None)
    if not user_can(actor, Capability.PROJECTS_PROPOSE) or not code_in_scope(actor, project.region_code):
        raise PermissionDenied("只有申报项目的村可以修改项目")
    if project.state not in EDITABLE_STATES:
        raise ValidationError(
            f"项目{fd.PROJECT_STATES[project.state]},不能再修改;只有待审核或退回的项目可以修改"
        )
    _check_region(actor, region)
    _check_fields(data)
    clean = _clean_budgets(budgets)
    old = {f: getattr(project, f) for f in PROJECT_FIELDS}
    old_budgets = {b.level: str(b.amount) for b in project.budgets.all()}
    new_budgets = {level: str(amount) for level, amount in clean.items()}
    if new_budgets != old_budgets and Arrangement.objects.filter(project=project).exists():
        raise ValidationError({"budgets": "该项目已安排资金,不能修改预算;如需修改,请财政部门先撤回资金安排"})
    for f in PROJECT_FIELDS:
        if f != "region_code":
            setattr(project, f, data.get(f) or (None if f.startswith("planned_") else ""))
    project.region, project.region_code = region, region.code
    _write_budgets(project, clean)
    # A reviewer's form drawn before this change is stale: the move must not pass what they did not see.
    project.seq += 1
    project.save()
    changes = diff_fields(old, {f: getattr(project, f) for f in PROJECT_FIELDS}, PROJECT_FIELDS)
    if new_budgets != old_budgets:
        changes["budgets"] = [old_budgets, new_budgets]
    _audit(actor, project, ChangeLog.Action.UPDATE, f"修改项目 {project.code}", changes)
    return project


# ---- the moves -----------------------------------------------------------------------------------------


@transaction.atomic
def project_move(
    *, project: Project, move_code: str, seq: int | None, reason: str = "", actor: User
) -> Project:
    """Make one move of the project bank (docs/domain.md §22), by the level that owns it."""
    move = fd.PROJECT_MOVES.get(move_code)
    if move is None:
        raise ValidationError("没有这个办理动作")
    if not code_in_scope(actor, project.region_code):
        raise PermissionDenied("该项目不在您的管辖范围内")
    project = _lock(project, seq)
    if project.state != move.source:
        raise ValidationError(
            f"项目{fd.PROJECT_STATES[project.state]},不能“{move.label}”;请刷新页面查看当前可办理的事项。"
        )
    if not may_move(actor, project, move):
        raise PermissionDenied(f"“{move.label}”由{OWNER_LABEL[move.owner]}办理,您的账号不能办理这一步。")
    reason = (reason or "").strip()
    if move.needs_reason and not reason:
        raise ValidationError({"reason": f"“{move.label}”须填写理由,村里和上级都会看到这条理由"})
    if move.owner in ("township", "county") and actor.is_authenticated:
        # Maker-checker (docs/domain.md §22): an account holding two levels' roles never checks its own step.
        last = ProjectTransition.objects.filter(project=project).order_by("-at", "-pk").first()
        last_move = fd.PROJECT_MOVES.get(last.action) if last is not None else None
        last_owner = last_move.owner if last_move is not None else "village"
        if last is not None and last.actor_id == actor.pk and last_owner != move.owner:
            raise ValidationError(
                f"上一步“{last_move.label if last_move else '申报'}”是您的账号办理的,"
                f"“{move.label}”须由{OWNER_LABEL[move.owner]}的另一位人员办理"
            )
    if move.code in LEAVING_MONEY_MOVES and Arrangement.objects.filter(project=project).exists():
        raise ValidationError(
            f"该项目已安排资金,不能“{move.label}”;请财政部门先在资金下达页面撤回对该项目的资金安排,再办理这一步。"
        )
    today = timezone.localdate()
    if move.code == "county_approve":
        project.publicity_started_on = today
        project.publicity_days = publicity_days_for(project.year)
    elif move.code == "publicity_close":
        started = project.publicity_started_on or today
        first = fd.publicity_may_close_on(started, project.publicity_days)
        if today < first:
            raise ValidationError(
                f"公示自 {started:%Y-%m-%d} 开始,须满 {project.publicity_days} 天,"
                f"{first:%Y-%m-%d} 起方可结束公示并纳入年度实施计划"
            )
        project.planned_on = today
    elif move.code == "publicity_objection":
        project.publicity_started_on = None
    from_state = project.state
    project.state = move.target
    project.state_since = timezone.now()
    project.seq += 1
    project.save()
    ProjectTransition.objects.create(
        project=project,
        action=move.code,
        from_state=from_state,
        to_state=project.state,
        reason=reason[:500],
        actor=actor if actor.is_authenticated else None,
        actor_name=_actor_name(actor),
        at=project.state_since,
    )
    return project


# ---- progress (开工、完工、验收) ---------------------------------------------------------------------------


def _require_edit(actor: User, project: Project) -> None:
    if not code_in_scope(actor, project.region_code):
        raise PermissionDenied("该项目不在您的管辖范围内")
    if not user_can(actor, Capability.PROJECTS_EDIT):
        raise PermissionDenied("项目实施情况由行业主管部门登记,您的账号不能登记")
    if project.state != fd.IN_PLAN:
        raise ValidationError("只有已纳入年度实施计划的项目可以登记实施进度")


def progress_problems(
    values: Mapping[str, dt.date | None], *, today: dt.date, first_payment: dt.date | None
) -> dict[str, str]:
    """Why the dates of a project's progress may not be saved, by field; empty when they may."""
    problems: dict[str, str] = {}
    ps, pc = values.get("planned_start"), values.get("planned_completion")
    started, completed, accepted = (
        values.get("started_on"),
        values.get("completed_on"),
        values.get("accepted_on"),
    )
    if ps and pc and pc < ps:
        problems["planned_completion"] = "计划完工日期不能早于计划开工日期"
    for field, label, day in (
        ("started_on", "开工", started),
        ("completed_on", "完工", completed),
        ("accepted_on", "验收", accepted),
    ):
        if day and day > today:
            problems[field] = f"实际{label}日期 {day:%Y-%m-%d} 晚于今天,请在{label}后再登记"
    if completed and not started:
        problems["completed_on"] = "项目尚未登记开工,不能登记完工;请先填写实际开工日期"
    elif completed and started and completed < started:
        problems["completed_on"] = f"完工日期 {completed:%Y-%m-%d} 早于开工日期 {started:%Y-%m-%d}"
    if accepted and not completed:
        problems["accepted_on"] = "项目尚未登记完工,不能登记验收;请先填写实际完工日期"
    elif accepted and completed and accepted < completed:
        problems["accepted_on"] = f"验收日期 {accepted:%Y-%m-%d} 早于完工日期 {completed:%Y-%m-%d}"
    if first_payment is not None and "started_on" not in problems:
        if not started:
            problems["started_on"] = f"项目已有 {first_payment:%Y-%m-%d} 的支付记录,不能取消开工日期"
        elif started > first_payment:
            problems["started_on"] = (
                f"开工日期 {started:%Y-%m-%d} 晚于已登记的首笔支付日期 {first_payment:%Y-%m-%d},请核对"
            )
    return problems


@transaction.atomic
def project_progress(
    *, project: Project, actor: User, values: Mapping[str, dt.date | None], seq: int | None = None
) -> Project:
    """Record the planned and actual dates of a project in the plan, each in order and none in the future.

    A form drawn before another save (`seq`) is refused, and once the project has assets its completion and
    acceptance dates stay: the assets were registered on them (docs/domain.md §22)."""
    _require_edit(actor, project)
    project = _lock(project, None)
    if seq is not None and project.seq != seq:
        raise ValidationError("该项目的进度已由他人修改过,请刷新页面查看最新日期后再登记", code="stale")
    merged = {f: values.get(f, getattr(project, f)) for f in PROGRESS_FIELDS}
    moved = [
        label
        for f, label in (("completed_on", "完工"), ("accepted_on", "验收"))
        if merged[f] != getattr(project, f)
    ]
    if moved and Asset.objects.filter(project=project).exists():
        raise ValidationError(
            f"该项目已登记项目资产,不能清除或修改{'、'.join(moved)}日期;如确需更正,请先核对并处理资产登记"
        )
    first_payment = Payment.objects.filter(project=project).aggregate(first=Min("paid_on"))["first"]
    problems = progress_problems(merged, today=timezone.localdate(), first_payment=first_payment)
    if problems:
        raise ValidationError(problems)
    old = {f: getattr(project, f) for f in PROGRESS_FIELDS}
    for f, value in merged.items():
        setattr(project, f, value)
    project.seq += 1
    project.save(update_fields=[*PROGRESS_FIELDS, "seq", "updated_at"])
    changes = diff_fields(old, merged, PROGRESS_FIELDS)
    if changes:
        _audit(actor, project, ChangeLog.Action.UPDATE, f"登记项目进度 {project.code}", changes)
    return project


# ---- 以工代赈 hires -------------------------------------------------------------------------------------


def hire_person_find(
    *, project: Project, id_number: str = "", household_no: str = "", name: str = "", pii: bool = True
) -> Person:
    """The registry's person a hire names: by ID number, or by household number and name; a person of a
    脱贫户 or a 监测户 living where the project is built (its village or township).

    An account without the personal-data right (`pii` False) may look up only by household number and name:
    an ID number typed in must never answer with a name (docs/security.md §3), and no refusal after a look-up
    by ID number names the person."""
    people = Person.objects.select_related("household").filter(
        region_code__gte=project.region.prefix, region_code__lt=project.region.prefix + "~"
    )
    id_number = id_number.strip().upper()
    if id_number and not pii:
        raise ValidationError({"id_number": "您的账号不能按证件号码查找人员,请填写户编号和姓名"})
    if id_number:
        person = people.filter(id_number=id_number).first()
        if person is None:
            raise ValidationError({"id_number": "项目所在地的农户信息库中没有这个证件号码,请核对"})
    else:
        if not (household_no.strip() and name.strip()):
            raise ValidationError({"id_number": "请填写证件号码,或填写户编号和姓名"})
        person = people.filter(household__household_no=household_no.strip(), name=name.strip()).first()
        if person is None:
            raise ValidationError(
                {"household_no": "项目所在地的农户信息库中没有这户的这个人,请核对户编号和姓名"}
            )
    household: Household = person.household
    if household.kind != "ex_poor" and not household.monitoring_category:
        raise ValidationError(
            {
                "id_number": f"{'该证件号码对应人员' if id_number else person.name}所在户既不是脱贫户也不是监测户,"
                "以工代赈只能吸纳脱贫户和监测户劳动力"
            }
        )
    return person


@transaction.atomic
def hire_record(
    *,
    project: Project,
    actor: User,
    person: Person,
    hired_on: dt.date,
    days: int,
    wages_paid: Decimal,
) -> WorkReliefHire:
    """Record (or update) a 以工代赈 hire of a person on the project, with days worked and wages paid."""
    _require_edit(actor, project)
    if not person.region_code.startswith(project.region.prefix):
        raise ValidationError("以工代赈人员应为项目所在地的农户")
    if hired_on > timezone.localdate():
        raise ValidationError({"hired_on": "用工日期不能晚于今天"})
    if project.started_on and hired_on < project.started_on:
        raise ValidationError({"hired_on": f"用工日期早于项目开工日期 {project.started_on:%Y-%m-%d}"})
    if wages_paid < 0 or wages_paid != wages_paid.quantize(fd.FEN):
        raise ValidationError({"wages_paid": "劳务报酬应为不小于0、精确到分的金额"})
    try:
        # Two first saves of the same person at once both find no row; the unique constraint refuses the
        # second, in a savepoint, and the user reads a message, never a 500.
        with transaction.atomic():
            hire, created = WorkReliefHire.objects.update_or_create(
                project=project,
                person=person,
                defaults={
                    "household_id": person.household_id,
                    "hired_on": hired_on,
                    "days": days,
                    "wages_paid": wages_paid,
                    "region_code": project.region_code,
                },
            )
    except IntegrityError:
        raise ValidationError("该人员的用工记录刚刚由他人登记,请刷新页面后再修改") from None
    _audit(
        actor,
        project,
        ChangeLog.Action.UPDATE,
        f"{'登记' if created else '更新'}以工代赈用工 {project.code}",
        {"hire": [None, {"person": person.pk, "days": days, "wages_paid": str(wages_paid)}]},
    )
    return hire
