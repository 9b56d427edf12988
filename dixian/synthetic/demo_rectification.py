"""The demo's rectification ledger (docs/domain.md §12, §25): the city's worked example — the 2022 national and
provincial assessments fed back 3 categories / 14 problems, and the city's own inspections 8 common problems,
merged into one plan of 22 items — filed in the demo county with tasks at every stage: not started (some due
soon, orange; some past their deadline, red), with evidence, done and under joint review (one reviewer signed,
one not), sent back with a reason, and closed. One finding of the demo village carries the 举一反三 check of
C/D-grade houses, run once over the county, so the ledger shows the same problem found in other villages.

Everything is written through dixian.rectification.services (the rules and the history as the pages write
them), by the demo accounts that own each step; `demo_rectification_loaded` makes it run once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from dixian.accounts.models import User
from dixian.rectification import services
from dixian.rectification.models import Finding
from dixian.regions.models import Region

from .rectification import CLOSED, EVIDENCED, LATE, NEW, PLAN, REVIEW, RUNNING, SENT_BACK

Say = Callable[[str], None]
ORIGIN = "demo.rectification:"
# A one-page scanned "photo" as the evidence of the demo's done tasks (checked like an upload).
EVIDENCE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
# PLAN, the worked example of 22, and its stages live in rectification.py: `dixian generate` writes the same
# plan in every county (rectification_loading.py loads it in bulk); here it is walked through the services.


@dataclass
class RectificationResult:
    findings: int = 0
    tasks: int = 0
    same_check: int = 0


def demo_rectification_loaded(village: str) -> bool:
    return Finding.objects.filter(origin_key__startswith=ORIGIN, region_code__startswith=village[:6]).exists()


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("整改佐证.pdf", EVIDENCE_PDF, content_type="application/pdf")


def demo_rectification(users: dict[str, User], village: str, *, say: Say) -> RectificationResult:
    """File the plan in the demo county (the village, its township, the county) once, then run 举一反三."""
    result = RectificationResult()
    if demo_rectification_loaded(village):
        return result
    county = Region.objects.get(code=village[:6] + "000000")
    township = Region.objects.get(code=village[:9] + "000")
    village_region = Region.objects.get(code=village)
    admin, reviewer, city, officer = (
        users["xs_admin"],
        users["xs_reviewer"],
        users["city_admin"],
        users["village_officer"],
    )
    today = timezone.localdate()
    found = dt.date(today.year - 1, 1, 15) if today.month < 6 else dt.date(today.year, 1, 15)
    parent: Finding | None = None
    with transaction.atomic():
        for n, item in enumerate(PLAN, start=1):
            region = (village_region, township, county)[n % 3] if not item.check else village_region
            finding, created = services.finding_raise(
                actor=admin,
                source=item.source,
                category=item.category,
                title=item.title,
                description=f"2022年度考核评估反馈及市级督导发现:{item.title}。",
                region=region,
                found_on=found,
                origin_key=f"{ORIGIN}{village[:6]}:{n}",
                deadline=today + dt.timedelta(days={LATE: -10, NEW: 60}.get(item.stage, 30)),
                measures=f"{item.unit}牵头,建立问题、任务、责任清单,逐项整改、逐项销号。",
                plan_no=str(n),
                check_code=item.check,
                imported=True,
            )
            if not created:
                continue
            result.findings += 1
            if item.check:
                parent = finding
            if item.stage == NEW:
                continue
            days = {LATE: -5, RUNNING: 2 if n % 2 else 20}.get(item.stage, 20)
            # Owned by the village (the officer does it) or by the township/county (the county admin does).
            owner = village_region if region == village_region else region
            doer = officer if owner == village_region else admin
            tasks = [
                services.task_add(
                    actor=admin,
                    finding=finding,
                    title=f"{item.unit}:{label}",
                    owner_region=owner,
                    owner_unit=item.unit if owner != village_region else f"{village_region.name}村委会",
                    owner_name="",
                    deadline=max(found, today + dt.timedelta(days=days)),
                    evidence_required=evidence,
                )
                for label, evidence in (
                    ("制定整改方案并部署", "整改方案、会议纪要扫描件"),
                    ("逐项整改到位", "整改前后对比照片"),
                )
            ]
            result.tasks += len(tasks)
            if item.stage in (RUNNING, LATE):
                continue
            services.reviewers_add(
                actor=admin, finding=finding, reviewers=[reviewer, city], unit="县乡村振兴局"
            )
            for task in tasks:
                services.evidence_add(actor=doer, task=task, upload=_pdf(), note="整改佐证")
            if item.stage == EVIDENCED:
                services.task_close(actor=doer, task=tasks[0], done_on=today)
                continue
            for task in tasks:
                services.task_close(actor=doer, task=task, done_on=today)
            if item.stage == REVIEW:
                services.review_sign(actor=reviewer, finding=finding)
            elif item.stage == SENT_BACK:
                services.review_send_back(
                    actor=city, finding=finding, reason="佐证材料只有照片,缺少整改台账和群众满意度回访记录"
                )
            elif item.stage == CLOSED:
                services.review_sign(actor=reviewer, finding=finding)
                services.review_sign(actor=city, finding=finding)
                services.finding_close(actor=admin, finding=finding)
    if parent is not None:
        same = services.same_check_run(actor=admin, finding=parent)
        result.same_check = same.filed
    say(
        f"问题整改:登记问题 {result.findings} 个(国考省考 14 个、市级督导共性问题 8 个),"
        f"整改任务 {result.tasks} 项;举一反三在其他村新登记 {result.same_check} 个同类问题。"
    )
    return result
