"""The rectification tests' world: findings over the registry's small world (dixian/registry/testing.py)."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dixian.monitoring.testing import SMALL_PDF

from .. import services
from ..models import Finding, FindingTask

FOUND = dt.date(2026, 1, 10)


def pdf(name: str = "整改照片.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, SMALL_PDF, content_type="application/pdf")


def finding(world, actor, *, region=None, title="脱贫户帮扶措施落实不到位", **extra) -> Finding:
    return services.finding_create(
        actor=actor,
        source=extra.pop("source", Finding.Source.NATIONAL),
        category=extra.pop("category", "政策落实"),
        title=title,
        region=region or world.village,
        found_on=extra.pop("found_on", FOUND),
        deadline=extra.pop("deadline", timezone.localdate() + dt.timedelta(days=30)),
        **extra,
    )


def task(world, actor, f: Finding, *, region=None, days: int = 20, title="逐户核实帮扶措施") -> FindingTask:
    return services.task_add(
        actor=actor,
        finding=f,
        title=title,
        owner_region=region or world.village,
        owner_unit="良塘村委会",
        owner_name="村支书",
        deadline=timezone.localdate() + dt.timedelta(days=days),
        evidence_required="帮扶手册照片",
    )


def done(actor, t: FindingTask) -> FindingTask:
    services.evidence_add(actor=actor, task=t, upload=pdf())
    return services.task_close(actor=actor, task=t, done_on=timezone.localdate())
