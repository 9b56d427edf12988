from __future__ import annotations

import pytest

from dixian.common import testing


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings) -> None:
    # PBKDF2's deliberate slowness costs seconds per persona; tests only need a working hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db: None) -> testing.World:
    return testing.build_world()


@pytest.fixture
def people(world: testing.World) -> dict[str, object]:
    return testing.personas(world)
