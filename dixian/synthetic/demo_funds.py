"""The demo's project bank (docs/synthetic.md): a project of the demo village in every state of the bank, each
with the history its moves would have written, so that a reviewer can carry one from proposal to the plan
with the demo accounts (village_officer proposes, township_reviewer reviews, xs_admin decides and closes the
publicity). The chain after the plan (payments, acceptance, an operating asset and its income distributed)
is the generated project of the demo village (funds.py).

Rows are written directly, as the generated chain is; the moves are those of `dixian.domain.funds`
(PROJECT_MOVES, plus "propose"), by the account that owns each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from dixian.accounts.models import User
from dixian.domain import funds as fd
from dixian.funds.models import Allocation, Arrangement, Project, ProjectBudget, ProjectTransition
from dixian.regions.models import Region

Say = Callable[[str], None]
CODE_PREFIX = "XMDEMO"


@dataclass(frozen=True)
class DemoProject:
    state: str
    name: str
    kind: str
    moves: tuple[str, ...]  # "propose", then codes of fd.PROJECT_MOVES
    budget: tuple[tuple[str, int], ...]  # (level, 元)
    reason: str = ""  # of the last move, when it needs one


DEMO_PROJECTS: tuple[DemoProject, ...] = (
    DemoProject(
        fd.PROPOSED,
        "高标准农田配套沟渠项目",
        fd.INFRASTRUCTURE,
        ("propose",),
        ((fd.CENTRAL, 280_000), (fd.PROVINCE, 60_000)),
    ),
    DemoProject(
        fd.RETURNED,
        "村级光伏电站扩容项目",
        fd.INDUSTRY,
        ("propose", "township_return"),
        ((fd.CENTRAL, 400_000),),
        reason="建设规模与预算明细不一致,请补充设备清单和收益分配方案后重新申报",
    ),
    DemoProject(
        fd.TOWNSHIP_PASSED,
        "蔬菜大棚基地提升项目",
        fd.INDUSTRY,
        ("propose", "township_pass"),
        ((fd.CENTRAL, 350_000), (fd.CITY, 50_000)),
    ),
    DemoProject(
        fd.PUBLICITY,
        "茶叶加工设备购置项目",
        fd.INDUSTRY,
        ("propose", "township_pass", "county_approve"),
        ((fd.CENTRAL, 300_000), (fd.PROVINCE, 100_000)),
    ),
    DemoProject(
        fd.REJECTED,
        "村委会办公楼维修项目",
        fd.OTHER,
        ("propose", "township_pass", "county_reject"),
        ((fd.COUNTY, 150_000),),
        reason="属于负面清单(不得用于修建楼堂馆所),不予入库",
    ),
    DemoProject(
        fd.IN_PLAN,
        "通组公路硬化项目(二期)",
        fd.INFRASTRUCTURE,
        ("propose", "township_pass", "county_approve", "publicity_close"),
        ((fd.CENTRAL, 260_000), (fd.PROVINCE, 40_000)),
    ),
)


def demo_projects_loaded(village: str) -> bool:
    return Project.objects.filter(code__startswith=f"{CODE_PREFIX}-{village}-").exists()


def demo_projects(actors: dict[str, User], village: str, *, year: int, say: Say | None = None) -> int:
    """Write the demo village's bank projects (none when they exist); returns how many were written.

    `actors` names the account that owns each step: "village", "township" and "county" (fd.ProjectMove.owner).
    """
    say = say or (lambda _msg: None)
    if demo_projects_loaded(village):
        return 0
    region = Region.objects.get(code=village)
    township = Region.objects.get(code=village[:9] + "000")
    now = timezone.now().replace(microsecond=0)
    today = timezone.localdate()
    written = 0
    with transaction.atomic():
        for n, spec in enumerate(DEMO_PROJECTS, start=1):
            steps = len(spec.moves)
            # Moves a few days apart, ending so that a publicity begun is already over its days (closable).
            ats = [
                now - dt.timedelta(days=3 * (steps - i) + fd.DEFAULT_PUBLICITY_DAYS + 2) for i in range(steps)
            ]
            if spec.state == fd.IN_PLAN:
                ats[-1] = now - dt.timedelta(days=1)
            budget_total = sum((Decimal(y) for _, y in spec.budget), Decimal(0))
            publicity_started = timezone.localtime(ats[2]).date() if "county_approve" in spec.moves else None
            project = Project.objects.create(
                code=f"{CODE_PREFIX}-{village}-{n}",
                name=f"{year}年{region.name}{spec.name}",
                year=year,
                kind=spec.kind,
                region=region,
                region_code=village,
                owner_unit=f"{township.name}人民政府",
                content=f"{region.name}{spec.name.removesuffix('项目')}(演示项目)",
                state=spec.state,
                state_since=ats[-1],
                seq=steps,
                publicity_started_on=publicity_started,
                publicity_days=fd.DEFAULT_PUBLICITY_DAYS,
                planned_on=today - dt.timedelta(days=1) if spec.state == fd.IN_PLAN else None,
                budget_total=budget_total,
                planned_start=today + dt.timedelta(days=10),
                planned_completion=today + dt.timedelta(days=120),
                benefit_plan="优先吸纳本村脱贫户和监测户务工,带动增收",
                created_by=actors["village"],
            )
            ProjectBudget.objects.bulk_create(
                ProjectBudget(project=project, level=level, amount=Decimal(amount))
                for level, amount in spec.budget
            )
            state = ""
            transitions = []
            for i, code in enumerate(spec.moves):
                if code == "propose":
                    target, owner = fd.PROPOSED, "village"
                else:
                    move = fd.PROJECT_MOVES[code]
                    assert move.source == state, (code, state)  # noqa: S101 - the table above must be a walk
                    target, owner = move.target, move.owner
                person = actors[owner]
                transitions.append(
                    ProjectTransition(
                        project=project,
                        action=code,
                        from_state=state,
                        to_state=target,
                        # Only a move that needs a reason has one (fd.ProjectMove.needs_reason).
                        reason=spec.reason if i == steps - 1 else "",
                        actor=person,
                        actor_name=person.first_name or person.username,
                        at=ats[i],
                    )
                )
                state = target
            assert state == spec.state, (spec.state, state)  # noqa: S101 - the table above must end there
            ProjectTransition.objects.bulk_create(transitions)
            if spec.state == fd.IN_PLAN:
                _arrange(project, today)
            written += 1
    say(
        f"  演示村项目库:{written} 个项目,各处于一种入库状态(村级申报 → 乡镇审核 → 县级审定 → 公示 → 纳入计划)"
    )
    return written


def _arrange(project: Project, today: dt.date) -> None:
    """Arrange the project's budget from the county's allocations of its year that still have money left,
    never beyond what each issued (fd.arrangement_problems)."""
    for budget in project.budgets.all():
        allocations = (
            Allocation.objects.filter(
                region_code=project.region_code[:6] + "000000", year=project.year, level=budget.level
            )
            .annotate(arranged=Sum("arrangements__amount"))
            .order_by("doc_date", "id")
        )
        for allocation in allocations:
            left = allocation.amount - (allocation.arranged or Decimal(0))
            amount = min(left, budget.amount)
            if amount > 0 and not fd.arrangement_problems(
                amount=amount, issued=allocation.amount, arranged_before=allocation.arranged or Decimal(0)
            ):
                Arrangement.objects.create(
                    allocation=allocation,
                    project=project,
                    amount=amount,
                    arranged_on=today,
                    region_code=allocation.region_code,
                )
                break
