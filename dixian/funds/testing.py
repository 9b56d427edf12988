"""Test helpers of the funds app: the offices that work on money and projects (docs/domain.md §22)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from dixian.accounts.models import Role, User
from dixian.common.testing import persona
from dixian.regions.models import Region
from dixian.registry.testing import World

from .models import Project, ProjectBudget


def funds_personas(world: World) -> dict[str, User]:
    """The county's finance office and a sector office that runs projects, and the other county's finance
    office (to check scoping)."""
    return {
        "finance": persona("finance", world.county, Role.FINANCE_OFFICER),
        "sector": persona("sector", world.county, Role.SECTOR_OFFICER),
        "other_finance": persona("other_finance", world.other_county, Role.FINANCE_OFFICER),
    }


def planned_project(
    region: Region,
    *,
    code: str,
    year: int = 2026,
    budget: Decimal = Decimal("100000.00"),
    started_on: dt.date | None = None,
    completed_on: dt.date | None = None,
    accepted_on: dt.date | None = None,
    kind: str = "industry",
    name: str = "",
) -> Project:
    """A project already in the year's implementation plan (written directly, not through the bank's moves),
    its whole budget from the central level."""
    project = Project.objects.create(
        code=code,
        name=name or f"{region.name}项目{code}",
        year=year,
        kind=kind,
        region=region,
        region_code=region.code,
        owner_unit=f"{region.name}村委会",
        state="in_plan",
        state_since=timezone.now(),
        planned_on=dt.date(year, 3, 1),
        budget_total=budget,
        started_on=started_on,
        completed_on=completed_on,
        accepted_on=accepted_on,
    )
    ProjectBudget.objects.create(project=project, level="central", amount=budget)
    return project
