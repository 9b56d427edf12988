"""Writes of the living-environment ledger (docs/domain.md §27): a village's yearly plan, a township's weekly
report (all its villages at once, all or nothing), and the funds projects tagged for the environment fund.

Every service is keyword-only, takes `actor=`, needs ENVIRONMENT_REPORT, runs in one transaction and records
its change-log rows (entity env_plan / env_weekly / env_project) in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import Substr
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import code_in_scope, region_range_q
from dixian.common.audit import change_record, diff_fields, plain
from dixian.common.models import ChangeLog
from dixian.regions.models import Region
from dixian.registry.models import Household

from . import sums
from . import validation as v
from .models import EnvironmentPlan, EnvironmentProject, WeeklyReport

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.funds.models import Project

NOT_FOUND = "该单位不存在或不在您的管辖范围内"
FIGURE_FIELDS = tuple(v.FIELD_LABELS)
REPORT_FIELDS = (*FIGURE_FIELDS, "note")


def _need(actor: User) -> None:
    if not user_can(actor, Capability.ENVIRONMENT_REPORT):
        raise PermissionDenied(f"您的账号没有“{Capability.ENVIRONMENT_REPORT.label}”的权限")


def now_local() -> dt.datetime:
    """The local wall-clock time, naive (deadlines are local times, docs/domain.md §27)."""
    return timezone.localtime().replace(tzinfo=None)


def deadline_of(monday: dt.date) -> dt.datetime:
    return v.deadline_of(monday, settings.DIXIAN_ENVIRONMENT_DEADLINE)


# ---- what the registry and the tree say about villages -----------------------------------------------------


def households_by_village(prefix: str) -> dict[str, int]:
    """The registry's households per village code under `prefix` (a household of a 组 counts at its village):
    one grouped query."""
    rows = (
        Household.objects.filter(region_range_q(prefix))
        .annotate(v=Substr("region_code", 1, 12))
        .values("v")
        .annotate(n=Count("id"))
        .values_list("v", "n")
    )
    return dict(rows)


def groups_by_village(prefix: str) -> dict[str, int]:
    """The 组 (natural villages) of each village under `prefix`, from the region tree."""
    rows = (
        Region.objects.in_use()
        .filter(region_range_q(prefix, "code"), level=Region.Level.GROUP)
        .annotate(v=Substr("code", 1, 12))
        .values("v")
        .annotate(n=Count("id"))
        .values_list("v", "n")
    )
    return dict(rows)


def villages_of(township: Region) -> list[Region]:
    return list(
        Region.objects.in_use()
        .filter(region_range_q(township.prefix, "code"), level=Region.Level.VILLAGE)
        .order_by("code")
    )


# ---- the yearly plan ---------------------------------------------------------------------------------------


PLAN_FIELDS = ("toilets_planned", "natural_villages", "works_planned", "works_note")


def plan_save(*, actor: User, village: Region, year: int, data: Mapping[str, Any]) -> EnvironmentPlan:
    """Create or change a village's plan of a year; 年度改厕任务 may not exceed the village's households."""
    _need(actor)
    if village.level != Region.Level.VILLAGE or not code_in_scope(actor, village.code):
        raise ValidationError(NOT_FOUND)
    households = households_by_village(village.prefix).get(village.code, 0)
    problems = v.plan_problems(toilets_planned=int(data["toilets_planned"]), households=households)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        plan = EnvironmentPlan.objects.select_for_update().filter(region_code=village.code, year=year).first()
        old = {f: getattr(plan, f) for f in PLAN_FIELDS} if plan else {}
        if plan is None:
            plan = EnvironmentPlan(village=village, region_code=village.code, year=year)
        for f in PLAN_FIELDS:
            setattr(plan, f, data[f])
        changes = diff_fields(old, {f: getattr(plan, f) for f in PLAN_FIELDS}, PLAN_FIELDS)
        if not changes:
            return plan
        created = plan.pk is None
        plan.save()
        change_record(
            actor=actor,
            source=ChangeLog.Source.WEB,
            entity="env_plan",
            entity_id=plan.pk,
            household_id=None,
            action=ChangeLog.Action.CREATE if created else ChangeLog.Action.UPDATE,
            changes=changes,
            summary=f"{village.name}{year}年人居环境计划",
        )
    return plan


# ---- the weekly report -----------------------------------------------------------------------------------


@dataclass
class RowInput:
    figures: v.Figures
    note: str = ""


class WeeklyRefused(ValidationError):
    """Some rows are refused: `rows` maps a village code to {field: reason}; nothing was saved."""

    def __init__(self, message: str, rows: dict[str, dict[str, str]]) -> None:
        super().__init__(message)
        self.rows = rows


@dataclass
class WeeklyResult:
    created: int = 0
    corrected: int = 0
    unchanged: int = 0
    late: bool = False
    refused_villages: list[str] = field(default_factory=list)


@dataclass
class VillageContext:
    households: dict[str, int]
    natural: dict[str, int]


def village_context(township: Region, year: int) -> VillageContext:
    """Households (registry) and natural villages (the plan's, else the 组 of the tree) per village."""
    households = households_by_village(township.prefix)
    natural = groups_by_village(township.prefix)
    for code, n in EnvironmentPlan.objects.filter(region_range_q(township.prefix), year=year).values_list(
        "region_code", "natural_villages"
    ):
        if n:
            natural[code] = n
    return VillageContext(households, natural)


def week_check(monday: dt.date) -> None:
    if monday > v.week_monday(timezone.localdate()):
        raise ValidationError(
            f"{v.week_label(monday)}(自{monday:%Y-%m-%d}起)尚未开始,不能填报未来的周报;请选择本周或以前的周"
        )


def weekly_file(
    *, actor: User, township: Region, monday: dt.date, rows: Mapping[str, RowInput]
) -> WeeklyResult:
    """File (or correct) the township's report of the week starting `monday`: one row per village.

    All or nothing: a refused row refuses the whole submission, with every refused row named (WeeklyRefused).
    A report filed after the week's deadline is accepted and marked late; a correction keeps the first
    filing's time and lateness and is logged with the old and new values (docs/domain.md §27). The
    township's week sums are rewritten from that week on in the same transaction (§27 "Week sums").
    """
    _need(actor)
    if township.level != Region.Level.TOWNSHIP or not code_in_scope(actor, township.code):
        raise ValidationError(NOT_FOUND)
    monday = v.week_monday(monday)
    week_check(monday)
    villages = {r.code: r for r in villages_of(township)}
    unknown = sorted(set(rows) - set(villages))
    if unknown:
        raise ValidationError(f"以下村不属于{township.name}或已撤销:{'、'.join(unknown)}")
    context = village_context(township, monday.year)
    refused: dict[str, dict[str, str]] = {}
    for code, row in rows.items():
        problems = v.report_problems(
            row.figures,
            households=context.households.get(code, 0),
            natural_villages=context.natural.get(code, 0),
        )
        if problems:
            refused[code] = problems
    if refused:
        names = "、".join(villages[c].name for c in sorted(refused))
        raise WeeklyRefused(
            f"{len(refused)}个村的数据有误({names}),全部未保存;请按提示更正后重新提交", refused
        )
    now = timezone.now()
    late = now_local() > deadline_of(monday)
    result = WeeklyResult(late=late)
    logs: list[ChangeLog] = []
    actor_name = actor.get_full_name() or actor.username
    try:
        with transaction.atomic():
            # One filing of a township at a time, so that its week sums are derived from every committed
            # report (docs/domain.md §27 "Week sums").
            list(Region.objects.select_for_update().filter(pk=township.pk).values_list("pk", flat=True))
            existing = {
                r.region_code: r
                for r in WeeklyReport.objects.select_for_update().filter(
                    region_range_q(township.prefix), week=monday
                )
            }
            new: list[WeeklyReport] = []
            for code, row in sorted(rows.items()):
                values: dict[str, Any] = {f: getattr(row.figures, f) for f in FIGURE_FIELDS}
                values["note"] = row.note.strip()[:200]
                report = existing.get(code)
                if report is None:
                    new.append(
                        WeeklyReport(
                            village=villages[code],
                            region_code=code,
                            week=monday,
                            year=monday.year,
                            households=context.households.get(code, 0),
                            filed_at=now,
                            late=late,
                            filed_by=actor,
                            **values,
                        )
                    )
                    continue
                changes = diff_fields({f: getattr(report, f) for f in REPORT_FIELDS}, values, REPORT_FIELDS)
                if not changes:
                    result.unchanged += 1
                    continue
                for f, value in values.items():
                    setattr(report, f, value)
                report.households = context.households.get(code, 0)
                report.corrected_at = now
                report.save()
                result.corrected += 1
                logs.append(
                    ChangeLog(
                        at=now,
                        actor=actor,
                        actor_name=actor_name,
                        source=ChangeLog.Source.WEB,
                        entity="env_weekly",
                        entity_id=report.pk,
                        action=ChangeLog.Action.UPDATE,
                        summary=f"更正{villages[code].name}{v.week_label(monday)}人居环境周报",
                        changes=changes,
                    )
                )
            for report in WeeklyReport.objects.bulk_create(new):
                result.created += 1
                logs.append(
                    ChangeLog(
                        at=now,
                        actor=actor,
                        actor_name=actor_name,
                        source=ChangeLog.Source.WEB,
                        entity="env_weekly",
                        entity_id=report.pk or 0,
                        action=ChangeLog.Action.CREATE,
                        summary=(
                            f"报送{villages[report.region_code].name}{v.week_label(monday)}人居环境周报"
                            + ("(迟报)" if late else "")
                        ),
                        changes={f: [None, plain(getattr(report, f))] for f in FIGURE_FIELDS},
                    )
                )
            ChangeLog.objects.bulk_create(logs)
            if result.created or result.corrected:
                sums.refresh(township.prefix, monday.year, monday)
    except IntegrityError:
        raise ValidationError("同一周报正由他人同时提交,请刷新页面后重试") from None
    return result


# ---- the environment fund --------------------------------------------------------------------------------


def project_tag(*, actor: User, code: str, theme: str, corridor: str = "") -> EnvironmentProject:
    """Count a funds project (by 项目编号, inside the account's subtree) in the environment fund."""
    from dixian.funds.models import Project

    _need(actor)
    code = (code or "").strip()
    project: Project | None = Project.objects.filter(code=code).first()
    if project is None or not code_in_scope(actor, project.region_code):
        raise ValidationError({"code": f"项目编号“{code}”不存在或不在您的管辖范围内,请核对项目库中的编号"})
    if theme not in EnvironmentProject.Theme.values:
        raise ValidationError({"theme": "请选择项目类别"})
    if corridor not in EnvironmentProject.Corridor.values:
        raise ValidationError({"corridor": "请选择沿线类别"})
    if EnvironmentProject.objects.filter(project=project).exists():
        raise ValidationError({"code": f"项目“{project.name}”已计入人居环境资金,无需重复登记"})
    with transaction.atomic():
        link = EnvironmentProject.objects.create(
            project=project,
            region_code=project.region_code,
            theme=theme,
            corridor=corridor,
            linked_by=actor,
        )
        change_record(
            actor=actor,
            source=ChangeLog.Source.WEB,
            entity="env_project",
            entity_id=link.pk,
            household_id=None,
            action=ChangeLog.Action.CREATE,
            summary=f"{project.code} {project.name}计入人居环境资金({link.get_theme_display()})",
        )
    return link


def project_untag(*, actor: User, link: EnvironmentProject) -> None:
    _need(actor)
    if not code_in_scope(actor, link.region_code):
        raise ValidationError(NOT_FOUND)
    with transaction.atomic():
        change_record(
            actor=actor,
            source=ChangeLog.Source.WEB,
            entity="env_project",
            entity_id=link.pk,
            household_id=None,
            action=ChangeLog.Action.DELETE,
            summary=f"项目{link.project_id}不再计入人居环境资金",
        )
        link.delete()
