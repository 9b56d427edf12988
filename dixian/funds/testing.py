"""Test helpers of the funds app: the offices that work on money and projects (docs/domain.md §22)."""

from __future__ import annotations

from dixian.accounts.models import Role, User
from dixian.common.testing import persona
from dixian.registry.testing import World


def funds_personas(world: World) -> dict[str, User]:
    """The county's finance office and a sector office that runs projects, and the other county's finance
    office (to check scoping)."""
    return {
        "finance": persona("finance", world.county, Role.FINANCE_OFFICER),
        "sector": persona("sector", world.county, Role.SECTOR_OFFICER),
        "other_finance": persona("other_finance", world.other_county, Role.FINANCE_OFFICER),
    }
