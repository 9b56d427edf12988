"""Reads of the rectification ledger (docs/domain.md §25), scoped by region: a finding is seen by accounts whose
subtree holds its unit or the owner unit of one of its tasks; outside, it answers 404 like a missing one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from dixian.common.access import region_range_q, user_prefix
from dixian.domain import lifecycle as lc

from .models import Finding, FindingTask, TaskEvidence

if TYPE_CHECKING:
    from dixian.accounts.models import User


def scope_q(prefix: str) -> Q:
    """Findings of the subtree of `prefix`: their unit in it, or one of their tasks' owner units."""
    tasks_here = FindingTask.objects.filter(region_range_q(prefix), finding_id=OuterRef("pk"))
    return region_range_q(prefix) | Q(Exists(tasks_here))


def findings_for_user(user: User) -> QuerySet[Finding]:
    prefix = user_prefix(user)
    if prefix is None:
        return Finding.objects.none()
    return Finding.objects.filter(scope_q(prefix))


def finding_get_for_user(user: User, pk: int) -> Finding:
    try:
        return findings_for_user(user).select_related("region", "raised_by", "parent").get(pk=pk)
    except Finding.DoesNotExist:
        raise Http404("问题不存在或不在您的管辖范围内") from None


def task_get(finding: Finding, pk: int) -> FindingTask:
    """A task of a finding already scoped (finding_get_for_user)."""
    try:
        return FindingTask.objects.select_related("finding", "owner_region").get(finding=finding, pk=pk)
    except FindingTask.DoesNotExist:
        raise Http404("整改任务不存在或不在您的管辖范围内") from None


def evidence_get(finding: Finding, pk: int) -> TaskEvidence:
    try:
        return TaskEvidence.objects.select_related("task").get(task__finding=finding, pk=pk)
    except TaskEvidence.DoesNotExist:
        raise Http404("佐证材料不存在或不在您的管辖范围内") from None


def overdue_q(today: dt.date) -> Q:
    """Not closed, and its deadline or an open task's is past (docs/domain.md §25 "Deadlines"): the earliest
    running deadline (`next_due`, None once closed, kept by services.due_refresh) is past."""
    return Q(next_due__lt=today)


@dataclass(frozen=True)
class Deadline:
    due: dt.date | None
    colour: str  # lc.GREEN / ORANGE / RED: the monitoring cases' colouring
    text: str


def deadline_of(due: dt.date | None, today: dt.date, *, done: bool) -> Deadline:
    """The deadline as the case pages show it (domain.lifecycle.deadline_colour)."""
    colour = lc.deadline_colour(due, today, done=done)
    if due is None:
        return Deadline(None, colour, "未定时限")
    if done:
        return Deadline(due, colour, "已完成")
    days = (due - today).days
    if days < 0:
        return Deadline(due, colour, f"已超期 {-days} 天")
    if days == 0:
        return Deadline(due, colour, "今天到期")
    return Deadline(due, colour, f"剩 {days} 天")
