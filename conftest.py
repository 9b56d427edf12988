from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from dixian.registry import testing

# Locally every run explores new examples (and a failure is kept in .hypothesis/ to be replayed).
# In CI (CI=true) the examples are derived from the test itself, so a verdict does not depend on luck;
# the search for new counterexamples happens on developers' machines.
# No deadline in CI: a shared 2-core runner (a GC pause, Spark's JVM next door) can make one example of a
# trivial function slow, and a deadline would fail the test for it ("Unreliable test timings").
# Nor the too_slow health check, for the same reason: it times the generation of the examples, not the code.
hypothesis_settings.register_profile(
    "ci", derandomize=True, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


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


@pytest.fixture(autouse=True)
def _jobs_in_process(settings) -> None:
    # The test database lives in the test process (and its transaction): jobs run there. The child-process
    # path of the worker has its own tests (dixian/common/tests/test_job_isolation.py).
    settings.DIXIAN_JOBS_IN_PROCESS = True


@pytest.fixture
def world(db: None) -> testing.World:
    return testing.build_world()


@pytest.fixture
def people(world: testing.World) -> dict[str, object]:
    return testing.personas(world)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests that start a JVM (the `spark` fixture, the test_spark_* modules) after every other test.

    Py4J keeps threads alive in this process once a Spark session has started, and a fork taken while another
    thread holds a lock (the job isolation tests fork, dixian/common/jobs.py) can leave the child waiting on that
    lock forever. Run last, nothing forks after the JVM. Stable: the rest keeps its order."""

    def starts_jvm(item: pytest.Item) -> bool:
        return "spark" in getattr(item, "fixturenames", ()) or item.path.name.startswith("test_spark")

    items.sort(key=starts_jvm)


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for the whole run (docs/scale.md §1): one core, one shuffle partition, no UI,
    no codegen. Tiny inputs: interpreted evaluation beats compiling generated code, and a C1-only JVM starts
    faster. `dixian screen --backend spark` in a test reuses it (engine.spark_session.session_start)."""
    pytest.importorskip("pyspark", reason="pyspark is in requirements/base.in; missing only in a broken venv")
    from dixian.screening.engine.backends import local_spark_session

    session = local_spark_session(
        extra_conf={
            "spark.sql.codegen.wholeStage": "false",
            "spark.sql.codegen.factoryMode": "NO_CODEGEN",
            "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
        }
    )
    yield session
    session.stop()
    # py4j logs its connection shutdown from __del__ after pytest has closed the captured streams.
    logging.getLogger("py4j").setLevel(logging.WARNING)
