from __future__ import annotations

import logging

import pytest


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for the whole run: one core, one shuffle partition, no UI, no codegen.

    Tiny inputs: interpreted evaluation beats compiling generated code, and a C1-only JVM starts faster.
    """
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
