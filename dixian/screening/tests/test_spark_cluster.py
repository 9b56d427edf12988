"""The engine on a standalone Spark cluster (a master and a worker started by scripts/spark-local-cluster on
this machine, DIXIAN_SPARK_MASTER=spark://…) gives DuckDB's results; a master without a worker fails the
session within its start timeout (docs/scale.md §2).

The driver runs in a child process: this process has its own local session (the `spark` fixture), and a
JVM holds one Spark context. The inputs are written as Parquet, read by the cluster's executor."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "spark-local-cluster"

DRIVER = r"""
import sys
from pathlib import Path

import polars as pl

from dixian.screening.engine import default_rules, screen
from dixian.screening.engine.backends import SparkBackend
from dixian.screening.engine.spark_session import SparkUnavailable, session_start, settings_from_env
from dixian.screening.tests.data import every_rule_world

out = Path(sys.argv[1])
try:
    settings = settings_from_env(__import__("os").environ)
    spark = session_start(settings)
except SparkUnavailable as exc:
    print("UNAVAILABLE", exc)
    sys.exit(3)
registry, feeds, monitored, links = every_rule_world()
paths = {}
for name, frame in {**registry, **{f"feed_{k}": v for k, v in feeds.items()}}.items():
    paths[name] = out / f"{name}.parquet"
    frame.write_parquet(paths[name])
reg = {k: paths[k] for k in registry}
fd = {k: paths[f"feed_{k}"] for k in feeds}
kw = {"monitored_risks": monitored, "links": links}
duck = screen(reg, fd, default_rules(), "2026-10", backend="duckdb", **kw)
on_spark = screen(reg, fd, default_rules(), "2026-10", backend=SparkBackend(spark, staging_dir=out), **kw)
assert spark.sparkContext.master == settings.master, spark.sparkContext.master
for name in ("alerts", "unmatched", "case_evidence"):
    assert getattr(on_spark, name).to_pylist() == getattr(duck, name).to_pylist(), name
print("SAME", duck.alerts.num_rows)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cluster(action: str, folder: Path, port: int, *, worker: bool = True) -> str:
    env = {**os.environ, "PYTHON": sys.executable, "SPARK_CLUSTER_PORT": str(port)}
    done = subprocess.run(  # noqa: S603 - our own script
        [str(SCRIPT), action, str(folder)], env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stderr + (folder / "master.log").read_text(errors="replace")[-2000:]
    return done.stdout.strip()


def drive(master: str, folder: Path, timeout: str = "120") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "DIXIAN_SPARK_MASTER": master,
        "DIXIAN_SPARK_EXECUTOR_MEMORY": "768m",
        "DIXIAN_SPARK_DRIVER_MEMORY": "768m",
        "DIXIAN_SPARK_SHUFFLE_PARTITIONS": "2",
        "DIXIAN_SPARK_START_TIMEOUT": timeout,
        # Tiny inputs: interpreted evaluation beats compiling generated code (as the test session's Spark).
        "DIXIAN_SPARK_CONF": "spark.sql.codegen.wholeStage=false spark.sql.adaptive.enabled=false",
    }
    return subprocess.run(  # noqa: S603 - our own driver script
        [sys.executable, "-c", DRIVER, str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )


@pytest.mark.skipif(not SCRIPT.exists(), reason="the script is part of the repository")
def test_the_engine_on_a_local_standalone_cluster_gives_duckdbs_results(tmp_path: Path) -> None:
    port = free_port()
    master = cluster("start", tmp_path / "cluster", port)
    try:
        assert master == f"spark://127.0.0.1:{port}"
        done = drive(master, tmp_path)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
        assert "SAME" in done.stdout
        # The executor ran on the worker, not in the driver.
        assert any((tmp_path / "cluster" / "work").iterdir())

        # The same master with its worker gone: the session's first job finds no executor to run on.
        worker = tmp_path / "cluster" / "worker.pid"
        os.kill(int(worker.read_text()), 15)
        worker.unlink()
        done = drive(master, tmp_path, timeout="8")
        assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-3000:]
        assert "没有完成测试任务" in done.stdout and "--backend duckdb" in done.stdout
    finally:
        cluster("stop", tmp_path / "cluster", port)
