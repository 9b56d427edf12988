"""Loading the generated rectification ledger (rectification.py: the `rectification_*` Parquet files) with bulk
writes, in governance_loading.py's manner: findings, tasks, evidence (one synthetic PDF, stored once), reviewers
and each finding's history as the services would have written it (docs/domain.md §25). The derived fields
(status, closed_on, next_due) come from the files, computed there with the services' rules. Reviewers are named
by level: the accounts given per region code (the demo's county reviewer and city admin), else one account per
county (and one for the city) made here without a password, as loading.py does for the generated helpers.
Idempotent: a second run writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import polars as pl
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from dixian.accounts.models import Role, User
from dixian.rectification.models import Finding, FindingEvent, FindingReviewer, FindingTask, TaskEvidence
from dixian.regions.models import Region

from .funds_loading import BATCH
from .governance_loading import _stored
from .rectification import ORIGIN, RECTIFICATION_TABLES
from .tree import CITY_CODE

Say = Callable[[str], None]
Kind = FindingEvent.Kind
SOURCE_LABELS = dict(Finding.Source.choices)
DECIDED_AT = dt.time(10, 0)


def rectification_frames(directory: Path) -> dict[str, pl.DataFrame] | None:
    paths = {n: directory / f"rectification_{n}.parquet" for n in RECTIFICATION_TABLES}
    if not all(p.exists() for p in paths.values()):
        return None
    return {n: pl.read_parquet(p) for n, p in paths.items()}


def rectification_loaded() -> bool:
    return Finding.objects.filter(origin_key__startswith=ORIGIN).exists()


def _reviewer_accounts(codes: set[str], given: Mapping[str, User]) -> dict[str, User]:
    """The reviewer of each region code (a county's or the city's): the account given, else a synthetic one."""
    regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
    out: dict[str, User] = {}
    for code in sorted(codes):
        if code in given:
            out[code] = given[code]
            continue
        region = regions[code]
        city = code == CITY_CODE
        user, _ = User.objects.get_or_create(
            username=f"synthetic_reviewer_{code[:4] if city else code[:6]}",
            defaults={
                "region": region,
                "roles": [Role.LEADER if city else Role.COUNTY_REVIEWER],
                "first_name": f"{region.name}联审人(演示)",
                "password": make_password(None),
            },
        )
        out[code] = user
    return out


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, DECIDED_AT))


def _who(user: User) -> str:
    return user.get_full_name() or user.username


def rectification_load(
    directory: Path, *, accounts: Mapping[str, User] | None = None, say: Say | None = None
) -> dict[str, int] | None:
    """Write the generated ledger; None when the files are missing or it was loaded already. `accounts` maps a
    county's or the city's 12-digit code to the account that reviews its findings."""
    say = say or (lambda _m: None)
    frames = rectification_frames(directory)
    if frames is None or rectification_loaded():
        return None
    findings_f, tasks_f = frames["findings"], frames["tasks"]
    codes = set(findings_f["region_code"]) | set(tasks_f["region_code"])
    regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
    with transaction.atomic():
        reviewers_of = _reviewer_accounts(
            {c[:6] + "000000" for c in findings_f["region_code"]} | {CITY_CODE}, accounts or {}
        )
        rows = list(findings_f.iter_rows(named=True))
        findings = Finding.objects.bulk_create(
            (
                Finding(
                    source=row["source"],
                    category=row["category"],
                    title=row["title"],
                    description=row["description"],
                    region=regions[row["region_code"]],
                    region_code=row["region_code"],
                    found_on=row["found_on"],
                    status=row["status"],
                    origin_key=f"{ORIGIN}{row['key']}",
                    plan_no=row["plan_no"],
                    deadline=row["deadline"],
                    measures=row["measures"],
                    check_code=row["check_code"],
                    closed_on=row["closed_on"],
                    next_due=row["next_due"],
                )
                for row in rows
            ),
            batch_size=BATCH,
        )
        by_key = {row["key"]: (f, row) for f, row in zip(findings, rows, strict=True)}
        task_rows = list(tasks_f.iter_rows(named=True))
        tasks = FindingTask.objects.bulk_create(
            (
                FindingTask(
                    finding=by_key[row["finding_key"]][0],
                    title=row["title"],
                    owner_region=regions[row["region_code"]],
                    region_code=row["region_code"],
                    owner_unit=row["owner_unit"],
                    owner_name=row["owner_name"],
                    deadline=row["deadline"],
                    evidence_required=row["evidence_required"],
                    status=row["status"],
                    done_on=row["done_on"],
                    done_note=row["done_note"],
                )
                for row in task_rows
            ),
            batch_size=BATCH,
        )
        task_of = {(r["finding_key"], r["seq"]): t for t, r in zip(tasks, task_rows, strict=True)}
        evidence_rows = list(frames["evidence"].iter_rows(named=True))
        path = _stored("Synthetic rectification evidence", "rectification/generated")
        size = len(_pdf_bytes())
        TaskEvidence.objects.bulk_create(
            (
                TaskEvidence(
                    task=task_of[(r["finding_key"], r["task_seq"])],
                    file=path,
                    name=r["name"],
                    content_type="application/pdf",
                    size=size,
                    note=r["note"],
                )
                for r in evidence_rows
            ),
            batch_size=BATCH,
        )
        reviewer_rows = list(frames["reviewers"].iter_rows(named=True))

        def reviewer(r: dict[str, Any]) -> User:
            code = by_key[r["finding_key"]][1]["region_code"]
            return reviewers_of[CITY_CODE if r["level"] == "city" else code[:6] + "000000"]

        FindingReviewer.objects.bulk_create(
            (
                FindingReviewer(
                    finding=by_key[r["finding_key"]][0],
                    reviewer=reviewer(r),
                    unit=r["unit"],
                    decision=r["decision"],
                    reason=r["reason"],
                    decided_at=_at(r["decided_on"]) if r["decided_on"] else None,
                )
                for r in reviewer_rows
            ),
            batch_size=BATCH,
        )
        events = _history(by_key, task_rows, evidence_rows, reviewer_rows, reviewer)
        FindingEvent.objects.bulk_create(events, batch_size=BATCH)
    counts = {name: frame.height for name, frame in frames.items()} | {"events": len(events)}
    say(
        f"  问题整改:生成问题 {counts['findings']:,} 个,整改任务 {counts['tasks']:,} 项,"
        f"佐证材料 {counts['evidence']:,} 份,联审人 {counts['reviewers']:,} 人次。"
    )
    return counts


def _pdf_bytes() -> bytes:
    from .employment_loading import evidence_pdf

    return evidence_pdf("Synthetic rectification evidence")


def _history(
    by_key: dict[str, tuple[Finding, dict[str, Any]]],
    task_rows: list[dict[str, Any]],
    evidence_rows: list[dict[str, Any]],
    reviewer_rows: list[dict[str, Any]],
    reviewer: Callable[[dict[str, Any]], User],
) -> list[FindingEvent]:
    """Each finding's history in the order the services would have written it (services.py's summaries)."""
    tasks: dict[str, list[dict[str, Any]]] = {}
    for r in task_rows:
        tasks.setdefault(r["finding_key"], []).append(r)
    evidence: dict[str, list[dict[str, Any]]] = {}
    for r in evidence_rows:
        evidence.setdefault(r["finding_key"], []).append(r)
    reviews: dict[str, list[dict[str, Any]]] = {}
    for r in reviewer_rows:
        reviews.setdefault(r["finding_key"], []).append(r)
    out: list[FindingEvent] = []
    for key, (finding, row) in by_key.items():

        def add(kind: str, summary: str, finding: Finding = finding) -> None:
            out.append(FindingEvent(finding=finding, kind=kind, summary=summary[:500]))

        imported = row["plan_no"] != ""
        where = finding.region.full_name or finding.region.name
        add(
            Kind.IMPORTED if imported else Kind.RAISED,
            f"{'导入' if imported else '登记'}问题({SOURCE_LABELS[row['source']]}·{row['category']}):"
            f"{row['title']}({where})",
        )
        titles = {}
        for t in tasks.get(key, []):
            titles[t["seq"]] = t["title"]
            add(
                Kind.TASK_ADDED,
                f"分解任务:{t['title']}(责任单位 {t['owner_unit']},时限 {t['deadline']:%Y-%m-%d})",
            )
        named = reviews.get(key, [])
        for r in named:
            add(Kind.REVIEWER, f"指定联审人:{_who(reviewer(r))}")
        for e in evidence.get(key, []):
            add(Kind.EVIDENCE, f"任务「{titles[e['task_seq']]}」上传佐证材料:{e['name']}")
        sent_back = any(r["decision"] == "sent_back" for r in named)
        for t in tasks.get(key, []):
            if t["done_on"] is not None:
                add(Kind.TASK_DONE, f"完成任务:{t['title']}({t['done_on']:%Y-%m-%d})")
            elif sent_back:  # done once, reopened by the send-back
                add(Kind.TASK_DONE, f"完成任务:{t['title']}")
        if row["status"] in ("review", "closed") or sent_back:
            add(Kind.TO_REVIEW, "整改任务全部完成,提交联审")
        for r in named:
            if r["decision"] == "signed":
                add(Kind.SIGNED, f"{_who(reviewer(r))} 联审同意销号")
            elif r["decision"] == "sent_back":
                add(Kind.SENT_BACK, f"{_who(reviewer(r))} 退回整改:{r['reason']}")
        if row["status"] == "closed":
            add(Kind.CLOSED, f"联审通过,销号({row['closed_on']:%Y-%m-%d})")
    return out
