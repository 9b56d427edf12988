"""The Spark backend of a screening run, from the DIXIAN_SPARK_* settings (docs/scale.md §1, §2)."""

from __future__ import annotations

from django.conf import settings

from .engine.backends import SparkBackend
from .engine.spark_session import session_start, settings_from_env


def spark_backend() -> SparkBackend:
    """A started, checked Spark session wrapped as the engine's backend; raises
    `engine.spark_session.SparkUnavailable` (a Chinese message) within the start timeout when it cannot run."""
    values = getattr(settings, "DIXIAN_SPARK", {}) or {}
    spark_settings = settings_from_env({f"DIXIAN_SPARK_{k}": v for k, v in values.items()})
    session = session_start(spark_settings)
    # Spark Connect: in-memory inputs go through the session unless a staging directory the server reads
    # is named; everywhere else they are staged as Parquet (a temporary directory by default).
    stage = not spark_settings.remote or bool(spark_settings.staging_dir)
    return SparkBackend(session, staging_dir=spark_settings.staging_dir or None, stage=stage)
