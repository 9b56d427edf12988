"""Test helpers of the funds app: the offices that work on money and projects (docs/domain.md §22)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from django.utils import timezone

from dixian.accounts.models import User
from dixian.regions.models import Region
from dixian.registry.testing import World, funds_offices

from .models import Project, ProjectBudget


def funds_personas(world: World) -> dict[str, User]:
    """The county's finance office and a sector office that runs projects (the same accounts as the
    `people` fixture's "finance" and "sector", never a second copy), and the other county's finance office
    (to check scoping)."""
    return funds_offices(world)


def funds_workbook(path: Path, sheets: Mapping[str, Sequence[Sequence[object]]]) -> Path:
    """A finance office's workbook: each sheet's rows as given (the first is the header), written as typed
    (numbers as numbers, dates as dates, text as text)."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "constant_memory": True})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        ws = book.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dt.date):
                    ws.write_datetime(i, j, dt.datetime.combine(value, dt.time()), date)
                elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                    ws.write_number(i, j, float(value))
                else:
                    ws.write_string(i, j, str(value))
    book.close()
    return path


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
