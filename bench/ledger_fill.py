"""The issue-19 ledgers' rows at city scale, over a region tree the caller has built (docs/domain.md §25–§28).

Shared by the ledgers' own benches (bench_rectification.py, bench_supervision.py, bench_environment.py,
bench_governance.py), each over its own region tree, and by bench_dispatch.py, which fills all four over one
tree to measure the dispatch page with the real providers. Each function bulk-creates the rows its bench used to
build inline, the same rows for the same regions and dates; the caller wraps them in a transaction and runs
ANALYZE. Django must be set up before calling them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

FINDINGS = 10_000
TASKS_PER_FINDING = 5
VISITS = 4000
WEEKS = 52
DECISIONS_PER_VILLAGE = 20


def fill_rectification(units: Sequence[Any], today: dt.date, findings: int = FINDINGS) -> dict[str, int]:
    """`findings` findings on random units (counties, townships, villages), five tasks each: a quarter
    closed, a quarter in review, half open; found 10–700 days before `today`, task deadlines 10–300 days after
    that; next_due as the services keep it (the earliest running deadline)."""
    from dixian.rectification.models import Finding, FindingTask

    rng = random.Random(19)
    sources = list(Finding.Source.values)
    categories = ["责任落实", "政策落实", "工作落实", "成效巩固"]
    rows = []
    plans: list[list[tuple[dt.date, bool]]] = []
    for i in range(findings):
        region = rng.choice(units)
        found = today - dt.timedelta(days=rng.randint(10, 700))
        status = rng.choice(["open", "open", "review", "closed"])
        deadline = found + dt.timedelta(days=rng.randint(30, 400))
        plan = [
            (found + dt.timedelta(days=rng.randint(10, 300)), status != "open" or rng.random() < 0.4)
            for _ in range(TASKS_PER_FINDING)
        ]
        plans.append(plan)
        running = [deadline, *(due for due, done in plan if not done)]
        rows.append(
            Finding(
                source=rng.choice(sources),
                category=rng.choice(categories),
                title=f"问题{i}:帮扶措施落实不到位",
                region=region,
                region_code=region.code,
                found_on=found,
                deadline=deadline,
                status=status,
                closed_on=today if status == "closed" else None,
                next_due=None if status == "closed" else min(running),
            )
        )
    created = Finding.objects.bulk_create(rows, batch_size=2000)
    FindingTask.objects.bulk_create(
        (
            FindingTask(
                finding=f,
                title=f"任务{k}",
                owner_region_id=f.region_id,
                region_code=f.region_code,
                deadline=due,
                status="done" if done else "open",
                done_on=today if done else None,
            )
            for f, plan in zip(created, plans, strict=True)
            for k, (due, done) in enumerate(plan)
        ),
        batch_size=5000,
    )
    return {"findings": len(created), "tasks": len(created) * TASKS_PER_FINDING}


def fill_supervision(
    city: Any, counties: Sequence[Any], villages: Sequence[Any], today: dt.date, visits: int = VISITS
) -> dict[str, int]:
    """Two 挂点 leaders per county, the 50-person expert pool, a 定点帮扶 unit and three stationed staff per
    village, `visits` visits planned from 700 days before `today` to 30 days after (nine in ten of the past
    ones recorded), each with its county's first leader and two experts."""
    from dixian.supervision.models import AssistUnit, CountyLeader, Expert, StationedStaff, SupervisionVisit

    rng = random.Random(19)
    leaders = CountyLeader.objects.bulk_create(
        CountyLeader(
            name=f"领导{c.code[:6]}{n}",
            post="副市长",
            county=c,
            region_code=c.code,
            start_on=dt.date(2023, 1, 1),
        )
        for c in counties
        for n in range(2)
    )
    experts = Expert.objects.bulk_create(
        Expert(name=f"专家{n}", field="industry", unit="九江学院", region=city, region_code=city.code)
        for n in range(50)
    )
    AssistUnit.objects.bulk_create(
        (
            AssistUnit(unit=f"市直单位{n % 40}", village=v, region_code=v.code, start_on=dt.date(2022, 1, 1))
            for n, v in enumerate(villages)
        ),
        batch_size=2000,
    )
    StationedStaff.objects.bulk_create(
        (
            StationedStaff(
                name=f"干部{n}{k}",
                phone=f"139{n:05d}{k:03d}",
                unit=f"市直单位{n % 40}",
                village=v,
                region_code=v.code,
                role=("first_secretary", "team_leader", "member")[k],
                start_on=dt.date(2024, 6, 1),
            )
            for n, v in enumerate(villages)
            for k in range(3)
        ),
        batch_size=2000,
    )
    created = SupervisionVisit.objects.bulk_create(
        (
            SupervisionVisit(
                kind=rng.choice(("monthly", "monthly", "quarterly", "unannounced")),
                region=(v := rng.choice(villages)),
                region_code=v.code,
                topic="防止返贫动态监测落实情况",
                planned_on=(day := today - dt.timedelta(days=rng.randint(-30, 700))),
                done_on=day if day <= today and rng.random() < 0.9 else None,
                checked="查阅台账,入户走访5户" if day <= today else "",
            )
            for _ in range(visits)
        ),
        batch_size=2000,
    )
    by_county: dict[str, list[Any]] = {}
    for leader in leaders:
        by_county.setdefault(leader.region_code[:6], []).append(leader)
    SupervisionVisit.leaders.through.objects.bulk_create(
        (
            SupervisionVisit.leaders.through(supervisionvisit_id=v.pk, countyleader_id=leader.pk)
            for v in created
            for leader in by_county[v.region_code[:6]][:1]
        ),
        batch_size=2000,
    )
    SupervisionVisit.experts.through.objects.bulk_create(
        (
            SupervisionVisit.experts.through(supervisionvisit_id=v.pk, expert_id=e.pk)
            for v in created
            for e in rng.sample(experts, 2)
        ),
        batch_size=2000,
    )
    return {"visits": len(created), "staff": 3 * len(villages)}


