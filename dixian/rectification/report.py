"""Figures of the rectification ledger (docs/domain.md §25 "Figures"): findings and tasks of a unit's subtree by
source and status, with the overdue ones, each from one aggregate query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from dixian.regions.models import Region

from .models import Finding, FindingTask
from .selectors import overdue_q, scope_q


@dataclass
class SourceRow:
    source: str
    label: str
    findings: dict[str, int] = field(default_factory=dict)  # by status, and "total", "overdue"
    tasks: dict[str, int] = field(default_factory=dict)  # by status, and "total", "overdue"


@dataclass
class Report:
    region: Region
    today: dt.date
    rows: list[SourceRow]
    total: SourceRow


def rectification_report(region: Region, today: dt.date | None = None) -> Report:
    today = today or timezone.localdate()
    findings = Finding.objects.filter(scope_q(region.prefix))
    by_source: dict[str, SourceRow] = {
        value: SourceRow(value, str(label)) for value, label in Finding.Source.choices
    }
    status_counts = {s: Count("id", filter=Q(status=s)) for s in Finding.Status.values}
    finding_rows: list[dict[str, Any]] = [
        dict(r)
        for r in findings.order_by()
        .values("source")
        .annotate(total=Count("id"), overdue=Count("id", filter=overdue_q(today)), **status_counts)
    ]
    for row in finding_rows:
        by_source[row["source"]].findings = {k: row[k] for k in ("total", "overdue", *Finding.Status.values)}
    task_counts = {s: Count("id", filter=Q(status=s)) for s in FindingTask.Status.values}
    task_rows: list[dict[str, Any]] = [
        dict(r)
        for r in FindingTask.objects.filter(finding__in=findings)
        .order_by()
        .values("finding__source")
        .annotate(
            total=Count("id"),
            overdue=Count("id", filter=Q(status=FindingTask.Status.OPEN, deadline__lt=today)),
            **task_counts,
        )
    ]
    for row in task_rows:
        by_source[row["finding__source"]].tasks = {
            k: row[k] for k in ("total", "overdue", *FindingTask.Status.values)
        }
    empty_f = dict.fromkeys(("total", "overdue", *Finding.Status.values), 0)
    empty_t = dict.fromkeys(("total", "overdue", *FindingTask.Status.values), 0)
    rows = []
    total = SourceRow("total", "合计", dict(empty_f), dict(empty_t))
    for r in by_source.values():
        r.findings = r.findings or dict(empty_f)
        r.tasks = r.tasks or dict(empty_t)
        if r.findings["total"] or r.tasks["total"]:
            rows.append(r)
        for k in total.findings:
            total.findings[k] += r.findings[k]
        for k in total.tasks:
            total.tasks[k] += r.tasks[k]
    return Report(region, today, rows, total)


def report_json(report: Report) -> dict[str, Any]:
    def one(r: SourceRow) -> dict[str, Any]:
        return {"source": r.source, "label": r.label, "findings": r.findings, "tasks": r.tasks}

    return {
        "region": {"code": report.region.code, "name": report.region.full_name or report.region.name},
        "date": report.today.isoformat(),
        "by_source": [one(r) for r in report.rows],
        "total": one(report.total),
    }
