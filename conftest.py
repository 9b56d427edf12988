from __future__ import annotations

from pathlib import Path

import pytest

from dixian.common import testing


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings) -> None:
    # PBKDF2's deliberate slowness costs seconds per persona; tests only need a working hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_data_dir(settings, tmp_path: Path) -> None:
    # Uploads, job results and reports go to a directory of the test's own, never to var/ of a checkout
    # (and never shared between the SQLite and PostgreSQL runs of CI).
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_DIR.mkdir()
    settings.MEDIA_ROOT.mkdir()


@pytest.fixture
def world(db: None) -> testing.World:
    return testing.build_world()


@pytest.fixture
def people(world: testing.World) -> dict[str, object]:
    return testing.personas(world)
