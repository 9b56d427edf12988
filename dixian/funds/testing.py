"""Test helpers of the funds app: the offices that work on money and projects (docs/domain.md §22)."""

from __future__ import annotations

from dixian.accounts.models import User
from dixian.registry.testing import World, funds_offices


def funds_personas(world: World) -> dict[str, User]:
    """The county's finance office and a sector office that runs projects (the same accounts as the
    `people` fixture's "finance" and "sector", never a second copy), and the other county's finance office
    (to check scoping)."""
    return funds_offices(world)
