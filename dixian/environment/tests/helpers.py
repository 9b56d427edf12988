"""A small ledger over the test world (dixian/registry/testing.py): plans for its villages."""

from __future__ import annotations

import datetime as dt

from dixian.environment import services
from dixian.environment.models import EnvironmentPlan
from dixian.environment.validation import Figures
from dixian.registry.testing import World, household

MONDAY = dt.date(2026, 10, 12)  # a Monday; tests freeze time in its week or later


def more_households(world: World, n: int = 4) -> None:
    """Give the home village n more households (5 in all), so toilet counts have room."""
    for i in range(n):
        household(f"36042410020100{10 + i}", world.village, f"户主{i}", 10 + i)


def plan(world: World, *, toilets: int = 4, natural: int = 3, works: int = 2) -> None:
    for v in (world.village, world.other_village, world.far_village):
        EnvironmentPlan.objects.create(
            village=v,
            region_code=v.code,
            year=2026,
            toilets_planned=toilets if v == world.village else 1,
            natural_villages=natural,
            works_planned=works,
        )


def row(
    upgraded: int = 1, sanitary: int = 1, in_use: int = 1, garbage: int = 1, sewage: int = 0, works: int = 0
):
    return services.RowInput(Figures(upgraded, sanitary, in_use, garbage, sewage, works))