def fill_environment(villages: Sequence[Any], first_monday: dt.date, year: int, weeks: int = WEEKS) -> int:
    """A plan per village for `year` and `weeks` weekly reports from `first_monday` (one village-week in 33
    missing, one in 20 late), progress growing week by week. Returns the number of reports."""
    from django.utils import timezone

    from dixian.environment.models import EnvironmentPlan, WeeklyReport
    from dixian.environment.sums import rebuild

    EnvironmentPlan.objects.bulk_create(
        EnvironmentPlan(
            village=v,
            region_code=v.code,
            year=year,
            toilets_planned=20 + i % 30,
            natural_villages=4 + i % 5,
            works_planned=3,
        )
        for i, v in enumerate(villages)
    )
    filed = timezone.now()
    rows: list[WeeklyReport] = []
    count = 0
    for w in range(weeks):
        week = first_monday + dt.timedelta(days=7 * w)
        for i, v in enumerate(villages):
            if (i * 7 + w) % 33 == 0:
                continue  # a missing week
            planned = 20 + i % 30
            upgraded = min(planned, planned * (w + 1 + i % 9) // 52)
            rows.append(
                WeeklyReport(
                    village=v,
                    region_code=v.code,
                    week=week,
                    year=year,
                    households=300 + i % 200,
                    toilets_upgraded=upgraded,
                    toilets_sanitary=150 + upgraded,
                    toilets_in_use=140 + upgraded,
                    garbage_covered=min(4 + i % 5, 2 + w // 10),
                    sewage_households=50 + w,
                    works_done=min(3, w // 15),
                    filed_at=filed,
                    late=(i + w) % 20 == 0,
                )
            )
        if len(rows) > 20000:
            WeeklyReport.objects.bulk_create(rows)
            count += len(rows)
            rows = []
    WeeklyReport.objects.bulk_create(rows)
    rebuild()  # the townships' week sums, as the demo loader writes them after its bulk load (§27)
    return count + len(rows)


def decision_rows(
    villages: Sequence[Any], today: dt.date, per_village: int = DECISIONS_PER_VILLAGE
) -> list[Any]:
    """`per_village` 四议两公开 decisions per village with their derived facts as the app keeps them: six in
    ten closed, three in ten open with their next step due 0–19 days before `today`, one in ten closed missing
    the 党员大会审议 step."""
    from dixian.governance.models import Decision

    return [
        Decision(
            region=village,
            region_code=village.code,
            title=f"{village.name}事项{k}",
            category="project",
            status="closed" if (fate := k % 10) < 6 or fate == 9 else "open",
            steps_done=6 if fate < 6 else 3,
            missing="members_review" if fate == 9 else "",
            next_step="" if fate < 6 or fate == 9 else "representatives",
            next_due_on=None if fate < 6 or fate == 9 else today - dt.timedelta(days=k),
        )
        for village in villages
        for k in range(per_village)
    ]


def fill_governance(villages: Sequence[Any], today: dt.date, per_village: int = DECISIONS_PER_VILLAGE) -> int:
    from dixian.governance.models import Decision

    rows = decision_rows(villages, today, per_village)
    Decision.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
