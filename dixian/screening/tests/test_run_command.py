"""`dixian screen --period 2026-10`: a Chinese summary; a bad period exits with code 2."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dixian.cases.models import Alert, AlertEvidence, UnmatchedRecord
from dixian.common.testing import fake_id
from dixian.screening.models import ScreeningRun

from .run_fixtures import deliver, head, major_illness_row, medical_row

pytestmark = pytest.mark.django_db


def screen(*args: str) -> str:
    out = io.StringIO()
    call_command("screen", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_a_summary_and_a_rerun_adds_nothing(world):
    person = head(world.home)
    deliver("medical", [medical_row(person, "JS001", 8000)], region=world.county)
    deliver("major_illness", [major_illness_row(person)], region=world.county)
    stranger = fake_id("360499", dt.date(1990, 1, 1), 7)
    deliver("medical", [medical_row(None, "JS009", 100, id_number=stranger)], region=world.county)

    first = screen("--period", "2026-10")
    totals = (Alert.objects.count(), AlertEvidence.objects.count(), UnmatchedRecord.objects.count())
    second = screen("--period", "2026-10")

    assert "新增预警 1 条" in first and "新增证据 2 条" in first and "新增应纳未纳 1 条" in first
    assert "R01v1" in first and "未执行规则" in first and "本期未报送" in first
    assert "耗时:" in first and "筛查引擎" in first
    assert "新增预警 0 条" in second and "新增证据 0 条" in second and "新增应纳未纳 0 条" in second
    assert "补充到监测户的证据 0 条" in second
    assert (Alert.objects.count(), AlertEvidence.objects.count(), UnmatchedRecord.objects.count()) == totals
    assert list(ScreeningRun.objects.values_list("trigger", "status")) == [("manual", "done")] * 2


@pytest.mark.parametrize("period", ["2026-13", "202610", "十月", "1899-01"])
def test_a_bad_period_is_refused_with_exit_code_2(world, period):
    with pytest.raises(CommandError) as caught:
        screen("--period", period)
    assert caught.value.returncode == 2
    assert "筛查期间" in str(caught.value) or "年份" in str(caught.value)
    assert not ScreeningRun.objects.exists()


def test_the_command_exits_with_code_2_from_the_shell(tmp_path):
    # The real entry point: argparse and CommandError turned into an exit status and a message on stderr.
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {**os.environ, "DIXIAN_DATA_DIR": str(tmp_path)}
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "django", "screen", "--period", "2026-13"],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2
    assert "筛查期间应写作 YYYY-MM" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_run_gives_the_connection_its_own_page_cache_back(world, monkeypatch):
    from django.db import connection

    from dixian.screening import store

    def cache_size() -> int | None:
        if connection.vendor != "sqlite":
            return None
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return cursor.fetchone()[0]

    person = head(world.home)
    deliver("medical", [medical_row(person, "JS001", 8000)], region=world.county)
    seen = []
    real = store.result_store

    def spy(**kwargs):
        seen.append(cache_size())
        return real(**kwargs)

    monkeypatch.setattr(store, "result_store", spy)
    before = cache_size()
    screen("--period", "2026-10")
    assert cache_size() == before
    # While the run writes: 256 MB on SQLite (PostgreSQL has no such setting).
    assert seen == [-256 * 1024 if connection.vendor == "sqlite" else None]
